-- kind: query (run by the portal with $account_id bound; not materialised by the pipeline)
-- grain: one row per user of account $account_id, registered or seen in its events: who they
-- are (users) and when they were active (user_activity)
-- reads: users, user_activity
select coalesce(u.account_id, a.account_id) as account_id, coalesce(u.user_id, a.user_id) as user_id,
       u.email, u.name, lower(u.persona) as persona, u.created_at, u.deactivated_at,
       a.first_active, a.last_active, coalesce(a.active_days, 0) as active_days
from (select * from users where account_id = $account_id) as u
full outer join (select * from user_activity where account_id = $account_id and last_active is not null) as a
  on a.user_id = u.user_id and a.account_id = u.account_id
order by a.last_active desc nulls last
