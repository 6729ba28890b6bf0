-- grain: one row per (account_id, as_of) in the spine
-- windows: an event on day d counts at as_of when d <= as_of and d > as_of - N days
-- reads: spine, user_days, obs_dates, event_volume, type_days
with user_window as (
    select ud.account_id, o.as_of, ud.user_id, ud.events,
           date_diff('day', ud.event_date, o.as_of) as age_days
    from user_days as ud
    join obs_dates as o
      on ud.event_date <= o.as_of and ud.event_date > o.as_of - interval ($long_days) day
),
per_user as (
    select account_id, as_of, user_id,
           min(age_days) as recency_days,
           sum(case when age_days < $stickiness_days then 1 else 0 end) as active_days_stickiness,
           sum(case when age_days < $recent_days then events else 0 end) as events_recent
    from user_window
    group by account_id, as_of, user_id
),
users_active as (
    select account_id, as_of,
           sum(case when recency_days < $short_days then 1 else 0 end) as active_users_short,
           sum(case when recency_days < $recent_days then 1 else 0 end) as active_users_recent,
           count(*) as active_users_long,
           sum(active_days_stickiness) / cast($stickiness_days as double) as avg_dau,
           sum(events_recent) as user_events_recent
    from per_user
    group by account_id, as_of
),
volume as (
    select account_id, as_of, events_recent, event_types_recent, trend
    from event_volume
    where all_types
),
last_seen as (
    -- latest activity on or before as_of, unbounded look-back, by a running max over days
    select account_id, d as as_of, is_spine,
           max(seen) over (partition by account_id order by d, is_spine
                           rows between unbounded preceding and current row) as last_event_date
    from (
        select account_id, event_date as d, 0 as is_spine, event_date as seen from type_days
        union all
        select account_id, as_of as d, 1 as is_spine, cast(null as date) as seen from spine
    ) as marks
)
select s.account_id, s.as_of,
       coalesce(ua.active_users_short, 0) as active_users_7d,
       coalesce(ua.active_users_recent, 0) as active_users_30d,
       coalesce(ua.active_users_long, 0) as active_users_90d,
       case when ua.active_users_recent > 0 then ua.avg_dau / ua.active_users_recent end as dau_mau,
       case when ua.active_users_recent > 0 then ua.user_events_recent * 1.0 / ua.active_users_recent end
           as events_per_active_user_30d,
       coalesce(v.events_recent, 0) as events_30d,
       v.trend as events_trend_30d_vs_prior_60d,
       coalesce(v.event_types_recent, 0) as event_types_used_30d,
       date_diff('day', ls.last_event_date, s.as_of) as days_since_last_activity
from spine as s
left join users_active as ua on ua.account_id = s.account_id and ua.as_of = s.as_of
left join volume as v on v.account_id = s.account_id and v.as_of = s.as_of
left join last_seen as ls on ls.account_id = s.account_id and ls.as_of = s.as_of and ls.is_spine = 1
