-- grain: one row per (account_id, as_of, event_type) for the tracked event types
select td.account_id, o.as_of, td.event_type,
       sum(case when td.event_date > o.as_of - interval 30 day then td.events else 0 end) as n_30d,
       sum(case when td.event_date <= o.as_of - interval 30 day then td.events else 0 end) as n_prior_60d
from type_days as td
join obs_dates as o
  on td.event_date <= o.as_of and td.event_date > o.as_of - interval 90 day
where td.event_type in (select event_type from tracked_event_types)
group by td.account_id, o.as_of, td.event_type
