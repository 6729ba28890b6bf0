-- grain: one row per (account_id, user_id, event_date) with any event by that user, for the
-- days after $since (every day in a full build)
-- reads: stg_events
select distinct account_id, user_id, event_date
from stg_events
where user_id is not null
  and occurred_at >= cast($since + 1 as timestamp)  -- the days after $since, read by time
