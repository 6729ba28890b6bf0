-- grain: one row per user (registered or seen in events): first and last active day, active days
-- reads: stg_users, user_history
-- kind: mart
select coalesce(u.account_id, a.account_id) as account_id, coalesce(u.user_id, a.user_id) as user_id,
       u.email, u.name, u.persona, u.created_at, u.deactivated_at,
       a.first_active, a.last_active, coalesce(a.active_days, 0) as active_days
from stg_users as u
full outer join (
    select account_id, user_id, min(first_day) as first_active, max(last_day) as last_active,
           cast(sum(active_days) as bigint) as active_days
    from user_history
    group by account_id, user_id
) as a on a.user_id = u.user_id and a.account_id = u.account_id
