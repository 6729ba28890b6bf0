-- grain: one row per (account_id, user_id) with any activity: first and last active day, active days
-- why: who each user is stays in `users`, which the portal joins (account_users.sql), so a build
-- writes the activity alone, not a copy of the user list
-- reads: user_history
-- kind: mart
select account_id, user_id, min(first_day) as first_active, max(last_day) as last_active,
       cast(sum(active_days) as bigint) as active_days
from user_history
group by account_id, user_id
