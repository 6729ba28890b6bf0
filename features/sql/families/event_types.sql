-- grain: one row per (account_id, as_of, event_type) for the tracked event types with events
-- in the $recent_days + $prior_days days up to as_of: the recent count and the trend
-- reads: event_volume, tracked_event_types
select v.account_id, v.as_of, v.event_type, v.events_recent, v.trend
from event_volume as v
where not v.all_types
  and v.event_type in (select t.event_type from tracked_event_types as t)
