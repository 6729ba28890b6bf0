-- grain: one row per (account_id, as_of, workflow) for the workflows in the data: attainment
-- and what the workflow is (its event type, intended persona and target)
-- reads: workflow_attainment, workflows
-- kind: mart by as_of (an incremental build replaces the dates it builds)
select wa.*, w.description, w.event_type, w.persona as intended_persona, w.per_user_per_30d
from workflow_attainment as wa
join workflows as w on w.name = wa.workflow
