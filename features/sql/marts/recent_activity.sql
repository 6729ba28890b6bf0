-- grain: one row per (account_id, event_type) over the $recent_days days up to the data end:
-- how often, by how many users, and whether people or the platform produce it
-- reads: stg_events
-- kind: mart
with per_user as (
    -- one row per user (and one for the platform's events, user_id null): counting the users is
    -- then a count of rows, not a distinct count over every event
    select account_id, event_type, user_id, count(*) as events, sum(quantity) as quantity
    from stg_events
    -- on occurred_at itself (not its date), so the engine reads the other columns of those rows only
    where occurred_at < cast($data_end + 1 as timestamp)
      and occurred_at >= cast($data_end + 1 - $recent_days as timestamp)
    group by account_id, event_type, user_id
)
select account_id, event_type, cast(sum(events) as bigint) as events, count(user_id) as users,
       sum(quantity) as quantity,
       cast(sum(case when user_id is null then events else 0 end) as double) / sum(events) as platform_share
from per_user
group by account_id, event_type
