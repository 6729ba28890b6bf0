-- grain: one row per account
select account_id, name, owner, segment, industry, region, created_at
from accounts
