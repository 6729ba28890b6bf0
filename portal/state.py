"""Session-state and query-parameter keys, in one place."""

ACCOUNT_PARAM = "account"  # ?account=ID deep-links to the account page
FILTER_OWNER = "filter_owner"
FILTER_SEGMENT = "filter_segment"
FILTER_TIER = "filter_tier"
FILTER_HEALTH_TIER = "filter_health_tier"
ACCOUNT_PICK = "account_pick"
PROMOTE_PENDING = "promote_pending"
SAVED_FLASH = "saved_flash"  # the confirmation shown after a save's rerun
IDENTITY = "identity"  # the signed-in portal.access.Identity, set by app.py on every run
DEMO_ROLE = "demo_role"
DEMO_OWNER = "demo_owner"
SAVE_RESULT = "save_result"  # (kind, message) left by the save callback when nothing was saved
