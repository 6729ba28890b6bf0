-- grain: one row per (account_id, as_of, event_type) with events in the $recent_days +
-- $prior_days days up to as_of, plus one row per (account_id, as_of) with all_types (and a null
-- event_type) for all types together: events in the recent window, in the prior one before it, and the trend
-- trend: the recent window's daily rate against the prior window's, minus 1 (null without prior events)
-- reads: type_days, obs_dates
with windowed as (
    select td.account_id, o.as_of, td.event_type, td.events,
           date_diff('day', td.event_date, o.as_of) as age_days
    from type_days as td
    join obs_dates as o
      on td.event_date <= o.as_of
     and td.event_date > o.as_of - interval ($recent_days + $prior_days) day
),
counted as (
    select account_id, as_of, event_type,
           sum(case when age_days < $recent_days then events else 0 end) as events_recent,
           sum(case when age_days >= $recent_days then events else 0 end) as events_prior,
           count(distinct case when age_days < $recent_days then event_type end) as event_types_recent,
           grouping(event_type) = 1 as all_types
    from windowed
    group by grouping sets ((account_id, as_of, event_type), (account_id, as_of))
)
select account_id, as_of, event_type, all_types, events_recent, events_prior, event_types_recent,
       case when events_prior > 0
            then events_recent * (cast($prior_days as double) / $recent_days) / events_prior - 1
       end as trend
from counted
