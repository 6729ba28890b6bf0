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
SLICE_DAYS = 30  # the hidden state changes once per slice of this many days
NEWEST_START_BEFORE_END_DAYS = 120  # the last new customer starts this long before the data end
ACCOUNT_CREATED_DAYS_BEFORE = 14  # an account is created this long before its first contract
OWNER_LOAD = (0.5, 1.4)  # owners' portfolio sizes, from half to 1.4x the average
OWNER_DILIGENCE = (0.45, 1.3)  # how regularly an owner touches accounts (uniform range) ...
ACCOUNT_DILIGENCE = (0.7, 1.2)  # ... times a per-account factor
ONE_UNCAPPED_FROM = 50  # portfolios of at least this many accounts hold one with no seat cap
TERM_YEARS = (1, 2, 3)
TERM_SHARE = (0.78, 0.14, 0.08)
LATE_RENEWAL_SHARE = 0.12  # renewals signed a few days after the term ends (within grace)
LATE_RENEWAL_DAYS = (3, 25)  # how late
ADDON_SHARE = 0.18
ADDON_PRODUCT = "Analytics+"
ADDON_AFTER_DAYS = (60, 500)  # an add-on starts this long after the account's first contract
ADDON_ARR_SHARE = 0.2  # of the platform contract's ARR
PLAN_NAMES = ("Starter", "Growth", "Enterprise", "Strategic")  # per segment
DISCOUNTS = (0, 0, 0.05, 0.1, 0.15, 0.2)  # drawn uniformly, once per account
BILLING_MONTHS = 12
# at renewal: seats grow with high utilisation and a healthy state, shrink with low utilisation
# or a budget cut; prices rise a little, and fall with a budget cut
UPSELL_UTILISATION = 0.72
UPSELL_STATE = 0.3
UPSELL_FACTOR = (1.1, 1.5)
DOWNSELL_UTILISATION = 0.5
DOWNSELL_FACTOR = (0.6, 0.9)
PRICE_CHANGE = (1.0, 1.07)
BUDGET_CUT_PRICE = 0.85
MESSAGING_SHARE = 0.55  # accounts whose plan includes platform-sent messages

# hidden state: monthly AR(1) around the account's fit, plus shocks (per account-month odds)
FIT = (0.45, 0.8)  # an account's long-run fit: normal (mean, sd)
STATE_START_NOISE = 0.5  # the first slice's state around the fit
STATE_PULL = 0.15
STATE_NOISE = 0.20
CHAMPION_SHARE = 0.8  # accounts that start with a champion
BUDGET_CUT_SLICES = 12  # a budget cut weighs on renewals for this many slices
SHOCKS = {  # name: (monthly probability, immediate effect, permanent effect on fit)
    "champion_leaves": (0.012, -0.5, -0.7),
    "outage": (0.010, -0.4, 0.0),
    "reorg": (0.008, -0.3, -0.3),
    "budget_cut": (0.008, -0.2, 0.0),
    "new_sponsor": (0.010, 0.4, 0.6),
}
DELIVERY_FAILURE_ODDS = 0.005  # per account-month, for accounts with messaging
DELIVERY_FAILURE_DAYS = (60, 120)
FAILURE_NOTICED_DAYS = 60  # customers notice a delivery failure this long after it starts ...
FAILURE_STATE_HIT = 0.6  # ... and their state drops by this much
FAILURE_REMEMBERED_DAYS = 240  # a failure this recent still weighs on a renewal

# renewal decision: churn logit = a + b*state + extras, on the state's mean over the last
# RECENT_STATE_SLICES slices; utilisation below LOW_UTILISATION counts as low
RECENT_STATE_SLICES = 3
LOW_UTILISATION = 0.45
# share of a user's propensity realised on a weekday: logistic(slope * state + offset)
ACTIVITY_CURVE = (1.1, 0.3)
CHURN_LOGIT = {"intercept": -3.4, "state": -1.5, "budget_cut": 1.8, "no_champion": 0.8,
               "delivery_failure": 1.4, "low_utilisation": 0.9}

PERSONAS = ("admin", "analyst", "manager", "member")
PERSONA_SHARE = (0.05, 0.22, 0.13, 0.60)
PERSONA_ACTIVITY = (0.9, 1.0, 0.8, 0.55)  # relative daily-activity propensity
PROPENSITY_BETA = (3, 2.2)  # a user's chance of being active on a normal weekday (beta a, b)
UNCAPPED_PROPENSITY = 0.08  # most users of accounts with no seat cap are occasional
NEVER_LOGIN_SHARE = 0.12
DEACTIVATE_SHARE = 0.10
DEACTIVATE_AFTER_DAYS = (30, 900)  # after sign-up
LEAVE_AFTER_CHURN_DAYS = (5, 40)  # every user of a churned account is deactivated this soon
USERS_PER_SEAT = (0.6, 1.15)  # registered users over the most seats an account held
UNCAPPED_USERS = ((400, 400, 400, 1500), 0.6)  # no seat cap: lognormal median per segment, sigma
HUGE_ACCOUNT_FROM = 200  # portfolios of at least this many accounts hold one huge account ...
HUGE_ACCOUNT_USERS = 20_000  # ... with this many users
EARLY_SIGNUP_SHARE = 0.65  # users who sign up in the first EARLY_SIGNUP_DAYS (scaled by seat growth)
EARLY_SIGNUP_DAYS = 30
USER_CREATED_HOUR = 9
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
MISROUTED_ADMIN_CAMPAIGNS = 0.3  # share of an admin's extra events that are campaigns there
EXTRA_EVENTS_FLOOR = 0.5  # extra events per active day scale with (floor + activity level)
SESSION_HOURS = (7, 18)  # sessions start between these hours (UTC)
EXTRA_EVENT_DELAY_SECONDS = (60, 4 * 3600)  # after the session start
EXPORT_QUANTITY_P = 0.01  # rows per export: geometric with this p (mean 100)
DELIVERED_PER_DAY = (5, 0.8)  # platform-sent messages per day: Poisson(base + per user x users)
BLOCK_CELLS = 6_000_000  # user-days generated per block: memory, not behaviour
DELIVERED_EVENT = "message_sent"  # sent by the platform, no user
WEEKEND_FACTOR = 0.25

# support tickets: a rate per segment (above), more when the state is troubled, storms after an
# outage or a noticed delivery failure
TROUBLED_STATE = -0.5
TROUBLED_TICKETS = 1.5  # extra rate, relative, below TROUBLED_STATE
OUTAGE_TICKETS = (5, 15)  # extra tickets in an outage slice (uniform)
FAILURE_TICKETS = 4  # extra tickets per slice, for FAILURE_TICKET_SLICES slices once noticed
FAILURE_TICKET_SLICES = 2
STORM_DEFECT_SHARE = 0.7  # storm tickets that are defects (at high or urgent priority)
STORM_PRIORITIES = ("high", "urgent")
TICKET_KINDS = {"defect": 0.3, "question": 0.55, "feature_request": 0.15}
TICKET_PRIORITIES = {"low": 0.3, "normal": 0.47, "high": 0.17, "urgent": 0.06}
DAYS_TO_CLOSE = (2.0, 6.0)  # exponential mean: questions, everything else
MIN_SECONDS_TO_CLOSE = 600
WORK_HOURS = (8, 18)  # tickets open and touchpoints happen between these hours (UTC)

# CSM touchpoints: TOUCH_RATE (above) x diligence x (floor + (1 - floor) x activity level)
TOUCH_FLOOR = 0.4
CSM_SILENCE_SHARE = 0.1  # accounts nobody contacts for a while ...
CSM_SILENCE_SLICES = (2, 6)  # ... this many slices
QBR_FROM_SEGMENT = 2  # Enterprise and Strategic ...
QBR_ODDS = (0.12, 0.04)  # ... hold QBRs at the first odds, the others at the second
TOUCH_KINDS = {"email": 0.5, "call": 0.28, "meeting": 0.22}  # the touchpoints that are not QBRs

# manual traits: set during some calls, meetings and QBRs, from a lagged, noisy read of the state
TRAIT_SETTING_KINDS = ("qbr", "meeting", "call")
TRAIT_SET_ODDS = 0.3  # x the owner's diligence (at most 1)
TRAIT_READ_NOISE = 0.35
PULSE_HEALTHY_ABOVE = 0.3
PULSE_POOR_BELOW = -0.4  # poor at or below; concerning between
CHAMPION_MISREAD = 0.1  # odds the CSM records the champion wrongly
BUYER_ACCESS_ABOVE = -0.3  # and no budget cut
TRAIT_AFTER_TOUCH_SECONDS = 60

# ---- `radar sample --pricing plans`: a plan ladder and add-ons priced differently, billed
# monthly (one contract row per month) or yearly (one row per term, 1-3 years)
PLANS = ("Starter", "Team", "Business", "Enterprise")
PLAN_PRICE_PER_SEAT = (90, 180, 300, 480)  # list ARR per seat and year
PLAN_START = ((0.7, 0.3, 0.0, 0.0), (0.2, 0.6, 0.2, 0.0), (0.0, 0.2, 0.6, 0.2), (0.0, 0.0, 0.3, 0.7))  # per segment
MONTHLY_SHARE = (0.6, 0.3, 0.05, 0.0)  # accounts billed monthly, per segment
MONTHLY_PREMIUM = 1.2  # a monthly plan costs this much more over a year
ADDONS = ("Analytics+", "SSO", "Premium support", "Extra storage")
ADDON_PRICE = ((0.20, 0), (0.0, 2_400), (0.15, 0), (0.0, 600))  # (share of the plan's ARR, flat ARR)
ADDON_START_ODDS = (0.1, 0.25, 0.35, 0.5)  # each add-on at the first contract, per segment
PLAN_CHANGE_ODDS = 0.5  # per annual renewal where the state calls for an upgrade or downgrade
ADDON_ADD_STATE = 0.5  # above this state an add-on may be added (at renewal or mid-term) ...
ADDON_ADD_ODDS = 0.25  # ... with these odds per annual renewal
ADDON_DROP_STATE = -0.2  # below this state each add-on may be dropped at renewal ...
ADDON_DROP_ODDS = 0.4  # ... with these odds per annual renewal
MIDTERM_ADDON_ODDS = 0.02  # per month of an annual term, when the state is above ADDON_ADD_STATE
SEAT_CHANGE_ODDS_MONTHLY = 0.08  # a monthly account revisits its seats this often per month
# renewal decision under plans pricing: CHURN_LOGIT plus what a renewal desk reads in the
# contract history (annual-equivalent logit; a monthly term renews with the monthly share of it)
PLANS_CHURN_LOGIT = {"intercept": -2.6, "first_renewal": 0.9, "log_tenure_years": -0.5, "monthly": 0.6,
                     "recent_downgrade": 1.0, "per_addon": -0.35}
RECENT_DOWNGRADE_DAYS = 180  # a plan downgrade or add-on removal this recent weighs on the decision

# ---- `radar sample --churn random`: the leak check. Every term end churns with the same odds,
# whatever the account did (annual odds; a monthly term gets the monthly share of them)
RANDOM_ANNUAL_CHURN = 0.15
