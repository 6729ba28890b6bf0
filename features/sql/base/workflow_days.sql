-- grain: one row per (account_id, workflow, event_date) with any event of the workflow's type:
-- events by a user of the workflow's intended persona, and by anyone (platform events included)
-- reads: stg_events, workflows, stg_users
-- kind: grain by event_date (kept between builds; an incremental build redoes the days after $since)
select e.account_id, w.name as workflow, e.event_date,
       sum(case when u.persona = w.persona then 1 else 0 end) as by_persona,
       count(*) as by_anyone
from stg_events as e
join workflows as w on w.event_type = e.event_type
left join stg_users as u on u.user_id = e.user_id
where e.occurred_at >= cast($since + 1 as timestamp)  -- the days after $since, read by time
group by e.account_id, w.name, e.event_date
