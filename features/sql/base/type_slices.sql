-- grain: one row per (account_id, event_type, slice_end) with any event of that type in the
-- slice (see obs_slices): its events, events by known users, active days, first and last day
-- why: a window of any configured length is whole slices, so windows over type_days need one
-- row per slice instead of one per day
-- reads: type_days, day_slices
select td.account_id, td.event_type, ds.slice_end,
       sum(td.events) as events, sum(td.user_events) as user_events, count(*) as active_days,
       min(td.event_date) as first_day, max(td.event_date) as last_day
from type_days as td
join day_slices as ds on ds.event_date = td.event_date
group by td.account_id, td.event_type, ds.slice_end
