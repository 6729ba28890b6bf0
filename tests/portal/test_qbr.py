"""The QBR data pack: the business-review outline with the adoption playbook's pieces, in Markdown,
HTML (charts inline) and PDF; a draft never sent; made only by the account's SAM (or a leader)."""
from __future__ import annotations

import pytest

from features import appstore
from features.warehouse import connect
from portal import safe
from portal.reports import qbr
from radar import cli
from tests.portal.conftest import open_page, texts
from tests.portal.signals_fixtures import (alerted_db, busiest_owner, latest_alerts, owner_accounts,  # noqa: F401
                                           served, signals_db)

OUTLINE = ["Intros", "Business strategy and key initiatives", "In one sentence", "Previous progress and outcomes",
           "Usage summary", "Value realisation and maturity", "Product roadmap and feedback", "Recommended next steps",
           "Internal: for the account team only (remove before sharing)"]


def alerted_account(db) -> tuple[str, str]:
    a = latest_alerts(db).query("severity == 'critical'").sort_values("arr_at_risk", ascending=False).iloc[0]
    return a["account_id"], a["owner"]


def test_the_pack_follows_the_business_review_outline(signals_db):
    account, owner = alerted_account(signals_db)
    p = qbr.build(str(signals_db), appstore.engine(), account)
    md = qbr.markdown(p)
    heads = [line[3:] for line in md.splitlines() if line.startswith("## ")]
    assert heads == OUTLINE
    assert f"Draft data pack for {safe.md_doc(owner)} to edit" in md and "Not sent to anyone" in md
    assert "| Persona | Registered | Active (30 days) | Share active |" in md
    assert "| Critical workflow | Should be done by |" in md
    assert "| As of |" in md and len(p.periods) >= 4
    # each column is headed by the snapshot its figures come from
    assert all(qbr._day(d) in md.split("| As of |")[1].splitlines()[0] for d in p.periods["as_of"])
    assert p.summary.startswith("In the last 30 days") and safe.md_doc(p.summary) in md
    assert p.seats["licensed"] is not None and f"{p.seats['active']:,.0f} active in the last 30 days" in qbr._seat_lines(p)[0]


def test_risks_come_with_their_evidence_and_next_steps_with_a_play(signals_db):
    account, _ = alerted_account(signals_db)
    p = qbr.build(str(signals_db), appstore.engine(), account)
    open_critical = latest_alerts(signals_db).query("account_id == @account and severity == 'critical'")
    for a in open_critical.itertuples():
        assert any(a.evidence in r for r in p.risks)
    assert any(": because " in step for step in p.next_steps)


def test_outcomes_compare_the_last_quarter_with_the_one_before(signals_db):
    account, _ = alerted_account(signals_db)
    p = qbr.build(str(signals_db), appstore.engine(), account)
    assert p.outcomes and all("quarter to" in o for o in p.outcomes)


def test_outcomes_read_event_types_in_words_and_without_user_ids_claim_nothing_for_the_platform():
    import pandas as pd
    events = pd.DataFrame({"event_type": ["sync.completed", "sync.completed", "Login"], "k": [0, 1, 0],
                           "events": [80, 40, 73], "quantity": [80, 40, 73], "people": [0, 0, 0],
                           "platform_share": [1.0, 1.0, 1.0]})
    with_users = qbr._outcomes(events, {}, "2026-06-30", 3)
    assert with_users[0].startswith("The platform delivered 80 syncs completed in the quarter to")
    assert not any("'" in o for o in with_users)
    without = qbr._outcomes(events, {}, "2026-06-30", 3, users_known=False)
    assert without[0].startswith("80 syncs completed in the quarter to") and "+100% on the quarter before" in without[0]
    assert without[1].startswith("73 logins") and not any("platform" in o for o in without)


def test_html_embeds_the_charts_and_pdf_is_a_pdf(signals_db):
    account, _ = alerted_account(signals_db)
    p = qbr.build(str(signals_db), appstore.engine(), account)
    page = qbr.html(p)
    assert page.count("data:image/png;base64,") == 1 and "<h2>Recommended next steps</h2>" in page
    pdf = qbr.pdf(p)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 2


def test_text_from_the_data_is_text_in_every_format(signals_db):
    account, _ = alerted_account(signals_db)
    evil = "<img src=x onerror=alert(1)> ![p](https://evil.example/p.png)"
    with connect(signals_db) as con:
        con.execute("update accounts set name = ? where account_id = ?", [evil, account])
    p = qbr.build(str(signals_db), appstore.engine(), account)
    assert "<img src=x" not in qbr.html(p) and "&lt;img src=x" in qbr.html(p)
    assert "![p](" not in qbr.markdown(p) and safe.md_doc(evil) in qbr.markdown(p)
    assert "\\%" not in qbr.markdown(p) and "\\(" not in qbr.markdown(p)  # plain punctuation reads plainly
    assert qbr.pdf(p).startswith(b"%PDF")  # '$' and markup in names do not break the PDF's text


def test_radar_qbr_writes_each_format(signals_db, tmp_path, capsys):
    account, _ = alerted_account(signals_db)
    out = tmp_path / "pack.pdf"
    assert cli.main(["qbr", account, "--db", str(signals_db), "--format", "pdf", "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF") and "not sent" in capsys.readouterr().out
    assert cli.main(["qbr", account, "--db", str(signals_db), "--format", "md"]) == 0
    assert capsys.readouterr().out.startswith("# Business review:")
    assert cli.main(["qbr", "NOPE-1", "--db", str(signals_db)]) == 1
    assert "no scored account 'NOPE-1'" in capsys.readouterr().err


def test_a_sam_makes_packs_for_their_own_accounts(signals_db, served):
    account, owner = alerted_account(signals_db)
    at = open_page(role="sam", owner=owner, account=account)
    at.button(key="qbr_prepare").click().run()
    assert not at.exception and not at.error
    assert set(served) >= {f"qbr_{account}.md", f"qbr_{account}.html", f"qbr_{account}.pdf"}
    assert served[f"qbr_{account}.pdf"].startswith(b"%PDF")


def test_a_sam_gets_no_pack_for_another_owners_account(signals_db, served):
    account, owner = alerted_account(signals_db)
    other = sorted(set(latest_alerts(signals_db)["account_id"]) - owner_accounts(signals_db, owner))[0]
    at = open_page(role="sam", owner=owner, account=other)
    assert not at.exception
    assert "another owner's book" in texts(at, "error")
    assert not [b for b in at.button if b.key == "qbr_prepare"] and not served


def test_an_analyst_makes_no_packs_and_a_leader_does(signals_db, served):
    account, _ = alerted_account(signals_db)
    analyst = open_page(role="analyst", account=account)
    assert not analyst.exception and not [b for b in analyst.button if b.key == "qbr_prepare"]
    leader = open_page(role="leader", account=account)
    leader.button(key="qbr_prepare").click().run()
    assert not leader.exception and f"qbr_{account}.pdf" in served


def test_before_any_churn_score_the_pack_is_made_from_usage_and_the_health_score(sample_db, tmp_path, monkeypatch):
    """A QBR is about the customer's usage and outcomes: it needs no churn model."""
    import re
    import shutil
    monkeypatch.setenv("RADAR_APP_DB", f"sqlite:///{tmp_path / 'app.db'}")
    db = tmp_path / "unscored.duckdb"
    shutil.copy(sample_db, db)  # features and health, never scored
    with connect(db, read_only=True) as con:
        account, health = con.execute("""select account_id, health_score from health
                                         where as_of = (select max(as_of) from health) and health_score is not null
                                         order by health_score limit 1""").fetchall()[0]
    p = qbr.build(str(db), appstore.engine(), account)
    md = qbr.markdown(p)
    assert [line[3:] for line in md.splitlines() if line.startswith("## ")] == OUTLINE
    assert f"Health score {health:.0f}" in md and "no churn model has scored this account yet" in md
    assert "| Churn probability |" not in md  # no row of dashes before any model
    assert not set(re.findall(r"[A-Za-z]+", md)) & {"nan", "NaN", "NaT", "None"}
    assert "no churn model has scored this account yet" in qbr.html(p) and qbr.pdf(p).startswith(b"%PDF")
    with pytest.raises(LookupError, match="no active account 'NOPE'"):
        qbr.build(str(db), appstore.engine(), "NOPE")
