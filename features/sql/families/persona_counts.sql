-- grain: one row per (account_id, as_of, persona) with registered users (created on or before
-- as_of, not deactivated by then; persona 'unknown' when not given): how many, how many were
-- active in the $recent_days days up to as_of, and how many had no activity on or before it
-- reads: spine, stg_users, user_history, user_recency
with first_seen as (
    select uh.user_id, min(uh.first_day) as first_event_date
    from user_history as uh
    group by uh.user_id
),
people as (
    select u.user_id, u.account_id, coalesce(u.persona, 'unknown') as persona,
           cast(u.created_at as date) as created_on, cast(u.deactivated_at as date) as deactivated_on,
           f.first_event_date
    from stg_users as u
    left join first_seen as f on f.user_id = u.user_id
),
registered as (
    select s.account_id, s.as_of, u.persona, count(*) as registered,
           sum(case when u.first_event_date is null or u.first_event_date > s.as_of then 1 else 0 end)
               as never_logged_in
    from spine as s
    join people as u
      on u.account_id = s.account_id and u.created_on <= s.as_of
     and (u.deactivated_on is null or u.deactivated_on > s.as_of)
    group by s.account_id, s.as_of, u.persona
),
active as (
    -- the same registered users, counted from the active side (a user is active once at as_of,
    -- whichever account their events name)
    select s.account_id, s.as_of, u.persona, count(*) as active_30d
    from (select distinct ur.user_id, ur.as_of from user_recency as ur where ur.recency_days < $recent_days) as a
    join people as u on u.user_id = a.user_id
    join spine as s
      on s.account_id = u.account_id and s.as_of = a.as_of and u.created_on <= s.as_of
     and (u.deactivated_on is null or u.deactivated_on > s.as_of)
    group by s.account_id, s.as_of, u.persona
)
select r.account_id, r.as_of, r.persona, r.registered, coalesce(a.active_30d, 0) as active_30d,
       r.never_logged_in
from registered as r
left join active as a on a.account_id = r.account_id and a.as_of = r.as_of and a.persona = r.persona
