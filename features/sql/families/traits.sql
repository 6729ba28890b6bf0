-- grain: one row per (account_id, as_of) in the spine: the latest setting of each manual trait
-- on or before as_of, and its age in days
with settings as (
    select s.account_id, s.as_of, t.trait, t.value, cast(t.as_of as date) as set_on,
           row_number() over (partition by s.account_id, s.as_of, t.trait
                              order by t.as_of desc, t.origin desc) as recency
    from spine as s
    join stg_traits as t
      on t.account_id = s.account_id
     and (cast(t.as_of as date) <= s.as_of
          -- edits made in the portal after the data end update the current snapshot
          or (t.origin = 'portal' and s.as_of = (select as_of from current_snapshot)))
),
latest as (
    select * from settings where recency = 1
)
select account_id, as_of,
       max(case when trait = 'pulse' then
               case value when 'healthy' then 100 when 'concerning' then 50 when 'poor' then 0 end
           end) as pulse_score,
       max(case when trait = 'pulse' then date_diff('day', set_on, as_of) end) as pulse_age_days,
       max(case when trait = 'champion' then case when value in ('yes', 'true', '1') then 1 else 0 end end)
           as champion,
       max(case when trait = 'champion' then date_diff('day', set_on, as_of) end) as champion_age_days,
       max(case when trait = 'buyer_access' then case when value in ('yes', 'true', '1') then 1 else 0 end end)
           as buyer_access,
       max(case when trait = 'buyer_access' then date_diff('day', set_on, as_of) end) as buyer_access_age_days
from latest
group by account_id, as_of
