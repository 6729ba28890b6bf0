-- grain: one row per (account_id, as_of) with registered users
-- reads: registered_users, user_days
with first_seen as (
    select user_id, min(event_date) as first_event_date
    from user_days
    group by user_id
)
select r.account_id, r.as_of,
       count(*) as registered_users,
       sum(case when f.first_event_date is null or f.first_event_date > r.as_of then 1 else 0 end)
           as never_logged_in_users
from registered_users as r
left join first_seen as f on f.user_id = r.user_id
group by r.account_id, r.as_of
