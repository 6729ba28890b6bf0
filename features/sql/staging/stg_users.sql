-- grain: one row per user; lower-cased persona
-- reads: users
-- kind: view
select user_id, account_id, created_at, deactivated_at, email, name, lower(persona) as persona
from users
