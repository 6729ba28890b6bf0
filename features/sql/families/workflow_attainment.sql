-- grain: one row per (account_id, as_of, workflow) for configured workflows
-- attainment: events done by the intended persona in the $recent_days days up to as_of over
-- (its target per user per 30 days x its registered users)
-- reads: workflow_user_days, workflows, obs_dates, stg_users, spine, persona_counts
with done as (
    select e.account_id, o.as_of, w.name as workflow,
           sum(case when u.persona = w.persona then e.events else 0 end) as by_persona,
           sum(e.events) as by_anyone
    from workflow_user_days as e
    join workflows as w on w.event_type = e.event_type
    join obs_dates as o
      on e.event_date <= o.as_of and e.event_date > o.as_of - interval ($recent_days) day
    left join stg_users as u on u.user_id = e.user_id
    group by e.account_id, o.as_of, w.name
)
select s.account_id, s.as_of, w.name as workflow,
       coalesce(d.by_persona, 0) as by_persona,
       coalesce(d.by_anyone, 0) as by_anyone,
       case when pc.registered > 0
            then coalesce(d.by_persona, 0) / (w.per_user_per_30d * pc.registered) end as attainment
from spine as s
cross join workflows as w
left join done as d on d.account_id = s.account_id and d.as_of = s.as_of and d.workflow = w.name
left join persona_counts as pc
  on pc.account_id = s.account_id and pc.as_of = s.as_of and pc.persona = w.persona
