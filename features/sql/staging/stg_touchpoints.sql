-- grain: one row per CSM touchpoint
-- reads: touchpoints
-- kind: view
select account_id, occurred_at, lower(kind) as kind, owner, notes
from touchpoints
