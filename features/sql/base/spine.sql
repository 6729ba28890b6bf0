-- grain: one row per (account_id, as_of): accounts a contract covers on as_of
-- (end_date is the last covered day, inclusive; a null end_date never ends)
-- reads: stg_contracts, obs_dates
select distinct c.account_id, o.as_of
from stg_contracts as c
join obs_dates as o
  on c.start_date <= o.as_of and (c.end_date is null or c.end_date >= o.as_of)
