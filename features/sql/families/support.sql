-- grain: one row per (account_id, as_of) in the spine; tickets opened on or before as_of
-- a ticket counts as closed at as_of only if closed_at is on or before as_of; days to close
-- count the minute boundaries between opening and closing (the minutes are truncated first,
-- so every engine counts them alike)
-- reads: spine, stg_tickets, defect_kinds, help_kinds, high_priorities
with known as (
    select s.account_id, s.as_of, t.kind, t.priority,
           cast(t.opened_at as date) as opened_on,
           case when cast(t.closed_at as date) <= s.as_of then t.closed_at end as closed_at,
           t.opened_at
    from spine as s
    join stg_tickets as t
      on t.account_id = s.account_id and cast(t.opened_at as date) <= s.as_of
),
recent as (
    select * from known where date_diff('day', opened_on, as_of) < $long_days
)
select s.account_id, s.as_of,
       coalesce(r.tickets_90d, 0) as tickets_90d,
       coalesce(r.defect_tickets_90d, 0) as defect_tickets_90d,
       coalesce(r.help_tickets_90d, 0) as help_tickets_90d,
       coalesce(o.open_tickets, 0) as open_tickets,
       r.median_days_to_close_90d,
       case when r.tickets_90d > 0 then cast(r.high_priority_90d as double) / r.tickets_90d end
           as high_priority_share_90d
from spine as s
left join (
    select account_id, as_of,
           count(*) as tickets_90d,
           sum(case when kind in (select d.kind from defect_kinds as d) then 1 else 0 end) as defect_tickets_90d,
           sum(case when kind in (select h.kind from help_kinds as h) then 1 else 0 end) as help_tickets_90d,
           median(cast(date_diff('minute', date_trunc('minute', opened_at), date_trunc('minute', closed_at))
                       as double) / 1440) as median_days_to_close_90d,
           sum(case when priority in (select p.priority from high_priorities as p) then 1 else 0 end)
               as high_priority_90d
    from recent
    group by account_id, as_of
) as r on r.account_id = s.account_id and r.as_of = s.as_of
left join (
    select account_id, as_of, count(*) as open_tickets
    from known where closed_at is null
    group by account_id, as_of
) as o on o.account_id = s.account_id and o.as_of = s.as_of
