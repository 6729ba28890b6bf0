-- grain: one row per support ticket
-- reads: tickets
-- kind: view
select ticket_id, account_id, opened_at, closed_at, lower(kind) as kind,
       lower(priority) as priority, lower(status) as status
from tickets
