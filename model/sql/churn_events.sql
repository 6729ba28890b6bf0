-- grain: one row per (account_id, churn_date): a last covered day after which no contract of the
-- account covers the next day or starts within $grace_days, as known on $cutoff (contracts that
-- started by then). Only churns whose grace period ended by $cutoff are known.
with known as (
    select account_id, start_date, coalesce(end_date, date '9999-12-31') as end_date
    from contracts
    where start_date <= $cutoff
),
last_days as (
    select distinct account_id, end_date as last_day from known
)
select l.account_id, l.last_day as churn_date
from last_days as l
-- in days, not last_day + grace: a contract that never ends (9999-12-31) would pass Spark's last date
where date_diff('day', l.last_day, $cutoff) >= $grace_days
  and not exists (
      select 1 from known as k
      where k.account_id = l.account_id
        and date_diff('day', l.last_day, k.start_date) <= $grace_days
        and k.end_date > l.last_day
  )
