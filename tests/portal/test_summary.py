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
