-- grain: one row per (account_id, as_of) in the spine: the contract history as a renewal desk
-- reads it on as_of, from contracts started on or before as_of only: renewals survived, the
-- current term (its main line: the covering contract with the most ARR), what is in force, what
-- changed at the last renewal, during this term and in the last $changes_days days
-- reads: spine, stg_contracts, contract_changes
with in_force as (
    select s.account_id, s.as_of, c.contract_id, c.product, c.start_date, c.end_date,
           c.billing_period_months, coalesce(c.arr, 0) as arr,
           row_number() over (partition by s.account_id, s.as_of
                              order by coalesce(c.arr, 0) desc, c.end_date desc, c.contract_id) as line_rank
    from spine as s
    join stg_contracts as c
      on c.account_id = s.account_id
     and c.start_date <= s.as_of
     and (c.end_date is null or c.end_date >= s.as_of)
),
term as (
    select account_id, as_of,
           count(distinct coalesce(product, contract_id)) as products_in_force,
           sum(arr) as arr_in_force,
           sum(case when line_rank = 1 then arr else 0 end) as main_arr,
           max(case when line_rank = 1 then start_date end) as term_start,
           max(case when line_rank = 1 then end_date end) as term_end,
           max(case when line_rank = 1 then billing_period_months end) as billing_period_months
    from in_force
    group by account_id, as_of
),
known_changes as (
    select s.account_id, s.as_of, ch.change_day, ch.is_renewal, ch.arr_prior, ch.arr_after, ch.lines_prior,
           ch.lines_after,
           row_number() over (partition by s.account_id, s.as_of, ch.is_renewal order by ch.change_day desc) as recency
    from spine as s
    join contract_changes as ch
      on ch.account_id = s.account_id and ch.change_day <= s.as_of
),
history as (
    select k.account_id, k.as_of,
           sum(k.is_renewal) as renewals_survived,
           sum(case when k.change_day > t.term_start and k.is_renewal = 0 then 1 else 0 end) as midterm_changes_this_term,
           sum(case when date_diff('day', k.change_day, k.as_of) < $changes_days and k.arr_after > k.arr_prior
                    then 1 else 0 end) as arr_raised_180d,
           sum(case when date_diff('day', k.change_day, k.as_of) < $changes_days and k.arr_after < k.arr_prior
                    then 1 else 0 end) as arr_cut_180d,
           sum(case when date_diff('day', k.change_day, k.as_of) < $changes_days and k.lines_after > k.lines_prior
                    then k.lines_after - k.lines_prior else 0 end) as lines_added_180d,
           sum(case when date_diff('day', k.change_day, k.as_of) < $changes_days and k.lines_after < k.lines_prior
                    then k.lines_prior - k.lines_after else 0 end) as lines_dropped_180d
    from known_changes as k
    left join term as t on t.account_id = k.account_id and t.as_of = k.as_of
    group by k.account_id, k.as_of
),
last_renewal as (
    select account_id, as_of,
           case when arr_prior > 0 then arr_after / arr_prior - 1 end as arr_change_last_renewal,
           case when lines_after > lines_prior then lines_after - lines_prior else 0 end as lines_added_last_renewal,
           case when lines_after < lines_prior then lines_prior - lines_after else 0 end as lines_dropped_last_renewal
    from known_changes
    where is_renewal = 1 and recency = 1
)
select s.account_id, s.as_of,
       coalesce(h.renewals_survived, 0) as renewals_survived,
       -- 30.4375: the days in an average month (as a double: a bare 30.4375 is a DECIMAL in Spark)
       round(cast(date_diff('day', t.term_start, t.term_end) + 1 as double) / cast(30.4375 as double)) as term_months,
       cast(date_diff('day', t.term_start, s.as_of) as double)
           / (date_diff('day', t.term_start, t.term_end) + 1) as term_elapsed_share,
       case when date_diff('day', s.as_of, t.term_end) <= $long_days then 1 else 0 end as term_ends_within_90d,
       t.billing_period_months,
       t.products_in_force,
       case when t.arr_in_force > 0 then (t.arr_in_force - t.main_arr) / t.arr_in_force end as addon_arr_share,
       r.arr_change_last_renewal,
       r.lines_added_last_renewal,
       r.lines_dropped_last_renewal,
       coalesce(h.midterm_changes_this_term, 0) as midterm_changes_this_term,
       coalesce(h.arr_raised_180d, 0) as arr_raised_180d,
       coalesce(h.arr_cut_180d, 0) as arr_cut_180d,
       coalesce(h.lines_added_180d, 0) as lines_added_180d,
       coalesce(h.lines_dropped_180d, 0) as lines_dropped_180d
from spine as s
left join term as t on t.account_id = s.account_id and t.as_of = s.as_of
left join history as h on h.account_id = s.account_id and h.as_of = s.as_of
left join last_renewal as r on r.account_id = s.account_id and r.as_of = s.as_of
