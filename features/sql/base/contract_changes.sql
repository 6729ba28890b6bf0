-- grain: one row per (account_id, change_day) on which the contract lines covering a returning
-- customer change: a renewal, or a plan, add-on or seats bought or dropped mid-term. A day is a
-- candidate when a contract starts on it or ended the day before; the account's first start is
-- not a change. Every number reads only contracts covering the day or the day before (all of
-- them started by then), so a row is known on its change_day and later.
--   renewal: a contract starts on the day and one ended the day before, or coverage resumes after a gap
--   arr_prior, lines_prior: the coverage just before (before the gap, when coverage resumes)
--   seats_prior, seats_after: licensed seats of those lines (null when none of them names seats)
-- reads: stg_contracts
with candidate_days as (
    select account_id, start_date as change_day from stg_contracts
    union
    select account_id, cast(end_date + interval 1 day as date) as change_day from stg_contracts
    where end_date is not null
),
coverage as (
    select d.account_id, d.change_day,
           sum(case when c.end_date is null or c.end_date >= d.change_day then coalesce(c.arr, 0) else 0 end) as arr_after,
           sum(case when c.end_date is null or c.end_date >= d.change_day then 1 else 0 end) as lines_after,
           sum(case when c.start_date < d.change_day then coalesce(c.arr, 0) else 0 end) as arr_before,
           sum(case when c.start_date < d.change_day then 1 else 0 end) as lines_before,
           sum(case when c.end_date is null or c.end_date >= d.change_day then c.seats end) as seats_after,
           sum(case when c.start_date < d.change_day then c.seats end) as seats_before,
           max(case when c.start_date = d.change_day then 1 else 0 end) as starts_on_day,
           max(case when c.end_date < d.change_day then 1 else 0 end) as ended_day_before
    from candidate_days as d
    join stg_contracts as c
      on c.account_id = d.account_id
     and c.start_date <= d.change_day
     and (c.end_date is null or c.end_date >= cast(d.change_day - interval 1 day as date))
    group by d.account_id, d.change_day
),
ordered as (
    select cv.*,
           lag(cv.arr_before) over (partition by cv.account_id order by cv.change_day) as arr_before_gap,
           lag(cv.lines_before) over (partition by cv.account_id order by cv.change_day) as lines_before_gap,
           lag(cv.seats_before) over (partition by cv.account_id order by cv.change_day) as seats_before_gap,
           max(cv.lines_after) over (partition by cv.account_id order by cv.change_day
                                     rows between unbounded preceding and 1 preceding) as lines_earlier
    from coverage as cv
),
changes as (
    select account_id, change_day, arr_after, lines_after, seats_after,
           case when starts_on_day = 1 and (ended_day_before = 1 or lines_before = 0) then 1 else 0 end as is_renewal,
           case when lines_before > 0 then arr_before else arr_before_gap end as arr_prior,
           case when lines_before > 0 then lines_before else lines_before_gap end as lines_prior,
           case when lines_before > 0 then seats_before else seats_before_gap end as seats_prior
    from ordered
    where lines_after > 0 and coalesce(lines_earlier, 0) > 0
)
select account_id, change_day, is_renewal, arr_prior, arr_after, lines_prior, lines_after, seats_prior,
       seats_after
from changes
where is_renewal = 1 or arr_after <> arr_prior or lines_after <> lines_prior
