-- grain: one row per (account_id, as_of) with registered users
-- reads: persona_counts
select pc.account_id, pc.as_of,
       sum(pc.registered) as registered_users,
       sum(pc.never_logged_in) as never_logged_in_users
from persona_counts as pc
group by pc.account_id, pc.as_of
