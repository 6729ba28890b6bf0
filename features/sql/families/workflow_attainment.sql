-- grain: one row per (account_id, as_of, workflow) for the workflows in the data
-- attainment: events done by the intended persona in the $recent_days days up to as_of over
-- (its target per user per 30 days x its registered users)
-- reads: workflow_days, obs_days, spine, workflows, persona_counts
with done as (
    select wd.account_id, o.as_of, wd.workflow,
           sum(wd.by_persona) as by_persona, sum(wd.by_anyone) as by_anyone
    from workflow_days as wd
    join obs_days as o on o.event_date = wd.event_date
    where o.age_days < $recent_days
    group by wd.account_id, o.as_of, wd.workflow
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
