-- grain: one row per event type that gets per-type features: the configured ones, or when
-- none are configured the $top_event_types most frequent up to the last observation date
-- reads: configured_event_types, stg_events, obs_dates
with most_frequent as (
    select e.event_type
    from stg_events as e
    where e.event_date <= (select max(o.as_of) from obs_dates as o)
    group by e.event_type
    order by count(*) desc, e.event_type
    limit $top_event_types
)
select c.event_type from configured_event_types as c
union all
select f.event_type from most_frequent as f
where not exists (select 1 from configured_event_types)
