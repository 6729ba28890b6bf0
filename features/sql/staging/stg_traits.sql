-- grain: one row per manual trait setting: the source file's, then the portal's edits
-- reads: traits, trait_edits
-- kind: view
select account_id, as_of, lower(trait) as trait, lower(value) as value, 'source' as origin
from traits
union all
select account_id, edited_at as as_of, lower(trait) as trait, lower(value) as value, 'portal' as origin
from trait_edits
