-- grain: one row per user; lower-cased persona
select user_id, account_id, created_at, deactivated_at, email, name, lower(persona) as persona
from users
