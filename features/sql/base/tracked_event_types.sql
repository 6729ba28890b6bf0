-- grain: one row per event type that gets per-type features: the configured ones, or when
-- none are configured the $top_event_types most frequent up to the last observation date, $last_date
-- reads: configured_event_types, type_days
with counted as (
    select td.event_type, sum(td.events) as events
    from type_days as td
    where td.event_date <= $last_date
    group by td.event_type
),
most_frequent as (
    select c.event_type, row_number() over (order by c.events desc, c.event_type) as frequency_rank
    from counted as c
)
select c.event_type from configured_event_types as c
union all
select f.event_type from most_frequent as f
where f.frequency_rank <= $top_event_types
  and not exists (select 1 from configured_event_types)
