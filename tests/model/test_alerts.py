"""Alerts: each kind at its thresholds, evidence a SAM can forward, first seen across runs, actions
that set an alert aside until it gets worse, the weekly budget of critical alerts, kinds skipped
(not crashed) when their source is absent, point in time, and the backtest figures."""
from __future__ import annotations

import dataclasses
import datetime as dt
import shutil

import numpy as np
import pandas as pd
import pytest

from features.catalog import load_catalog
from features.warehouse import connect
from model import alerts
from model.alerts import Snapshot

AS_OF = dt.date(2026, 3, 31)
THEN = dt.date(2026, 2, 28)
S = alerts.load_settings()
CATALOG = {n: f.to_row() for n, f in load_catalog().items()}
HEALTH_LABELS = {"cat_utilisation": "Utilisation", "cat_relationships": "Relationships and engagement"}


def account(account_id: str = "A", **values) -> dict:
    """A quiet, healthy account: nothing alerts until a test changes a value."""
    return {"account_id": account_id, "as_of": pd.Timestamp(AS_OF), "name": f"Acme {account_id}", "owner": "Avery",
            "arr": 120_000.0, "seats": 40.0, "active_users_30d": 30.0, "active_users_over_seats": 0.75,
            "never_logged_in_users": 2.0, "days_since_last_touchpoint": 10.0, "tenure_days": 700.0,
            "days_to_renewal": 200.0, "delivery_silence_days": 1.0, "delivery_usual_gap_days": 1.0,
            "delivery_silent_event_type": "message_sent", "health_score": 75.0, "health_tier": "healthy",
            "health_score_then": 78.0, "health_tier_then": "healthy", "cat_utilisation": 80.0,
            "cat_relationships": 60.0, "churn_probability": 0.03, "churn_probability_then": 0.02,
            "risk_tier": "low", "arr_at_risk": 3_600.0,
            "top_drivers": [{"feature": "days_to_renewal", "sentence": "Renewal is 40 days away (+9 pts of churn risk)"},
                            {"feature": "dau_mau", "sentence": "Stickiness fell from 30% to 12% (+4 pts of churn risk)"}]
            } | values


def snap(*rows: dict) -> Snapshot:
    return Snapshot(AS_OF, pd.DataFrame(list(rows)), CATALOG, HEALTH_LABELS, 90, THEN, THEN)


def raised(*rows: dict, settings=S) -> pd.DataFrame:
    found, _ = alerts.detect(snap(*rows), settings)
    return found


def kinds_of(found: pd.DataFrame, account_id: str = "A") -> dict[str, str]:
    return dict(found.loc[found["account_id"] == account_id, ["kind", "severity"]].values.tolist())


def test_a_quiet_account_raises_nothing():
    assert raised(account()).empty


@pytest.mark.parametrize("before, now, severity", [(0.02, 0.11, None), (0.02, 0.12, "warning"),
                                                   (0.02, 0.21, "warning"), (0.02, 0.22, "critical")])
def test_a_churn_risk_jump_is_graded_by_the_points_gained(before, now, severity):
    found = kinds_of(raised(account(churn_probability_then=before, churn_probability=now)))
    assert found.get("risk_jump") == severity


def test_risk_jump_evidence_reads_as_a_sentence_with_the_models_reason():
    text = raised(account(churn_probability_then=0.02, churn_probability=0.31)).set_index("kind").loc["risk_jump", "evidence"]
    assert text == ("Churn probability over the next 90 days rose from 2% to 31% (+29 pts) since 2026-02-28; "
                    "the main reason: Renewal is 40 days away (+9 pts of churn risk).")


def test_risk_jump_evidence_says_first_when_the_renewal_came_within_the_horizon():
    """At the comparison snapshot (31 days earlier) the renewal was 40 + 31 = 71 days away: inside
    the 90 days already, so nothing is added; at 70 days now it was 101 days away then: it came in."""
    def evidence(days):
        found = raised(account(churn_probability_then=0.02, churn_probability=0.31, days_to_renewal=days))
        return found.set_index("kind").loc["risk_jump", "evidence"]
    assert "came within" not in evidence(40.0) and "came within" not in evidence(200.0)
    assert evidence(70.0) == ("Churn probability over the next 90 days rose from 2% to 31% (+29 pts) since 2026-02-28, "
                              "as its renewal (2026-06-09, 70 days away) came within the 90 days the probability "
                              "covers; the main reason: Renewal is 40 days away (+9 pts of churn risk).")


@pytest.mark.parametrize("tier, severity", [("concerning", "warning"), ("poor", "critical")])
def test_a_health_tier_drop_is_graded_by_the_tier_it_fell_to(tier, severity):
    found = raised(account(health_tier=tier, health_score=35.0 if tier == "poor" else 55.0))
    assert kinds_of(found)["health_drop"] == severity
    text = found.set_index("kind").loc["health_drop", "evidence"]
    assert text.startswith(f"The health score fell from 78 (healthy) to {35 if tier == 'poor' else 55} ({tier}) since 2026-02-28")
    assert "weakest: relationships and engagement at 60 of 100" in text


def test_staying_in_the_same_tier_or_improving_is_no_health_alert():
    assert "health_drop" not in kinds_of(raised(account(health_tier="poor", health_tier_then="poor", health_score=20.0)))
    assert "health_drop" not in kinds_of(raised(account(health_tier="healthy", health_tier_then="poor")))


@pytest.mark.parametrize("silent, gap, severity", [(9, 1, None), (10, 1, "warning"), (13, 1, "warning"),
                                                   (14, 1, "critical"), (14, 2, "warning"), (30, 4, "warning")])
def test_a_service_delivery_gap_counts_against_its_usual_cadence(silent, gap, severity):
    found = raised(account(delivery_silence_days=float(silent), delivery_usual_gap_days=float(gap)))
    assert kinds_of(found).get("delivery_gap") == severity


def test_delivery_gap_evidence_names_the_event_type_and_its_cadence():
    found = raised(account(delivery_silence_days=37.0, delivery_usual_gap_days=1.0))
    evidence = found.set_index("kind").loc["delivery_gap", "evidence"]
    assert "message_sent" not in evidence and "messages sent" in evidence  # the display name, not the raw type
    assert "37 days" in evidence and "every 1 day" in evidence and evidence.endswith(".")


@pytest.mark.parametrize("days, tier, severity", [(29, "high", None), (30, "low", "warning"), (60, "low", "warning"),
                                                  (60, "medium", "critical"), (200, "high", "critical")])
def test_silence_is_critical_only_when_the_model_also_worries(days, tier, severity):
    found = raised(account(days_since_last_touchpoint=float(days), risk_tier=tier))
    assert kinds_of(found).get("silence") == severity


def test_silence_without_scores_goes_by_days_alone():
    row = account(days_since_last_touchpoint=75.0)
    for c in ("churn_probability", "churn_probability_then", "risk_tier", "arr_at_risk", "top_drivers"):
        row.pop(c)
    assert kinds_of(raised(row))["silence"] == "critical"


def test_an_account_never_touched_is_silent_since_it_started():
    found = raised(account(days_since_last_touchpoint=np.nan, tenure_days=120.0))
    assert found.set_index("kind").loc["silence", "evidence"] == "No CSM touchpoint is recorded in 120 days as a customer."


def test_a_renewal_within_90_days_at_high_risk_is_critical_and_names_a_reason_other_than_the_date():
    found = raised(account(days_to_renewal=40.0, risk_tier="high", churn_probability=0.3, churn_probability_then=0.29))
    r = found.set_index("kind").loc["renewal_risk"]
    assert r["severity"] == "critical"
    assert r["evidence"] == ("Renewal is 40 days away (2026-05-10) with a 30% churn probability (high risk) on $120k ARR; "
                             "the main reason: Stickiness fell from 30% to 12% (+4 pts of churn risk).")
    assert "renewal_risk" not in kinds_of(raised(account(days_to_renewal=91.0, risk_tier="high")))
    assert "renewal_risk" not in kinds_of(raised(account(days_to_renewal=40.0, risk_tier="medium")))


@pytest.mark.parametrize("active, kind, severity", [(40, None, None), (41, "seats_over", "info"),
                                                    (51, "seats_over", "warning"), (21, None, None),
                                                    (20, "seats_under", "warning"), (8, "seats_under", "critical")])
def test_seats_over_and_under_used(active, kind, severity):
    found = kinds_of(raised(account(active_users_30d=float(active), active_users_over_seats=active / 40)))
    seat_kinds = {k: v for k, v in found.items() if k.startswith("seats")}
    assert seat_kinds == ({} if kind is None else {kind: severity})


def test_under_used_seats_are_not_flagged_while_an_account_ramps_up():
    assert "seats_under" not in kinds_of(raised(account(active_users_30d=5.0, active_users_over_seats=5 / 40,
                                                        tenure_days=60.0)))


def test_seat_evidence_uses_the_catalogs_words_and_the_accounts_numbers():
    found = raised(account(active_users_30d=52.0, active_users_over_seats=1.3))
    assert found.set_index("kind").loc["seats_over", "evidence"] == \
        "Active users in the last 30 days over licensed seats is 130%: 52 active users on 40 seats."


def test_never_logged_in_users_above_a_share_of_seats():
    assert "never_logged_in" not in kinds_of(raised(account(never_logged_in_users=8.0)))  # 20%: not above
    found = raised(account(never_logged_in_users=9.0))
    assert kinds_of(found)["never_logged_in"] == "info"
    evidence = found.set_index("kind").loc["never_logged_in", "evidence"]
    assert evidence == "Registered users who have never logged in: 9 (22% of the 40 licensed seats)."
    assert kinds_of(raised(account(never_logged_in_users=15.0)))["never_logged_in"] == "warning"
    small = account(seats=5.0, never_logged_in_users=2.0, active_users_30d=3.0, active_users_over_seats=0.6)
    assert "never_logged_in" not in kinds_of(raised(small))  # 40% of 5 seats, but only 2 people


def test_no_evidence_names_a_column():
    row = account(churn_probability_then=0.01, churn_probability=0.4, risk_tier="high", days_to_renewal=30.0,
                  health_tier="poor", health_score=30.0, delivery_silence_days=40.0, days_since_last_touchpoint=100.0,
                  active_users_30d=8.0, active_users_over_seats=0.2, never_logged_in_users=20.0)
    found = raised(row)
    assert set(found["kind"]) == set(S.kinds) - {"seats_over"}
    columns = {c for c in set(CATALOG) | set(row) if "_" in c}  # column-like names: words with underscores
    for text in found["evidence"]:
        assert not any(c in text for c in columns), text
        assert text.endswith("."), text


def test_thresholds_come_from_the_config():
    stricter = dataclasses.replace(S, kinds=S.kinds | {"silence": dataclasses.replace(S.kinds["silence"], warning_days=5)})
    assert kinds_of(raised(account(days_since_last_touchpoint=6.0), settings=stricter)) == {"silence": "warning"}


def test_a_kind_whose_source_is_absent_is_skipped_with_a_note():
    row = account()
    for c in ("days_since_last_touchpoint", "never_logged_in_users", "churn_probability_then"):
        row.pop(c)
    s = snap(row)
    found, kinds = alerts.detect(s, S)
    skipped = kinds[~kinds["ran"]].set_index("kind")["note"].to_dict()
    assert set(skipped) == {"silence", "never_logged_in", "risk_jump"}
    assert "touchpoints" in skipped["silence"] and "users" in skipped["never_logged_in"]
    assert "21+ days earlier" in skipped["risk_jump"]


# --- across runs ----------------------------------------------------------------------------------

def alert_rows(*rows: tuple) -> pd.DataFrame:
    """(account_id, kind, severity, value, arr_at_risk[, owner]) -> a detected frame at AS_OF."""
    return pd.DataFrame([{"account_id": r[0], "kind": r[1], "severity": r[2], "value": r[3], "evidence": "x",
                          "arr": 100_000.0, "arr_at_risk": r[4], "owner": r[5] if len(r) > 5 else "Avery",
                          "name": r[0], "as_of": pd.Timestamp(AS_OF)} for r in rows])


def test_first_seen_carries_over_while_the_alert_stays_raised():
    previous = alert_rows(("A", "silence", "warning", 35, 1))
    previous = previous.assign(as_of=pd.Timestamp(THEN), first_seen=pd.Timestamp("2026-01-31"), notified=pd.NaT)
    now = alerts.track(alert_rows(("A", "silence", "warning", 63, 1), ("B", "silence", "warning", 31, 1)), previous)
    assert now.set_index("account_id")["first_seen"].dt.date.to_dict() == {"A": dt.date(2026, 1, 31), "B": AS_OF}


def raised_at(day: str, *rows: tuple, first_seen: str | None = None, notified: str | None = None) -> pd.DataFrame:
    return alert_rows(*rows).assign(as_of=pd.Timestamp(day), first_seen=pd.Timestamp(first_seen or day),
                                    notified=pd.Timestamp(notified) if notified else pd.NaT)


def test_an_alert_that_clears_briefly_is_the_same_episode():
    """Seats at 101%, then 99% (cleared), then 101% again: one alert, seen since the first run, that
    interrupted once; cleared for longer than `rejoin_days`, it is a new one."""
    jan = raised_at("2026-01-31", ("A", "seats_over", "critical", 101, 1), notified="2026-01-31")
    feb = raised_at("2026-02-28", ("B", "silence", "warning", 31, 1))  # A cleared at February's run
    now = alerts.track(alert_rows(("A", "seats_over", "critical", 101, 1)), pd.concat([jan, feb]), S.rejoin_days)
    assert (now["first_seen"].iat[0], now["notified"].iat[0]) == (pd.Timestamp("2026-01-31"),) * 2
    assert alerts.budget(alerts.resolve(now, None, AS_OF, S), {}, 3)["delivery"].tolist() == ["digest"]
    long_ago = jan.assign(as_of=pd.Timestamp(AS_OF) - pd.Timedelta(days=S.rejoin_days + 1))
    again = alerts.track(alert_rows(("A", "seats_over", "critical", 101, 1)), pd.concat([long_ago, feb]), S.rejoin_days)
    assert again["first_seen"].iat[0] == pd.Timestamp(AS_OF) and pd.isna(again["notified"].iat[0])


def test_a_dismissed_alert_that_clears_and_returns_no_worse_stays_dismissed():
    jan = raised_at("2026-01-31", ("A", "seats_under", "warning", 55, 1))
    dismissed = action(kind="seats_under", value=55.0, first_seen="2026-01-31", at="2026-02-02 09:00")
    for value, severity, expected in ((58.0, "warning", ("dismissed", False)),  # +3 points: not worse by 10
                                      (66.0, "warning", ("open", True)),  # 11 points more unused seats
                                      (85.0, "critical", ("open", True))):
        cleared = pd.concat([jan, raised_at("2026-02-28", ("B", "silence", "warning", 31, 1))])  # A clear in February
        now = alerts.track(alert_rows(("A", "seats_under", severity, value, 1)), cleared, S.rejoin_days)
        out = alerts.resolve(now, pd.DataFrame([dismissed]), dt.date(2026, 4, 2), S)
        assert (out["status"].iat[0], bool(out["back"].iat[0])) == expected, value


def action(kind="silence", act="dismiss", severity="warning", value=40.0, until=None, at="2026-04-01 09:00",
           first_seen=AS_OF, account_id="A") -> dict:
    return {"id": 1, "account_id": account_id, "kind": kind, "first_seen": pd.Timestamp(first_seen), "action": act,
            "until": pd.Timestamp(until) if until else pd.NaT, "reason": "known", "severity": severity,
            "value": value, "acted_by": "jo@example.com", "acted_at": pd.Timestamp(at)}


def status(rows: pd.DataFrame, *acts: dict, today=dt.date(2026, 4, 2)) -> dict:
    tracked = alerts.track(rows, None)
    out = alerts.resolve(tracked, pd.DataFrame(list(acts)) if acts else None, today, S)
    return dict(zip(out["account_id"], zip(out["status"], out["back"])))


def test_a_dismissed_alert_stays_away_until_its_evidence_gets_worse():
    assert status(alert_rows(("A", "silence", "warning", 40, 1)), action()) == {"A": ("dismissed", False)}
    assert status(alert_rows(("A", "silence", "warning", 53, 1)), action()) == {"A": ("dismissed", False)}  # +13 < 14
    assert status(alert_rows(("A", "silence", "warning", 54, 1)), action()) == {"A": ("open", True)}  # +14 days
    assert status(alert_rows(("A", "silence", "critical", 41, 1)), action()) == {"A": ("open", True)}  # more severe


def test_a_snooze_holds_until_its_date_unless_the_evidence_gets_worse():
    snoozed = action(act="snooze", until="2026-04-10")
    assert status(alert_rows(("A", "silence", "warning", 45, 1)), snoozed) == {"A": ("snoozed", False)}
    assert status(alert_rows(("A", "silence", "warning", 45, 1)), snoozed, today=dt.date(2026, 4, 11)) == {"A": ("open", True)}
    assert status(alert_rows(("A", "silence", "critical", 45, 1)), snoozed) == {"A": ("open", True)}


def test_an_acknowledged_alert_stays_visible_as_acknowledged():
    assert status(alert_rows(("A", "silence", "warning", 40, 1)), action(act="acknowledge")) == {"A": ("acknowledged", False)}


def test_the_latest_action_on_the_same_episode_counts_and_other_episodes_are_untouched():
    later = action(act="acknowledge", at="2026-04-01 10:00") | {"id": 2}
    assert status(alert_rows(("A", "silence", "warning", 40, 1)), action(), later) == {"A": ("acknowledged", False)}
    old_episode = action(first_seen="2025-11-30")
    assert status(alert_rows(("A", "silence", "warning", 40, 1)), old_episode) == {"A": ("open", False)}


def budget(rows: pd.DataFrame, already: dict | None = None, cap: int = 3) -> pd.DataFrame:
    return alerts.budget(alerts.resolve(alerts.track(rows, None), None, AS_OF, S), already or {}, cap)


def test_at_most_the_cap_of_critical_alerts_interrupt_an_owner_the_largest_arr_at_risk_first():
    rows = alert_rows(*[(f"A{i}", "silence", "critical", 70, 1000.0 * i) for i in range(1, 6)],
                      ("B1", "silence", "critical", 70, 50.0, "Blake"), ("A9", "silence", "warning", 40, 9e6))
    out = budget(rows).set_index("account_id")
    assert sorted(out.index[out["delivery"] == "notify"]) == ["A3", "A4", "A5", "B1"]
    assert sorted(out.index[out["capped"]]) == ["A1", "A2"]
    assert not out.loc["A9", "capped"] and out.loc["A9", "delivery"] == "digest"


def test_accounts_without_an_owner_interrupt_nobody_and_use_no_budget():
    rows = alert_rows(*[(f"U{i}", "silence", "critical", 70, 1000.0 * i, alerts.UNASSIGNED) for i in range(1, 6)])
    out = budget(rows)
    assert (out["delivery"] == "digest").all() and not out["capped"].any()
    assert (out["severity"] == "critical").all()


def test_alerts_that_already_interrupted_this_week_use_up_the_budget():
    rows = alert_rows(*[(f"A{i}", "silence", "critical", 70, 1000.0 * i) for i in range(1, 4)])
    out = budget(rows, {"Avery": 2}).set_index("account_id")
    assert list(out.index[out["delivery"] == "notify"]) == ["A3"]


def test_an_alert_interrupts_once_per_episode():
    rows = alert_rows(("A1", "silence", "critical", 70, 1000.0))
    tracked = alerts.track(rows, None).assign(notified=pd.Timestamp("2026-03-24"))
    out = alerts.budget(alerts.resolve(tracked, None, AS_OF, S), {}, 3)
    assert out["delivery"].tolist() == ["digest"] and not out["capped"].any()


def test_set_aside_alerts_use_no_budget():
    rows = alert_rows(*[(f"A{i}", "silence", "critical", 70, 1000.0 * i) for i in range(1, 5)])
    dismissed = action(account_id="A4", severity="critical", value=70)
    out = alerts.budget(alerts.resolve(alerts.track(rows, None), pd.DataFrame([dismissed]), AS_OF, S), {}, 3)
    assert sorted(out.loc[out["delivery"] == "notify", "account_id"]) == ["A1", "A2", "A3"]


# --- on the sample --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def replayed(scored_db, tmp_path_factory):
    db = tmp_path_factory.mktemp("alerts") / "alerts.duckdb"
    shutil.copy(scored_db, db)
    with connect(db) as con:
        summary = alerts.run(con, all_dates=True, progress=lambda *a: None)
        history = alerts.history(con)
    return db, summary, history


def test_the_weekly_cap_holds_over_the_samples_history(replayed):
    _, _, history = replayed
    h = history.assign(week=history["as_of"].map(alerts.week_start))
    per_week = h[h["delivery"] == "notify"].groupby(["owner", "week"]).size()
    assert per_week.max() <= S.critical_per_owner_per_week
    assert h["capped"].any(), "the sample should have more critical alerts than the budget somewhere"
    assert (h.loc[h["capped"], "severity"] == "critical").all()


def test_an_alert_keeps_its_first_seen_across_month_end_runs(replayed):
    _, _, history = replayed
    dates = sorted(history["as_of"].unique())
    a, b = history[history["as_of"] == dates[-2]], history[history["as_of"] == dates[-1]]
    both = a.merge(b, on=["account_id", "kind"], suffixes=("_a", "_b"))
    assert len(both) and (both["first_seen_a"] == both["first_seen_b"]).all()
    window = history[(history["as_of"] < dates[-1]) &
                     (history["as_of"] >= pd.Timestamp(dates[-1]) - pd.Timedelta(days=S.rejoin_days))]
    recent = window.sort_values("as_of").drop_duplicates(["account_id", "kind"], keep="last")
    fresh = b.merge(recent[["account_id", "kind", "first_seen"]], on=["account_id", "kind"], how="left",
                    suffixes=("", "_recent"), indicator=True)
    assert (fresh.loc[fresh["_merge"] == "left_only", "first_seen"] == dates[-1]).all()  # new episodes
    back = fresh[fresh["_merge"] == "both"]  # raised within rejoin_days, cleared in between or not: one episode
    assert (back["first_seen"] == back["first_seen_recent"]).all()


def test_a_later_run_does_not_change_an_earlier_one(replayed, scored_db, tmp_path):
    """A replay that stops at a date gives that date the same alerts as one that goes on past it."""
    _, _, history = replayed
    dates = sorted(history["as_of"].unique())
    db = tmp_path / "cut.duckdb"
    shutil.copy(scored_db, db)
    with connect(db) as con:
        alerts.run(con, as_of=pd.Timestamp(dates[-3]).date(), all_dates=True, progress=lambda *a: None)
        cut = alerts.history(con)
    full = history[history["as_of"] <= dates[-3]].sort_values(["as_of", "account_id", "kind"], ignore_index=True)
    pd.testing.assert_frame_equal(cut.sort_values(["as_of", "account_id", "kind"], ignore_index=True), full)


def test_rerunning_a_date_replaces_its_rows_with_the_same_alerts(replayed, tmp_path):
    """`radar alerts` at the latest date, reading only its context, gives what the replay gave."""
    db, summary, history = replayed
    copy = tmp_path / "again.duckdb"
    shutil.copy(db, copy)
    with connect(copy) as con:
        again = alerts.run(con, progress=lambda *a: None)
        after = alerts.history(con)
    assert again["alerts"] == summary["alerts"]
    assert len(after) == len(history)
    key = ["as_of", "account_id", "kind"]
    pd.testing.assert_frame_equal(after.sort_values(key, ignore_index=True), history.sort_values(key, ignore_index=True))


def test_a_dismissed_alert_stays_set_aside_at_later_runs_until_worse(replayed, scored_db, tmp_path):
    """On the sample: alerts dismissed at the second-last run, then the last run with those actions.
    Each one raised again and no worse is still dismissed and interrupts nobody; each worse one is back."""
    _, _, history = replayed
    dates = sorted(history["as_of"].unique())
    before, last = history[history["as_of"] == dates[-2]], history[history["as_of"] == dates[-1]]
    pairs = before.merge(last, on=["account_id", "kind"], suffixes=("_then", ""))
    worse = (pairs["severity"].map(alerts.RANK) > pairs["severity_then"].map(alerts.RANK)) | \
        (pairs["value"] >= pairs["value_then"] + pairs["kind"].map(S.worse_by))
    assert (~worse).sum() >= 5 and worse.sum() >= 1, "the sample should have alerts that stay and that get worse"
    acts = pd.DataFrame([{"id": i, "account_id": r.account_id, "kind": r.kind, "first_seen": r.first_seen_then,
                          "action": "dismiss", "until": pd.NaT, "reason": "known", "severity": r.severity_then,
                          "value": r.value_then, "acted_by": "jo", "acted_at": pd.Timestamp(dates[-2]) + pd.Timedelta(hours=9)}
                         for i, r in enumerate(pairs.itertuples())])
    db = tmp_path / "acted.duckdb"
    shutil.copy(scored_db, db)
    with connect(db) as con:
        alerts.run(con, as_of=pd.Timestamp(dates[-2]).date(), all_dates=True, progress=lambda *a: None)
        said = alerts.run(con, as_of=pd.Timestamp(dates[-1]).date(), actions=acts, today=pd.Timestamp(dates[-1]).date(),
                          progress=lambda *a: None)
        stored = alerts.latest(con)
    # the summary line's parts add up to the critical count, the dismissed ones said as such
    crit = alerts.resolve(stored, acts, pd.Timestamp(dates[-1]).date(), S).query("severity == 'critical'")
    assert said["by_severity"]["critical"] == said["notified"] + said["capped"] + sum(said["quiet"].values())
    acted = int(((crit["status"] != "open") & (crit["owner"] != alerts.UNASSIGNED)).sum())
    assert acted > 0, "the sample should have critical alerts dismissed at the last run"
    assert said["quiet"]["sent earlier"] + said["quiet"]["acknowledged, snoozed or dismissed"] >= acted
    now = alerts.resolve(stored, acts, pd.Timestamp(dates[-1]).date(), S).merge(
        pairs.assign(worse=worse.to_numpy())[["account_id", "kind", "worse"]], on=["account_id", "kind"])
    assert (now.loc[~now["worse"], "status"] == "dismissed").all() and not now.loc[~now["worse"], "back"].any()
    assert (now.loc[~now["worse"], "delivery"] == "digest").all() and not now.loc[~now["worse"], "capped"].any()
    assert (now.loc[now["worse"], "status"] == "open").all() and now.loc[now["worse"], "back"].all()


def test_the_backtest_figures_count_warned_churns_and_weekly_load():
    runs = [pd.Timestamp("2026-01-05") + pd.Timedelta(days=7 * i) for i in range(20)]
    rows = []
    for i, d in enumerate(runs):  # owner Avery: one new warning a week; B goes critical on week 2
        rows.append({"account_id": f"W{i}", "kind": "silence", "severity": "warning", "as_of": d, "first_seen": d,
                     "owner": "Avery", "delivery": "digest", "capped": False})
        if i >= 2:
            rows.append({"account_id": "B", "kind": "risk_jump", "severity": "critical", "as_of": d,
                         "first_seen": runs[2], "owner": "Blake", "delivery": "notify" if i == 2 else "digest",
                         "capped": False})
    rows += [{"account_id": f"S{i}", "kind": "silence", "severity": "warning", "as_of": runs[0], "first_seen": runs[0],
              "owner": "Avery", "delivery": "digest", "capped": False} for i in range(10)]  # standing at the first run
    history = pd.DataFrame(rows)
    churns = pd.DataFrame({"account_id": ["B", "C"], "churn_date": [runs[2] + pd.Timedelta(days=70),
                                                                    runs[-1] - pd.Timedelta(days=1)]})
    f = alerts.backtest_figures(history, churns, S)
    assert (f["churns"], f["warned"]) == (2, 1)  # B warned 70 days ahead; C never alerted
    assert f["new_alerts_per_owner_week"]["max"] == 1 and f["new_alerts_per_owner_week"]["median"] == 1
    assert f["weeks"] == 19 and f["owners"] == 2  # counted from the week after the first run
    assert f["critical_interrupting_per_owner_week"]["max"] == 1
    short = alerts.backtest_figures(history, churns.assign(churn_date=runs[2] + pd.Timedelta(days=59)), S)
    assert short["warned"] == 0  # 59 days ahead is too late to count
    assert alerts.backtest_figures(history, churns, S, kinds=["silence"])["warned"] == 0


def test_the_backtest_does_not_count_an_account_alerted_just_before_the_data_end_as_a_false_alarm():
    runs = [pd.Timestamp("2026-01-05") + pd.Timedelta(days=7 * i) for i in range(30)]
    crit = {"kind": "risk_jump", "severity": "critical", "owner": "Blake", "delivery": "digest", "capped": False}
    rows = [{"account_id": "OLD", "as_of": d, "first_seen": runs[0], **crit} for d in runs]  # alerted from the start
    rows += [{"account_id": "NEW", "as_of": d, "first_seen": runs[-2], **crit} for d in runs[-2:]]  # a week ago
    churns = pd.DataFrame({"account_id": ["GONE"], "churn_date": [runs[10]]})
    f = alerts.backtest_figures(pd.DataFrame(rows), churns, S)
    assert (f["accounts_with_critical"], f["critical_not_churned"], f["critical_too_recent"]) == (2, 2, 1)
    assert S.lead_days > 7


def test_a_portfolio_without_touchpoints_users_or_scores_gets_the_other_kinds(tmp_path):
    """Optional sources absent: their kinds are skipped with a note; nothing crashes."""
    from features import pipeline
    from features.ingest import ingest
    from tests.fixtures import tiny_tables, write_source
    tables = {k: v for k, v in tiny_tables().items() if k not in ("touchpoints", "users")}
    db = tmp_path / "bare.duckdb"
    ingest(write_source(tmp_path / "src", tables), db, progress=lambda *a: None)
    notes = []
    with connect(db) as con:
        pipeline.run(con, progress=lambda *a: None)
        out = alerts.run(con, progress=notes.append)
        kinds = con.execute("select kind, ran, note from alert_kinds").df().set_index("kind")
    assert set(out["skipped"]) == {"risk_jump", "health_drop", "renewal_risk", "silence", "never_logged_in"}
    assert kinds.loc[["delivery_gap", "seats_over", "seats_under"], "ran"].all()
    assert "touchpoints" in kinds.loc["silence", "note"] and "radar score" in kinds.loc["renewal_risk", "note"]
    assert any("No CSM contact alerts skipped" in n for n in notes)
