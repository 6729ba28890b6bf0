-- grain: one row per (account_id, as_of, persona): registered users of it and those active in
-- the $recent_days days up to as_of
-- reads: registered_users, user_days, obs_dates
with active as (
    select distinct ud.user_id, o.as_of
    from user_days as ud
    join obs_dates as o
      on ud.event_date <= o.as_of and ud.event_date > o.as_of - interval ($recent_days) day
)
select r.account_id, r.as_of, r.persona,
       count(*) as registered,
       count(a.user_id) as active_30d
from registered_users as r
left join active as a on a.user_id = r.user_id and a.as_of = r.as_of
group by r.account_id, r.as_of, r.persona
