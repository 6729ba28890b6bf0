"""Knobs of the synthetic portfolio. Data, not logic: change a number here, not in a function."""
from __future__ import annotations

SEGMENTS = ("SMB", "Mid-Market", "Enterprise", "Strategic")
SEGMENT_SHARE = (0.45, 0.30, 0.18, 0.07)
# ARR per seat-bearing account (median, lognormal sigma) and licensed seats (low, high)
SEGMENT_ARR = ((12_000, 0.45), (48_000, 0.45), (180_000, 0.40), (650_000, 0.40))
SEGMENT_SEATS = ((5, 30), (25, 150), (120, 700), (400, 2500))
UNLIMITED_SHARE = (0.0, 0.01, 0.05, 0.25)  # share of accounts with no seat cap, per segment
TOUCH_RATE = (0.6, 1.5, 3.0, 6.0)  # CSM touchpoints per month, per segment
TICKET_RATE = (0.4, 1.0, 2.5, 5.0)  # tickets per month in a normal month, per segment

OWNERS = ("Avery Chen", "Jordan Patel", "Morgan Silva", "Riley Okafor", "Casey Novak",
          "Taylor Brooks", "Jamie Alvarez", "Quinn Larsen", "Drew Kim", "Sasha Moreau",
          "Robin Adeyemi", "Parker Holt")
ACCOUNTS_PER_OWNER = 40
INDUSTRIES = ("Healthcare", "Insurance", "Retail", "Manufacturing", "Financial services",
              "Public sector", "Education", "Logistics")
REGIONS = ("NA", "EMEA", "APAC", "LATAM")
NAME_A = ("North", "Blue", "Silver", "Oak", "Summit", "Harbor", "Cedar", "Iron", "Bright",
          "River", "Stone", "Pine", "Golden", "Clear", "Maple", "Red", "Eagle", "Prime")
NAME_B = ("wind", "field", "point", "gate", "bridge", "view", "crest", "line", "stone", "path",
          "wave", "ridge", "brook", "haven", "works", "star")
NAME_C = ("Health", "Care", "Insurance", "Group", "Systems", "Partners", "Labs", "Holdings",
          "Networks", "Medical", "Logistics", "Retail")

HISTORY_DAYS = 730  # contracts start up to two years before the event window
TERM_YEARS = (1, 2, 3)
TERM_SHARE = (0.78, 0.14, 0.08)
LATE_RENEWAL_SHARE = 0.12  # renewals signed a few days after the term ends (within grace)
ADDON_SHARE = 0.18
MESSAGING_SHARE = 0.55  # accounts whose plan includes platform-sent messages

# hidden state: monthly AR(1) around the account's fit, plus shocks (per account-month odds)
STATE_PULL = 0.15
STATE_NOISE = 0.20
SHOCKS = {  # name: (monthly probability, immediate effect, permanent effect on fit)
    "champion_leaves": (0.012, -0.5, -0.7),
    "outage": (0.010, -0.4, 0.0),
    "reorg": (0.008, -0.3, -0.3),
    "budget_cut": (0.008, -0.2, 0.0),
    "new_sponsor": (0.010, 0.4, 0.6),
}
DELIVERY_FAILURE_ODDS = 0.005  # per account-month, for accounts with messaging
DELIVERY_FAILURE_DAYS = (60, 120)

# renewal decision: churn logit = a + b*state + extras
CHURN_LOGIT = {"intercept": -3.4, "state": -1.5, "budget_cut": 1.8, "no_champion": 0.8,
               "delivery_failure": 1.4, "low_utilisation": 0.9}

PERSONAS = ("admin", "analyst", "manager", "member")
PERSONA_SHARE = (0.05, 0.22, 0.13, 0.60)
PERSONA_ACTIVITY = (0.9, 1.0, 0.8, 0.55)  # relative daily-activity propensity
NEVER_LOGIN_SHARE = 0.12
DEACTIVATE_SHARE = 0.10
EVENT_TYPES = ("session_start", "report_viewed", "report_created", "dashboard_shared",
               "alert_configured", "user_invited", "export_run", "campaign_launched")
# extra (non-session) events per active user-day and their mix, per persona
PERSONA_EVENTS = {
    "admin": (0.5, {"alert_configured": 0.3, "user_invited": 0.3, "report_viewed": 0.4}),
    "analyst": (1.1, {"report_created": 0.35, "export_run": 0.25, "dashboard_shared": 0.15,
                      "report_viewed": 0.25}),
    "manager": (0.7, {"campaign_launched": 0.3, "dashboard_shared": 0.2, "report_viewed": 0.5}),
    "member": (0.4, {"report_viewed": 0.9, "export_run": 0.1}),
}
MISROUTED_SHARE = 0.15  # accounts where admins, not managers, launch campaigns
DELIVERED_EVENT = "message_sent"  # sent by the platform, no user
WEEKEND_FACTOR = 0.25
