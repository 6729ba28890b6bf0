-- grain: one row per (account_id, as_of, event_type) with events in the $recent_days +
-- $prior_days days up to as_of, plus one row per (account_id, as_of) with all_types (and a null
-- event_type) for all types together: events in the recent window, in the prior one before it,
-- events by known users in the recent window, the event types seen in the recent window, and the trend
-- trend: the recent window's daily rate against the prior window's, minus 1 (null without prior events)
-- reads: type_slices, obs_slices
with per_type as (
    select ts.account_id, o.as_of, ts.event_type,
           sum(case when o.oldest_age < $recent_days then ts.events else 0 end) as events_recent,
           sum(case when o.oldest_age >= $recent_days then ts.events else 0 end) as events_prior,
           sum(case when o.oldest_age < $recent_days then ts.user_events else 0 end) as user_events_recent
    from type_slices as ts
    join obs_slices as o on o.slice_end = ts.slice_end
    where o.oldest_age < $recent_days + $prior_days
    group by ts.account_id, o.as_of, ts.event_type
),
counted as (
    select account_id, as_of, event_type, false as all_types, events_recent, events_prior,
           user_events_recent, case when events_recent > 0 then 1 else 0 end as event_types_recent
    from per_type
    union all
    select account_id, as_of, cast(null as varchar) as event_type, true as all_types,
           sum(events_recent), sum(events_prior), sum(user_events_recent),
           sum(case when events_recent > 0 then 1 else 0 end)
    from per_type
    group by account_id, as_of
)
select account_id, as_of, event_type, all_types, events_recent, events_prior, user_events_recent,
       event_types_recent,
       case when events_prior > 0
            then events_recent * (cast($prior_days as double) / $recent_days) / events_prior - 1
       end as trend
from counted
