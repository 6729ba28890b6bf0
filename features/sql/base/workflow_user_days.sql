-- grain: one row per (account_id, user_id, event_type, event_date) for workflow event types
-- reads: stg_events, workflows
select account_id, user_id, event_type, event_date, count(*) as events
from stg_events
where event_type in (select event_type from workflows)
group by account_id, user_id, event_type, event_date
