"""The weekly digest: the alert budget holds on the sample and no capped critical alert is lost from
the digest; a SAM's digest holds only their book; text from the data stays text; notes and plays of
the week show; `radar digest --send` mails it through a local SMTP server and is audited, and sends
nothing when no server is configured."""
from __future__ import annotations

import datetime as dt
import re
import shutil

import pytest

from features import appstore
from features.warehouse import connect
from model import alerts
from portal import safe
from portal.reports import digest
from radar import cli
from tests.portal.signals_fixtures import (alerted_db, account_names, busiest_owner, latest_alerts,  # noqa: F401
                                           owner_accounts, signals_db)


def links(text: str) -> set[str]:
    return set(re.findall(r"\?account=([^)\"&\s]+)", text))


def test_the_cap_holds_and_every_capped_critical_alert_is_in_the_digest(signals_db):
    eng = appstore.engine()
    latest = latest_alerts(signals_db)
    cap = alerts.load_settings().critical_per_owner_per_week
    assert latest.groupby("owner")["delivery"].apply(lambda d: (d == "notify").sum()).max() <= cap
    capped = latest[latest["capped"]]
    assert len(capped) > 0, "the sample should go over the budget for some owner"
    portfolio = digest.markdown(digest.build(str(signals_db), eng))
    for owner, theirs in capped.groupby("owner"):
        text = digest.markdown(digest.build(str(signals_db), eng, owner))
        for a in theirs.itertuples():
            assert f"?account={safe.account_link(a.account_id).split('=')[1]})" in text
            assert safe.md_doc(a.evidence) in text and safe.md_doc("over this week's alert budget") in text
            assert safe.md_doc(a.evidence) in portfolio
    d = digest.build(str(signals_db), eng)
    assert d.capped == len(capped)
    order = [(not a["interrupts"], -a["arr_at_risk"]) for a in d.act_on]
    assert order == sorted(order)  # this week's alerts first, then the rest by ARR at risk
    listed = {(a["account_id"], x["evidence"]) for a in d.act_on for x in a["alerts"]}
    critical = latest[latest["severity"] == "critical"]  # nobody acted: every critical alert is open
    assert set(zip(critical["account_id"], critical["evidence"])) <= listed


def test_an_owner_typed_in_another_case_or_spacing_gets_their_own_digest(signals_db):
    owner = busiest_owner(signals_db)
    typed = "  " + "  ".join(owner.lower().split()) + " "
    got = digest.build(str(signals_db), appstore.engine(), typed)
    assert got.owner == owner and got.scope == f"{owner}'s book"
    assert links(digest.markdown(got)) == links(digest.markdown(digest.build(str(signals_db), appstore.engine(), owner)))


def test_a_sams_digest_holds_only_their_book(signals_db):
    owner = busiest_owner(signals_db)
    text = digest.markdown(digest.build(str(signals_db), appstore.engine(), owner))
    assert links(text) and links(text) <= owner_accounts(signals_db, owner)
    html = digest.html(digest.build(str(signals_db), appstore.engine(), owner))
    assert links(html) <= owner_accounts(signals_db, owner)
    with pytest.raises(ValueError, match="no scored account is owned by 'Nobody'"):
        digest.build(str(signals_db), appstore.engine(), "Nobody")


def test_text_from_the_data_is_shown_as_text(signals_db):
    owner = busiest_owner(signals_db)
    target = latest_alerts(signals_db).query("owner == @owner and severity == 'critical'")["account_id"].iat[0]
    evil = "![x](https://evil.example/p.png) <script>alert(1)</script>"
    with connect(signals_db) as con:
        con.execute("update accounts set name = ? where account_id = ?", [evil, target])
    appstore.save_update(appstore.engine(), target, "jo@example.com", "sam", {}, "[Click here](https://evil.example)")
    d = digest.build(str(signals_db), appstore.engine(), owner)
    md, html = digest.markdown(d), digest.html(d)
    assert "![x](https" not in md and safe.md_doc(evil) in md and safe.md_doc("[Click here](https://evil.example)") in md
    on_screen = digest.markdown(d, safe.md)  # the portal's "Read it here": Streamlit's escaping
    assert "![x](https" not in on_screen and safe.md(evil) in on_screen
    assert "<script>" not in html and "&lt;script&gt;" in html and 'href="https://evil' not in html


def test_the_markdown_file_reads_as_plain_sentences_without_backslashes(signals_db):
    """A digest pasted into an e-mail or a wiki shows "42% (2027-01-31)", not "42\\% \\(2027\\-01\\-31\\)"."""
    md = digest.markdown(digest.build(str(signals_db), appstore.engine()))
    evidence = [line for line in md.splitlines() if line.startswith("    - ")]
    assert evidence and any("%" in line for line in evidence)
    for mark in ("\\%", "\\(", "\\-", "\\.", "\\'", "\\$", "\\:", "\\;"):
        assert mark not in md, f"{mark} in the digest file"
    # an account's alerts on one line read as clauses: never "... 0 of 100.; No CSM contact"
    joined = [line for line in md.splitlines() if line.startswith("- [") and "; " in line]
    assert joined and not [line for line in joined if ".;" in line]


def test_notes_and_plays_of_the_week_show_and_older_ones_do_not(signals_db):
    owner = busiest_owner(signals_db)
    account = sorted(owner_accounts(signals_db, owner))[0]
    eng = appstore.engine()
    appstore.save_update(eng, account, "jo", "sam", {}, "Renewal call booked for Friday")
    appstore.save_update(eng, account, "jo", "sam", {}, "An old note", at=dt.datetime.now() - dt.timedelta(days=9))
    appstore.log_play(eng, account, "training", dt.date.today(), "Two sessions", "jo", "sam")
    text = digest.markdown(digest.build(str(signals_db), eng, owner))
    assert safe.md_doc("Renewal call booked for Friday") in text and "old note" not in text
    assert "Training for the users who are not active" in text


def test_a_warehouse_without_alerts_still_gets_a_digest_that_says_so(scored_db, tmp_path, monkeypatch):
    db = tmp_path / "plain.duckdb"
    shutil.copy(scored_db, db)
    monkeypatch.setenv("RADAR_APP_DB", f"sqlite:///{tmp_path / 'app.db'}")
    text = digest.markdown(digest.build(str(db), appstore.engine()))
    assert "Alerts have not been computed yet: run `radar alerts`." in text


@pytest.fixture
def smtp_server():
    """A local SMTP server (aiosmtpd) that keeps what it receives."""
    aiosmtpd = pytest.importorskip("aiosmtpd.controller")
    from tests.support.servers import free_port
    received = []

    class Keep:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"
    port = free_port()
    controller = aiosmtpd.Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()


def test_radar_digest_send_mails_the_sams_of_that_book_and_is_audited(signals_db, smtp_server, tmp_path,
                                                                     monkeypatch, capsys):
    port, received = smtp_server
    owner = busiest_owner(signals_db)
    roles = tmp_path / "roles.toml"
    roles.write_text(f'[users."avery@example.com"]\nrole = "sam"\nowner = "{owner}"\n'
                     f'[users."lee@example.com"]\nrole = "leader"\n')
    monkeypatch.setenv("RADAR_ROLES", str(roles))
    monkeypatch.setenv("RADAR_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("RADAR_SMTP_PORT", str(port))
    monkeypatch.setenv("RADAR_SMTP_STARTTLS", "false")
    assert cli.main(["digest", "--db", str(signals_db), "--owner", owner, "--format", "html", "--send"]) == 0
    assert f"sent to avery@example.com" in capsys.readouterr().out
    assert [e.rcpt_tos for e in received] == [["avery@example.com"]]
    body = received[0].content.decode()
    assert "Subject: Account Radar weekly digest:" in body and "text/html" in body and "text/plain" in body
    row = appstore.audit_log(appstore.engine()).iloc[0]
    assert (row.action, row.target, row.role) == ("send digest", owner, "operator")
    assert cli.main(["digest", "--db", str(signals_db), "--send"]) == 0  # the portfolio goes to the leaders
    assert received[1].rcpt_tos == ["lee@example.com"]


def test_nothing_is_sent_unless_smtp_is_configured(signals_db, monkeypatch, capsys):
    monkeypatch.delenv("RADAR_SMTP_HOST", raising=False)
    assert cli.main(["digest", "--db", str(signals_db), "--send", "--to", "x@example.com"]) == 1
    assert "no SMTP server is configured" in capsys.readouterr().err
    assert appstore.audit_log(appstore.engine()).empty


def test_radar_digest_prints_markdown_by_default(signals_db, capsys):
    owner = busiest_owner(signals_db)
    assert cli.main(["digest", "--db", str(signals_db), "--owner", owner]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"# Weekly digest: {safe.md_doc(owner)}") and "## Act on these" in out


def test_a_name_with_a_line_break_cannot_add_a_mail_header():
    from portal.reports import mail
    msg = mail.message("Digest: Acme\nBcc: spy@evil.example", "text", "<p>html</p>", ["avery@example.com"], "radar@x")
    assert msg["Subject"] == "Digest: Acme Bcc: spy@evil.example" and msg["Bcc"] is None


def test_recipients_come_from_the_roles_file():
    from portal.reports import mail
    roles = {"avery@example.com": {"role": "sam", "owner": "Avery"}, "jo": {"role": "sam", "owner": "Avery"},
             "lee@example.com": {"role": "leader"}, "ana@example.com": {"role": "analyst"}}
    assert mail.recipients_for("Avery", roles) == ["avery@example.com"]  # identities that are addresses
    assert mail.recipients_for(None, roles) == ["lee@example.com"]
    assert mail.recipients_for("Nobody", roles) == []


def test_before_any_churn_score_the_digest_uses_the_health_score(sample_db, tmp_path, monkeypatch):
    """A portfolio no model could train on yet (too little history, no churned account): the
    leaders still get their Monday digest, from the rule-based health score and the alerts that
    need no model."""
    from model import alerts
    monkeypatch.setenv("RADAR_APP_DB", f"sqlite:///{tmp_path / 'app.db'}")
    db = tmp_path / "unscored.duckdb"
    shutil.copy(sample_db, db)  # features and health, never scored
    with connect(db) as con:
        alerts.run(con, all_dates=True, progress=lambda *a: None)
        health = con.execute("""select h.account_id, h.health_tier, f.arr from health h join features f using (account_id, as_of)
                                where as_of = (select max(as_of) from health)""").df()
    d = digest.build(str(db), appstore.engine())
    poor = health[health["health_tier"] == "poor"]
    assert not d.scored and d.accounts == len(health) and d.poor == len(poor)
    assert d.poor_arr == pytest.approx(poor["arr"].sum())
    md, html = digest.markdown(d), digest.html(d)
    assert "No churn model has scored these accounts yet" in md and "rule-based health score" in html
    words = set(re.findall(r"[A-Za-z]+", md))
    assert "at risk" not in md and not words & {"nan", "NaN", "NaT"} and md.count("None") == md.count("- None.")
    assert f"{len(poor)} in poor health" in md.split("\n\n")[2]  # the headline
    assert d.act_on and all(a["alerts"][0]["severity"] == "critical" for a in d.act_on)
    arr = [a["arr"] for a in d.act_on if a["interrupts"]]
    assert arr == sorted(arr, reverse=True)  # without a model: by the ARR the alerts put in question
    assert sum(o["poor"] for o in d.owners) == len(poor)
    assert "in poor health" in digest.subject(d)
    owner = d.owners[0]["owner"]
    mine = digest.build(str(db), appstore.engine(), owner)
    assert mine.accounts == d.owners[0]["accounts"] and not mine.owners
    with pytest.raises(ValueError, match="no active account is owned by 'Nobody'"):
        digest.build(str(db), appstore.engine(), "Nobody")


def test_a_digest_before_any_health_score_says_what_to_run(tmp_path, monkeypatch):
    monkeypatch.setenv("RADAR_APP_DB", f"sqlite:///{tmp_path / 'app.db'}")
    db = tmp_path / "empty.duckdb"
    with connect(db) as con:
        con.execute("create table accounts (account_id varchar, owner varchar)")
    with pytest.raises(ValueError, match=r"no account has a health score or a churn score yet: run `radar features`"):
        digest.build(str(db), appstore.engine())

def test_accounts_without_an_owner_are_a_line_for_the_leaders_to_act_on(signals_db):
    with connect(signals_db) as con:
        con.execute("update accounts set owner = null where account_id in "
                    "(select account_id from scores where as_of = (select max(as_of) from scores) "
                    " order by account_id limit 5)")
    md = digest.markdown(digest.build(str(signals_db), appstore.engine()))
    line = next(x for x in md.splitlines() if x.startswith("- Unassigned:"))
    assert "5 accounts with no owner" in line and "give them an owner" in line
