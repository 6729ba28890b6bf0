-- grain: one row per (account_id, as_of) in the spine
-- registered users: created on or before as_of and not deactivated by then
with registered as (
    select s.account_id, s.as_of, u.user_id, f.first_event_date
    from spine as s
    join stg_users as u
      on u.account_id = s.account_id
     and cast(u.created_at as date) <= s.as_of
     and (u.deactivated_at is null or cast(u.deactivated_at as date) > s.as_of)
    left join (select user_id, min(event_date) as first_event_date from user_days group by user_id) as f
      on f.user_id = u.user_id
)
select account_id, as_of,
       count(*) as registered_users,
       sum(case when first_event_date is null or first_event_date > as_of then 1 else 0 end)
           as never_logged_in_users
from registered
group by account_id, as_of
