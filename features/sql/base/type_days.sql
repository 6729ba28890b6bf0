-- grain: one row per (account_id, event_type, event_date) with any event of that type: the
-- events, and those made by a known user
-- reads: stg_events
-- kind: grain by event_date (kept between builds; an incremental build redoes the days after $since)
select account_id, event_type, event_date, count(*) as events, count(user_id) as user_events
from stg_events
where occurred_at >= cast($since + 1 as timestamp)  -- the days after $since, read by time
group by account_id, event_type, event_date
