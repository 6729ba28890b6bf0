-- grain: one row per account
-- reads: accounts
-- kind: view
select account_id, name, owner, segment, industry, region, created_at
from accounts
