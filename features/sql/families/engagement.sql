-- grain: one row per (account_id, as_of) in the spine with a CSM touchpoint on or before as_of
-- reads: spine, stg_touchpoints, qbr_kinds
with seen as (
    select s.account_id, s.as_of, t.kind, cast(t.occurred_at as date) as touch_date
    from spine as s
    join stg_touchpoints as t
      on t.account_id = s.account_id and cast(t.occurred_at as date) <= s.as_of
)
select account_id, as_of,
       date_diff('day', max(touch_date), as_of) as days_since_last_touchpoint,
       sum(case when date_diff('day', touch_date, as_of) < $long_days then 1 else 0 end) as touchpoints_90d,
       date_diff('day', max(case when kind in (select q.kind from qbr_kinds as q) then touch_date end), as_of)
           as days_since_last_qbr
from seen
group by account_id, as_of
