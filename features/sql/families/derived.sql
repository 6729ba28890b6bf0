-- grain: one row per (account_id, as_of) in the spine: ratios across families
-- reads: spine, usage, seats, commercial
select s.account_id, s.as_of,
       cast(u.active_users_30d as double) / nullif(c.seats, 0) as active_users_over_seats,
       cast(st.never_logged_in_users as double) / nullif(st.registered_users, 0) as never_logged_in_share
from spine as s
left join usage as u on u.account_id = s.account_id and u.as_of = s.as_of
left join seats as st on st.account_id = s.account_id and st.as_of = s.as_of
left join commercial as c on c.account_id = s.account_id and c.as_of = s.as_of
