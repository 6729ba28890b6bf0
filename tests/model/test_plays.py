"""Plays followed up: risk and health 30/60/90 days on, renewed or churned, against matched accounts
with no play; small numbers said to be small, and the caveat said plainly."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from model import plays
from model.plays import History

S = plays.load_settings()
MONTHS = pd.date_range("2026-01-31", "2026-12-31", freq="ME")


def scores(rows: dict[str, list[float]], renewal: dict[str, float] | None = None) -> pd.DataFrame:
    """Monthly churn probabilities per account from 2026-01-31; days to renewal counted from each
    month end towards the account's term end (given at the first month, default far away)."""
    out = []
    for account, probs in rows.items():
        for i, p in enumerate(probs):
            d = MONTHS[i]
            first = (renewal or {}).get(account, 900.0)
            out.append({"account_id": account, "as_of": d, "churn_probability": p, "health_score": 100 - 100 * p,
                        "days_to_renewal": first - (d - MONTHS[0]).days})
    return pd.DataFrame(out)


def history(rows, churns=(), renewal=None, end="2026-12-31") -> History:
    return History(scores(rows, renewal), pd.DataFrame(list(churns), columns=["account_id", "churn_date"]),
                   dt.date.fromisoformat(end), 30)


def logged(*rows: tuple) -> pd.DataFrame:
    """(account_id, play, done_on) -> app-store rows."""
    return pd.DataFrame([{"id": i + 1, "account_id": a, "play": p, "done_on": dt.date.fromisoformat(d)}
                         for i, (a, p, d) in enumerate(rows)])


def test_a_play_is_followed_at_the_first_snapshots_30_60_and_90_days_on():
    h = history({"A": [0.30, 0.30, 0.25, 0.20, 0.10, 0.08]})
    out = plays.evaluate(logged(("A", "exec_sponsor_call", "2026-02-10")), h)["plays"].iloc[0]
    assert out["as_of"] == pd.Timestamp("2026-01-31") and out["risk_at"] == 0.30
    # 2026-03-12 -> the March snapshot, 2026-04-11 -> April's, 2026-05-11 -> May's
    assert (out["risk_30"], out["risk_60"], out["risk_90"]) == (0.25, 0.20, 0.10)
    assert out["health_90"] == pytest.approx(90)


def test_follow_ups_not_yet_observed_are_unknown_not_zero():
    h = history({"A": [0.30, 0.30, 0.25]}, end="2026-03-31")
    out = plays.evaluate(logged(("A", "training", "2026-02-10")), h)["plays"].iloc[0]
    assert out["risk_30"] == 0.25 and pd.isna(out["risk_60"]) and pd.isna(out["risk_90"])


@pytest.mark.parametrize("term_days, churn, end, outcome", [
    (100, None, "2026-12-31", "renewed"),            # the term ended after the play, no churn, grace passed
    (100, "2026-05-11", "2026-12-31", "churned"),
    (100, None, "2026-05-20", "pending"),            # the grace period after the term end is not over
    (400, None, "2026-12-31", "no renewal due"),     # the term ends beyond the outcome window
])
def test_each_play_gets_its_renewal_outcome(term_days, churn, end, outcome):
    h = history({"A": [0.3] * 12}, churns=[("A", churn)] if churn else [], renewal={"A": term_days}, end=end)
    assert plays.evaluate(logged(("A", "discount_offer", "2026-02-10")), h)["plays"]["outcome"].iat[0] == outcome


def test_comparable_accounts_are_the_nearest_in_risk_at_the_same_snapshot_with_no_play_near():
    h = history({"A": [0.30] * 6, "B": [0.31] * 6, "C": [0.27] * 6, "D": [0.20] * 6, "E": [0.30] * 6,
                 "F": [0.29] * 6})
    logs = logged(("A", "training", "2026-02-10"), ("E", "check_in", "2025-12-01"))  # E had a play near it
    controls = plays.evaluate(logs, h)["controls"]
    mine = controls[controls["key"] == 1]
    assert sorted(mine["account_id"]) == ["B", "C", "F"]  # D is 0.10 away; E had a play within 180 days


def test_the_summary_compares_plays_with_matched_accounts_and_counts_churn_as_not_lower():
    rows = {f"P{i}": [0.30, 0.30, 0.20, 0.15, 0.10] for i in range(5)}  # played: risk falls
    rows |= {f"Q{i}": [0.30, 0.30, 0.30, 0.32, 0.35] for i in range(5)}  # matched: risk rises
    rows["P5"] = [0.30, 0.30]  # played, then churned
    h = history(rows, churns=[("P5", "2026-03-20")])
    logs = logged(*[(f"P{i}", "exec_sponsor_call", "2026-02-05") for i in range(6)])
    summary = plays.evaluate(logs, h)["summary"].iloc[0]
    assert (summary["logged"], summary["play_followed"], summary["play_risk_fell"]) == (6, 6, 5)
    assert (summary["matched_followed"], summary["matched_risk_fell"]) == (18, 0)
    assert summary["enough"]
    assert summary["sentence"].startswith("90 days on, the churn probability was lower after 5 of 6 (83%) plays")


def test_a_handful_of_plays_is_said_to_be_too_few():
    h = history({"A": [0.3, 0.3, 0.2, 0.2, 0.1], "B": [0.3] * 5})
    summary = plays.evaluate(logged(("A", "training", "2026-02-05")), h)["summary"].iloc[0]
    assert not summary["enough"] and "Too few with a known result to say anything yet" in summary["sentence"]


def test_no_plays_is_an_empty_summary():
    assert plays.evaluate(logged(), history({"A": [0.3]}))["summary"].empty


def test_the_caveat_says_association_not_proof():
    assert plays.NOT_PROOF.startswith("This is an association, not proof.")


def test_every_play_kind_answers_only_configured_alerts():
    from model.alerts import load_settings
    kinds = set(load_settings().kinds)
    assert all(set(p.for_alerts) <= kinds for p in S.plays)
    assert [p.label for p in S.for_alert("delivery_gap")] == ["Service delivery review with support and engineering"]
