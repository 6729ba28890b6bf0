-- grain: one row per configured workflow whose event type occurs in the data
-- (the others are left out, and the pipeline says so)
-- reads: configured_workflows, type_days
select w.name, w.event_type, w.persona, w.per_user_per_30d, w.description
from configured_workflows as w
where w.event_type in (select td.event_type from type_days as td)
