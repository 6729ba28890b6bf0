-- grain: one row per (account_id, user_id, event_date) with any event by that user
-- reads: stg_events
select account_id, user_id, event_date, count(*) as events
from stg_events
where user_id is not null
group by account_id, user_id, event_date
