-- grain: one row per (account_id, event_type) over the $recent_days days up to the data end:
-- how often, by how many users, and whether people or the platform produce it
-- reads: stg_events
-- kind: mart
select account_id, event_type, count(*) as events, count(distinct user_id) as users,
       sum(quantity) as quantity,
       avg(case when user_id is null then cast(1 as double) else cast(0 as double) end) as platform_share
from stg_events
-- on occurred_at itself (not its date), so the engine reads the other columns of those rows only
where occurred_at < cast($data_end + 1 as timestamp)
  and occurred_at >= cast($data_end + 1 - $recent_days as timestamp)
group by account_id, event_type
