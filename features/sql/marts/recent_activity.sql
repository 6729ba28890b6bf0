-- grain: one row per (account_id, event_type) over the $recent_days days up to the data end:
-- how often, by how many users, and whether people or the platform produce it
-- reads: stg_events
-- kind: mart
select account_id, event_type, count(*) as events, count(distinct user_id) as users,
       sum(quantity) as quantity,
       avg(case when user_id is null then cast(1 as double) else cast(0 as double) end) as platform_share
from stg_events
where event_date <= $data_end
  and event_date > $data_end - $recent_days
group by account_id, event_type
