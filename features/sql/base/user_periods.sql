-- grain: one row per (account_id, user_id, period) with any activity by that user, where a
-- period is the days up to an observation date and after the one before it (null after the last),
-- or one an earlier build kept (kept_user_history: each user's days up to one of its dates)
-- why: a user's latest active day on or before as_of is the last day of their latest period
-- that ends on or before it, so windows need one row per user and period, not per day
-- reads: kept_user_history, user_days, obs_periods
select uh.account_id, uh.user_id, uh.period, uh.first_day, uh.last_day, uh.active_days
from kept_user_history as uh
union all
select ud.account_id, ud.user_id, p.period,
       min(ud.event_date) as first_day, max(ud.event_date) as last_day, count(*) as active_days
from user_days as ud
left join obs_periods as p on p.event_date = ud.event_date
group by ud.account_id, ud.user_id, p.period
