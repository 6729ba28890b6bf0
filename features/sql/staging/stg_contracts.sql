-- grain: one row per contract; arr is annual recurring revenue (mrr * 12 when only mrr came in)
-- reads: contracts
-- kind: view
select contract_id, account_id, start_date, end_date, arr, seats, product, plan,
       billing_period_months, coalesce(discount, 0) as discount
from contracts
