-- grain: one row per (account_id, user_id, as_of) for users active in the $long_days days up to
-- as_of: the days since their latest active day on or before as_of (0 when active on as_of)
-- reads: user_periods, obs_days
select up.account_id, up.user_id, o.as_of, min(o.age_days) as recency_days
from user_periods as up
join obs_days as o on o.event_date = up.last_day
where o.age_days < $long_days
group by up.account_id, up.user_id, o.as_of
