-- grain: one row per (account_id, user_id) for every day up to $merge_date (the observation
-- date before the last; period $merge_date), plus one row per (account_id, user_id, period) for
-- the later periods: first and last active day, active days
-- why: what a build keeps for the next one (schema feature_state), which rebuilds only the
-- days after one of the last two dates; and all a user's history in few rows
-- reads: user_periods
select account_id, user_id,
       case when period <= $merge_date then $merge_date else period end as period,
       min(first_day) as first_day, max(last_day) as last_day, cast(sum(active_days) as bigint) as active_days
from user_periods
group by account_id, user_id, case when period <= $merge_date then $merge_date else period end
