-- grain: one row per (account_id, as_of) in the spine; tickets opened on or before as_of
-- a ticket counts as closed at as_of only if closed_at is on or before as_of
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
    select * from known where opened_on > as_of - interval ($long_days) day
)
select s.account_id, s.as_of,
       coalesce(r.tickets_90d, 0) as tickets_90d,
       coalesce(r.defect_tickets_90d, 0) as defect_tickets_90d,
       coalesce(r.help_tickets_90d, 0) as help_tickets_90d,
       coalesce(o.open_tickets, 0) as open_tickets,
       r.median_days_to_close_90d,
       case when r.tickets_90d > 0 then r.high_priority_90d * 1.0 / r.tickets_90d end
           as high_priority_share_90d
from spine as s
left join (
    select account_id, as_of,
           count(*) as tickets_90d,
           sum(case when kind in (select kind from defect_kinds) then 1 else 0 end) as defect_tickets_90d,
           sum(case when kind in (select kind from help_kinds) then 1 else 0 end) as help_tickets_90d,
           median(date_diff('minute', opened_at, closed_at) / 1440.0) as median_days_to_close_90d,
           sum(case when priority in (select priority from high_priorities) then 1 else 0 end)
               as high_priority_90d
    from recent
    group by account_id, as_of
) as r on r.account_id = s.account_id and r.as_of = s.as_of
left join (
    select account_id, as_of, count(*) as open_tickets
    from known where closed_at is null
    group by account_id, as_of
) as o on o.account_id = s.account_id and o.as_of = s.as_of
