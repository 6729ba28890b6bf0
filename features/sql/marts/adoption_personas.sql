-- grain: one row per (account_id, as_of, persona): registered and 30-day-active users of it
-- reads: persona_counts
-- kind: mart
select pc.account_id, pc.as_of, pc.persona, pc.registered, pc.active_30d
from persona_counts as pc
