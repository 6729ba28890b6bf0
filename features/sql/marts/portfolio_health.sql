-- kind: query (run by the portal with $as_of bound while no account is scored: no churn model yet)
-- grain: one row per account with a health score at $as_of: health, ARR, renewal
-- reads: health, accounts, features
select h.account_id,
       coalesce(a.name, h.account_id) as name,
       coalesce(a.owner, 'Unassigned') as owner,
       coalesce(a.segment, 'Unknown') as segment,
       h.as_of, f.arr,
       h.health_score,
       coalesce(h.health_tier, 'unknown') as health_tier,
       h.coverage, h.missing_traits, h.stale_traits,
       f.days_to_renewal,
       h.as_of + cast(f.days_to_renewal as integer) as renewal_date
from health as h
left join accounts as a on a.account_id = h.account_id
left join features as f on f.account_id = h.account_id and f.as_of = h.as_of
where h.as_of = $as_of
order by h.health_score nulls last, h.account_id
