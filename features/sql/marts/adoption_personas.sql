-- grain: one row per (account_id, as_of, persona): registered and 30-day-active users of it
-- reads: persona_counts
-- kind: mart by as_of (an incremental build replaces the dates it builds)
select pc.account_id, pc.as_of, pc.persona, pc.registered, pc.active_30d
from persona_counts as pc
