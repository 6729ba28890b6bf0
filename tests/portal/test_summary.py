"""The account page's one-sentence summary: who is active, what they use, what the platform did."""
from __future__ import annotations

import pandas as pd

from portal.summary import account_summary


def test_the_summary_reads_as_a_sentence_with_event_types_in_words():
    personas = pd.DataFrame({"persona": ["analyst", "manager"], "registered": [7, 3], "active_30d": [5, 2]})
    activity = pd.DataFrame({"event_type": ["report_viewed", "session_start", "message_sent"],
                             "events": [1234, 456, 12345], "quantity": [1234, 456, 12345],
                             "platform_share": [0.0, 0.1, 1.0]})
    workflows = pd.DataFrame({"workflow": ["a", "b", "c"], "attainment": [1.2, 0.4, None]})
    assert account_summary(personas, activity, workflows) == (
        "In the last 30 days 5 of 7 analysts and 2 of 3 managers were active; they mostly used reports viewed "
        "(1,234) and sessions (456); automated activity: 12,345 messages sent by the platform; 1 of 2 critical "
        "workflows are on target.")


def test_an_account_with_no_user_data_still_gets_a_sentence():
    empty = pd.DataFrame()
    assert account_summary(empty, empty, empty, active_users=4) == (
        "4 people were active in the last 30 days.")
    assert account_summary(empty, empty, empty) == (
        "No user-level activity is recorded; nothing was used in the last 30 days.")


def test_without_user_ids_activity_is_not_called_the_platforms():
    empty = pd.DataFrame()
    activity = pd.DataFrame({"event_type": ["dashboard_viewed", "API Call"], "events": [53, 50], "quantity": [53, 50],
                             "platform_share": [1.0, 1.0]})  # no event names a user: all "platform" by count
    assert account_summary(empty, activity, empty) == (
        "No user-level activity is recorded; the most frequent activity in the last 30 days: 53 dashboards viewed "
        "and 50 API calls.")


def test_an_export_that_drops_user_ids_from_half_of_ordinary_actions_keeps_them_peoples():
    personas = pd.DataFrame({"persona": ["analyst"], "registered": [4], "active_30d": [3]})
    activity = pd.DataFrame({"event_type": ["report_created", "message_sent"], "events": [344, 900],
                             "quantity": [344, 900], "platform_share": [0.52, 1.0]})
    said = account_summary(personas, activity, pd.DataFrame())
    assert "they mostly used reports created (344)" in said
    assert "automated activity: 900 messages sent by the platform" in said and "reports created by" not in said


def test_users_without_a_persona_are_named_as_such():
    personas = pd.DataFrame({"persona": ["unknown", "admin"], "registered": [19, 1], "active_30d": [18, 1]})
    assert account_summary(personas, pd.DataFrame(), pd.DataFrame()).startswith(
        "In the last 30 days 18 of 19 users with no persona given and 1 of 1 admin were active")
