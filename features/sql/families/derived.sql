-- grain: one row per (account_id, as_of): the joined families plus ratios across them
select *,
       active_users_30d * 1.0 / nullif(seats, 0) as active_users_over_seats,
       never_logged_in_users * 1.0 / nullif(registered_users, 0) as never_logged_in_share
from joined
