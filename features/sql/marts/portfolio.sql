-- kind: query (run by the portal with $as_of bound; not materialised by the pipeline)
-- grain: one row per scored account at $as_of: risk, health, renewal, top driver
-- reads: scores, accounts, health, features, drivers
with top_drivers as (
    select account_id, as_of, sentence
    from drivers
    where direction = 'raises' and rank = 1
)
select s.account_id,
       coalesce(a.name, s.account_id) as name,
       coalesce(a.owner, 'Unassigned') as owner,
       coalesce(a.segment, 'Unknown') as segment,
       s.as_of, s.churn_probability, s.risk_tier, s.arr, s.arr_at_risk, s.model_version,
       h.health_score,
       coalesce(h.health_tier, 'unknown') as health_tier,
       h.coverage, h.missing_traits, h.stale_traits,
       f.days_to_renewal,
       s.as_of + cast(f.days_to_renewal as integer) as renewal_date,
       d.sentence as top_driver
from scores as s
left join accounts as a on a.account_id = s.account_id
left join health as h on h.account_id = s.account_id and h.as_of = s.as_of
left join features as f on f.account_id = s.account_id and f.as_of = s.as_of
left join top_drivers as d on d.account_id = s.account_id and d.as_of = s.as_of
where s.as_of = $as_of
order by s.churn_probability desc
