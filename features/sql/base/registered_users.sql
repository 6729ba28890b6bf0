-- grain: one row per (account_id, as_of, user_id): users registered at as_of, i.e. created on
-- or before it and not deactivated by then, with their persona ('unknown' when not given)
-- reads: spine, stg_users
select s.account_id, s.as_of, u.user_id, coalesce(u.persona, 'unknown') as persona
from spine as s
join stg_users as u
  on u.account_id = s.account_id
 and cast(u.created_at as date) <= s.as_of
 and (u.deactivated_at is null or cast(u.deactivated_at as date) > s.as_of)
