-- grain: one row per (account_id, as_of) in the spine: key-persona coverage and workflow targets
-- reads: spine, persona_counts, key_personas, workflow_attainment
with personas as (
    select account_id, as_of,
           cast(sum(active_30d) as double) / nullif(sum(registered), 0) as persona_coverage
    from persona_counts
    where persona in (select k.persona from key_personas as k)
    group by account_id, as_of
),
flows as (
    select account_id, as_of,
           avg(case when attainment >= 1 then cast(1 as double)
                    when attainment is not null then cast(0 as double) end) as workflows_on_target_share,
           1 - cast(sum(by_persona) as double) / nullif(sum(by_anyone), 0) as workflows_by_wrong_persona_share
    from workflow_attainment
    group by account_id, as_of
)
select s.account_id, s.as_of, p.persona_coverage, f.workflows_on_target_share,
       f.workflows_by_wrong_persona_share
from spine as s
left join personas as p on p.account_id = s.account_id and p.as_of = s.as_of
left join flows as f on f.account_id = s.account_id and f.as_of = s.as_of
