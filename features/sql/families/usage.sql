-- grain: one row per (account_id, as_of) in the spine
-- windows: a day d counts at as_of when d <= as_of and d > as_of - N days, i.e. age_days < N
-- reads: spine, user_recency, account_days, obs_days, event_volume, type_days, obs_periods, obs_dates
with users_active as (
    select account_id, as_of,
           sum(case when recency_days < $short_days then 1 else 0 end) as active_users_short,
           sum(case when recency_days < $recent_days then 1 else 0 end) as active_users_recent,
           count(*) as active_users_long
    from user_recency
    group by account_id, as_of
),
stickiness as (
    -- user-days in the stickiness window: the daily active users summed over its days
    select ad.account_id, o.as_of, sum(ad.active_users) as user_days
    from account_days as ad
    join obs_days as o on o.event_date = ad.event_date
    where o.age_days < $stickiness_days
    group by ad.account_id, o.as_of
),
volume as (
    select account_id, as_of, events_recent, user_events_recent, event_types_recent, trend
    from event_volume
    where all_types
),
period_last_seen as (
    -- the latest event day of each account in each period (see obs_periods)
    select td.account_id, p.period, max(td.event_date) as last_day
    from type_days as td
    join obs_periods as p on p.event_date = td.event_date
    group by td.account_id, p.period
),
last_seen as (
    -- latest activity on or before as_of, unbounded look-back
    select pl.account_id, o.as_of, max(pl.last_day) as last_event_date
    from period_last_seen as pl
    join obs_dates as o on pl.period <= o.as_of
    group by pl.account_id, o.as_of
)
select s.account_id, s.as_of,
       coalesce(ua.active_users_short, 0) as active_users_7d,
       coalesce(ua.active_users_recent, 0) as active_users_30d,
       coalesce(ua.active_users_long, 0) as active_users_90d,
       case when ua.active_users_recent > 0
            then coalesce(st.user_days, 0) / cast($stickiness_days as double) / ua.active_users_recent
       end as dau_mau,
       case when ua.active_users_recent > 0
            then cast(v.user_events_recent as double) / ua.active_users_recent
       end as events_per_active_user_30d,
       coalesce(v.events_recent, 0) as events_30d,
       v.trend as events_trend_30d_vs_prior_60d,
       coalesce(v.event_types_recent, 0) as event_types_used_30d,
       date_diff('day', ls.last_event_date, s.as_of) as days_since_last_activity
from spine as s
left join users_active as ua on ua.account_id = s.account_id and ua.as_of = s.as_of
left join stickiness as st on st.account_id = s.account_id and st.as_of = s.as_of
left join volume as v on v.account_id = s.account_id and v.as_of = s.as_of
left join last_seen as ls on ls.account_id = s.account_id and ls.as_of = s.as_of
