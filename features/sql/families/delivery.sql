-- grain: one row per (account_id, as_of) in the spine
-- a usually-regular event type occurred on $delivery_min_active_days or more of the
-- $delivery_lookback_days days up to as_of, on average at least every $delivery_max_usual_gap_days
-- days between its first and last day there; its silence is the days since it last did
-- reads: spine, type_slices, obs_slices
with history as (
    select ts.account_id, o.as_of, ts.event_type,
           sum(ts.active_days) as active_days, min(ts.first_day) as first_day, max(ts.last_day) as last_day
    from type_slices as ts
    join obs_slices as o on o.slice_end = ts.slice_end
    where o.oldest_age < $delivery_lookback_days
    group by ts.account_id, o.as_of, ts.event_type
),
regular as (
    select account_id, as_of, event_type,
           date_diff('day', last_day, as_of) as silent_days,
           cast(date_diff('day', first_day, last_day) as double) / (active_days - 1) as usual_gap_days
    from history
    where active_days >= $delivery_min_active_days
      and date_diff('day', first_day, last_day) <= $delivery_max_usual_gap_days * (active_days - 1)
),
ranked as (
    select account_id, as_of, event_type, silent_days, usual_gap_days,
           row_number() over (partition by account_id, as_of
                              order by silent_days - usual_gap_days desc, event_type) as worst
    from regular
)
select s.account_id, s.as_of,
       r.silent_days as delivery_silence_days,
       r.usual_gap_days as delivery_usual_gap_days,
       r.event_type as delivery_silent_event_type
from spine as s
left join ranked as r on r.account_id = s.account_id and r.as_of = s.as_of and r.worst = 1
