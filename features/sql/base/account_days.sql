-- grain: one row per (account_id, event_date) with any event by a known user: how many users
-- were active that day
-- reads: user_days
-- kind: grain by event_date (kept between builds; an incremental build redoes the days after $since)
select account_id, event_date, count(*) as active_users
from user_days
group by account_id, event_date
