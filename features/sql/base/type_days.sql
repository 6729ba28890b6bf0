-- grain: one row per (account_id, event_type, event_date) with any event of that type
-- reads: stg_events
select account_id, event_type, event_date, count(*) as events, sum(quantity) as quantity
from stg_events
group by account_id, event_type, event_date
