-- grain: one row per (account_id, as_of, persona) for the key personas with registered users:
-- the share of them active in the last $recent_days days
-- reads: persona_counts, key_personas
select pc.account_id, pc.as_of, pc.persona, cast(pc.active_30d as double) / pc.registered as share
from persona_counts as pc
where pc.persona in (select k.persona from key_personas as k)
