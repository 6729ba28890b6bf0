-- grain: one row per (account_id, as_of, persona): registered and 30-day-active users of it
with registered as (
    select s.account_id, s.as_of, u.user_id, coalesce(u.persona, 'unknown') as persona
    from spine as s
    join stg_users as u
      on u.account_id = s.account_id
     and cast(u.created_at as date) <= s.as_of
     and (u.deactivated_at is null or cast(u.deactivated_at as date) > s.as_of)
),
active as (
    select distinct ud.user_id, o.as_of
    from user_days as ud
    join obs_dates as o
      on ud.event_date <= o.as_of and ud.event_date > o.as_of - interval 30 day
)
select r.account_id, r.as_of, r.persona,
       count(*) as registered,
       count(a.user_id) as active_30d
from registered as r
left join active as a on a.user_id = r.user_id and a.as_of = r.as_of
group by r.account_id, r.as_of, r.persona
