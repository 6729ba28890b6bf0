-- grain: one row per (account_id, as_of) in the spine; contracts that started on or before as_of
-- seat_change_last_renewal: licensed seats of every line in force just after the last renewal
-- (base/contract_changes.sql) against just before it; an add-on or a second booking mid-term
-- is not a renewal, and a first term has none
-- reads: spine, stg_contracts, contract_changes
with known as (
    select s.account_id, s.as_of, c.contract_id, c.start_date, c.end_date, c.arr, c.seats, c.discount,
           (c.start_date <= s.as_of and (c.end_date is null or c.end_date >= s.as_of)) as covers_now,
           (c.start_date <= s.as_of - 365
            and (c.end_date is null or c.end_date >= s.as_of - 365)) as covered_year_ago
    from spine as s
    join stg_contracts as c on c.account_id = s.account_id and c.start_date <= s.as_of
),
renewals as (
    select s.account_id, s.as_of, ch.seats_prior, ch.seats_after,
           row_number() over (partition by s.account_id, s.as_of order by ch.change_day desc) as recency
    from spine as s
    join contract_changes as ch on ch.account_id = s.account_id and ch.change_day <= s.as_of
    where ch.is_renewal = 1
),
totals as (
    select account_id, as_of,
           sum(case when covers_now then arr end) as arr,
           sum(case when covers_now then seats end) as seats,
           date_diff('day', min(start_date), as_of) as tenure_days,
           date_diff('day', as_of, min(case when covers_now then end_date end)) as days_to_renewal,
           sum(case when covers_now then arr * discount end)
               / nullif(sum(case when covers_now then arr end), 0) as discount,
           sum(case when covered_year_ago then arr end) as arr_year_ago
    from known
    group by account_id, as_of
)
select t.account_id, t.as_of, t.arr, t.seats, t.tenure_days, t.days_to_renewal, t.discount,
       case when t.arr_year_ago > 0 then t.arr / t.arr_year_ago - 1 end as arr_change_12m,
       case when r.seats_prior > 0 then cast(r.seats_after as double) / r.seats_prior - 1 end
           as seat_change_last_renewal
from totals as t
left join renewals as r on r.account_id = t.account_id and r.as_of = t.as_of and r.recency = 1
