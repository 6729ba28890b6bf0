-- grain: one row per product event
-- reads: events
-- kind: view
select account_id, user_id, occurred_at, cast(occurred_at as date) as event_date,
       event_type, coalesce(quantity, 1) as quantity
from events
