-- grain: one row per (account_id, as_of, trait) in the spine with a setting of that trait on or
-- before as_of (portal edits made after the data end count at the data end, $data_end): the
-- latest setting's score (null for a value the declaration does not know) and its age in days
-- reads: spine, stg_traits, trait_values
with settings as (
    select s.account_id, s.as_of, t.trait, t.value, cast(t.as_of as date) as set_on,
           row_number() over (partition by s.account_id, s.as_of, t.trait
                              order by t.as_of desc, t.origin desc, t.value) as recency
    from spine as s
    join stg_traits as t
      on t.account_id = s.account_id
     and (cast(t.as_of as date) <= s.as_of
          or (t.origin = 'portal' and s.as_of = $data_end))
    where t.trait in (select v.trait from trait_values as v)
),
latest as (
    select * from settings where recency = 1
)
select l.account_id, l.as_of, l.trait, v.score, date_diff('day', l.set_on, l.as_of) as age_days
from latest as l
left join trait_values as v on v.trait = l.trait and v.value = l.value
