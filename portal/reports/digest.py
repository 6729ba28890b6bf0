"""The weekly digest that replaces the Monday status ask: for one owner's book or the whole
portfolio, the accounts to act on and why, ARR at risk, what changed since last week (tier moves,
new alerts, renewals coming, the notes SAMs wrote, the plays they logged), each account a deep
link into the portal. Figures and sentences, not a table.

`build` reads the warehouse and the operational store into a `Digest`; `markdown` and `html`
render it (every string from the data escaped for its format). No Streamlit.
"""
from __future__ import annotations

import datetime as dt
import html as h
from dataclasses import dataclass, field

import pandas as pd

from features.catalog import money
from portal import queries, safe, signals
from portal.reports import settings as config


@dataclass
class Digest:
    scope: str  # "Avery Chen's book" or "the whole portfolio"
    owner: str | None
    as_of: dt.date
    since: dt.date | None
    today: dt.date
    portal_url: str
    accounts: int
    arr: float
    arr_at_risk: float
    arr_at_risk_before: float | None
    high_risk: int
    renewal_days: int
    poor: int = 0  # accounts in poor health, and their ARR
    poor_arr: float = 0.0
    act_on: list[dict] = field(default_factory=list)  # one per account with an open critical alert
    watch: list[dict] = field(default_factory=list)  # accounts with warnings only, most ARR at risk first
    watch_more: int = 0
    moves: list[dict] = field(default_factory=list)  # risk or health tier changes since `since`
    new_alerts: dict = field(default_factory=dict)  # severity -> alerts first seen after `since`
    renewals: list[dict] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)
    plays: list[dict] = field(default_factory=list)
    owners: list[dict] = field(default_factory=list)  # the portfolio digest: one line per owner
    set_aside: int = 0  # snoozed or dismissed alerts, not repeated here
    alerts_ran: bool = True
    recent_days: int = 7
    scored: bool = True  # False: no churn model has scored yet, so the rule-based health score alone

    def link(self, account_id: str) -> str:
        return self.portal_url.rstrip("/") + safe.account_link(account_id)

    @property
    def capped(self) -> int:
        return sum(1 for a in self.act_on for x in a["alerts"] if x["capped"])


UNASSIGNED = "Unassigned"  # the owner of an account whose owner is not given (queries and model.alerts alike)
RISK_RANK = {"low": 0, "medium": 1, "high": 2}
HEALTH_RANK = {"healthy": 0, "concerning": 1, "poor": 2}


def _day(d) -> str:
    return "—" if d is None or pd.isna(d) else pd.Timestamp(d).strftime("%Y-%m-%d")


def _moves(now: pd.DataFrame, before: pd.DataFrame | None) -> list[dict]:
    if before is None or before.empty:
        return []
    both = now.merge(before[["account_id", "risk_tier", "health_tier"]], on="account_id", suffixes=("", "_before"))
    out = []
    for what, col, rank in (("risk", "risk_tier", RISK_RANK), ("health", "health_tier", HEALTH_RANK)):
        moved = both[(both[col] != both[f"{col}_before"]) & both[col].isin(rank) & both[f"{col}_before"].isin(rank)]
        for r in moved.itertuples():
            out.append({"account_id": r.account_id, "name": r.name, "owner": r.owner, "what": what,
                        "from": getattr(r, f"{col}_before"), "to": getattr(r, col), "arr_at_risk": r.arr_at_risk,
                        "worse": rank[getattr(r, col)] > rank[getattr(r, f"{col}_before")]})
    return sorted(out, key=lambda m: (not m["worse"], -(m["arr_at_risk"] or 0)))


def build(db: str, eng, owner: str | None = None, today: dt.date | None = None,
          s: config.DigestSettings | None = None) -> Digest:
    """The digest for `owner`'s book (None: the whole portfolio) from the latest scores and alerts.
    ValueError when nothing is scored yet or the owner has no account."""
    from features import appstore
    s = s or config.digest()
    today = today or dt.date.today()
    have = queries.tables(db)
    dates = queries.score_dates(db) if "scores" in have else []
    scored = bool(dates)
    if not scored:  # no churn model yet: the digest of the rule-based health score
        dates = queries.health_dates(db) if queries.unscored(have, []) else []
    if not dates:
        raise ValueError("no account has a health score or a churn score yet: run `radar features` and `radar health` "
                         "(then `radar train`, which says what the model still needs, `radar score --all-dates` and "
                         "`radar alerts`)")
    as_of, since = dates[-1], queries.comparison_date(dates, s.compare_days)
    frame = queries.portfolio if scored else queries.health_as_portfolio
    now = frame(db, as_of)
    before = frame(db, since) if since is not None else None
    if owner is not None:
        # an owner as the CRM spells them, whatever case and spacing the command line used
        spelled = {" ".join(str(o).split()).casefold(): o for o in set(now["owner"].dropna())}
        owner = spelled.get(" ".join(owner.split()).casefold(), owner)
        if owner not in set(now["owner"]):
            raise ValueError(f"no {'scored' if scored else 'active'} account is owned by {owner!r}; "
                             f"owners: {', '.join(sorted(set(now['owner'])))}")
        now = now[now["owner"] == owner]
        before = before[before["owner"] == owner] if before is not None else None
    ids = set(now["account_id"])
    d = Digest(scope=f"{owner}'s book" if owner else "the whole portfolio", owner=owner, as_of=as_of, since=since,
               today=today, portal_url=s.portal_url, accounts=len(now), arr=float(now["arr"].sum()),
               arr_at_risk=float(now["arr_at_risk"].sum()),
               arr_at_risk_before=float(before["arr_at_risk"].sum()) if before is not None else None,
               high_risk=int((now["risk_tier"] == "high").sum()), renewal_days=s.renewal_days,
               recent_days=s.recent_days, scored=scored, poor=int((now["health_tier"] == "poor").sum()),
               poor_arr=float(now["arr"].where(now["health_tier"] == "poor", 0).sum()))
    alerts = signals.alerts_now(db, eng, today) if "alerts" in have else pd.DataFrame()
    d.alerts_ran = "alerts" in have
    if len(alerts):
        alerts = alerts[alerts["account_id"].isin(ids)]
        d.set_aside = int(alerts["status"].isin(["snoozed", "dismissed"]).sum())
        live = alerts[alerts["status"].isin(["open", "acknowledged"])]
        info = now.set_index("account_id")[["arr_at_risk", "arr", "health_score", "health_tier", "renewal_date"]].to_dict("index")
        per_account: dict[str, list[dict]] = {}
        for x in live.to_dict("records"):  # most pressing first (alerts.ordered); plain dicts: fast at 5,000 accounts
            per_account.setdefault(x["account_id"], []).append(x)
        for account, xs in per_account.items():
            xs = sorted(xs, key=lambda x: x["severity"] != "critical")  # stable: critical first, order kept
            r = info.get(account, {})
            at_risk = r.get("arr_at_risk", xs[0]["arr_at_risk"])
            item = {"account_id": account, "name": xs[0]["name"], "owner": xs[0]["owner"],
                    "arr_at_risk": 0.0 if pd.isna(at_risk) else float(at_risk),
                    "arr": float(r.get("arr") or 0), "health": r.get("health_score"), "health_tier": r.get("health_tier")}
            if xs[0]["severity"] == "critical":
                d.act_on.append(item | {
                    "renewal_date": r.get("renewal_date"),
                    "interrupts": any(x["delivery"] == "notify" for x in xs),
                    "alerts": [{"label": x["label"], "severity": x["severity"], "evidence": x["evidence"],
                                "capped": bool(x["capped"]), "notify": x["delivery"] == "notify", "status": x["status"],
                                "status_note": x["status_note"]} for x in xs]})
            elif any(x["severity"] == "warning" for x in xs):
                d.watch.append(item | {"alerts": [{"label": x["label"], "evidence": x["evidence"]}
                                                  for x in xs if x["severity"] == "warning"]})
        rank = "arr_at_risk" if scored else "arr"  # without a model, the ARR an alert puts in question
        d.act_on.sort(key=lambda a: (not a["interrupts"], -a[rank], a["account_id"]))
        d.watch.sort(key=lambda a: (-a[rank], a["account_id"]))
        d.watch_more = max(len(d.watch) - s.watch_max, 0)
        d.watch = d.watch[:s.watch_max]
        fresh = alerts[pd.to_datetime(alerts["first_seen"]) > pd.Timestamp(since)] if since is not None else alerts
        d.new_alerts = {sev: int((fresh["severity"] == sev).sum()) for sev in ("critical", "warning", "info")}
    d.moves = _moves(now, before)
    who = now.set_index("account_id")[["name", "owner"]].to_dict("index")
    due = queries.renewals_due(now, s.renewal_days)
    d.renewals = [{"account_id": r.account_id, "name": r.name, "owner": r.owner, "renewal_date": r.renewal_date,
                   "days": r.days_to_renewal, "arr": r.arr, "risk_tier": r.risk_tier, "p": r.churn_probability,
                   "health_tier": r.health_tier, "health": r.health_score}
                  for r in due.itertuples()]
    cutoff = pd.Timestamp(today) - pd.Timedelta(days=s.recent_days)
    notes = appstore.notes(eng, sorted(ids))
    notes = notes[pd.to_datetime(notes["edited_at"]) >= cutoff]
    d.notes = [{"account_id": n.account_id, "name": who[n.account_id]["name"], "note": n.note,
                "by": n.edited_by, "at": n.edited_at} for n in notes.itertuples()]
    from model.plays import load_settings as play_settings
    ps = play_settings()
    logged = appstore.play_log(eng, sorted(ids))
    logged = logged[pd.to_datetime(logged["logged_at"]) >= cutoff]
    d.plays = [{"account_id": p.account_id, "name": who[p.account_id]["name"], "play": ps.label(p.play),
                "by": p.logged_by, "on": p.done_on, "note": p.note} for p in logged.itertuples()]
    if owner is None:
        for o, g in now.groupby("owner"):
            mine = [a for a in d.act_on if a["owner"] == o]
            d.owners.append({"owner": o, "accounts": len(g), "arr_at_risk": float(g["arr_at_risk"].sum()),
                             "poor": int((g["health_tier"] == "poor").sum()),
                             "poor_arr": float(g["arr"].where(g["health_tier"] == "poor", 0).sum()),
                             "critical": len(mine), "interrupting": sum(a["interrupts"] for a in mine),
                             "notes": sum(1 for n in d.notes if who[n["account_id"]]["owner"] == o)})
        d.owners.sort(key=lambda o: -(o["arr_at_risk"] if scored else o["poor_arr"]))
    return d


def _at_stake(d: Digest, a: dict) -> str:
    """'$12k at risk', or without a model '$40k ARR, health 39 (poor)'."""
    if d.scored:
        return f"{money(a['arr_at_risk'])} at risk"
    return f"{money(a['arr'])} ARR, " + _health(a)


def _renewal_state(d: Digest, r: dict) -> str:
    if d.scored:
        return f"{r['risk_tier']} risk ({r['p']:.0%})"
    return _health(r)


def _health(x: dict) -> str:
    """'health 39 (poor)'."""
    return f"health {x['health']:.0f} ({x['health_tier']})" if pd.notna(x.get("health")) else "no health score"


def _owner_line(d: Digest, o: dict) -> str:
    stake = (f"{money(o['arr_at_risk'])} at risk" if d.scored
             else f"{o['poor']} in poor health ({money(o['poor_arr'])} ARR)")
    if o["owner"] == UNASSIGNED:  # nobody is told of their alerts but the leaders reading this
        return f"{o['accounts']} accounts with no owner, {stake}, {o['critical']} to act on: give them an owner"
    return (f"{o['accounts']} accounts, {stake}, {o['critical']} to act on ({o['interrupting']} with this week's "
            f"alerts), {o['notes']} notes this week")


NO_MODEL = ("No churn model has scored these accounts yet (`radar train` says what it still needs), so this "
            "digest uses the rule-based health score.")


def subject(d: Digest) -> str:
    stake = f"{money(d.arr_at_risk)} ARR at risk" if d.scored else f"{money(d.poor_arr)} ARR in poor health"
    return f"Account Radar weekly digest: {d.scope}, {len(d.act_on)} accounts to act on, {stake} ({_day(d.as_of)})"


def _headline(d: Digest) -> str:
    if not d.scored:
        return (f"{d.accounts:,} accounts, {money(d.arr)} ARR; {d.poor} in poor health ({money(d.poor_arr)} ARR); "
                f"{len(d.renewals)} renewing in the next {d.renewal_days} days "
                f"({money(sum(r['arr'] for r in d.renewals))}).")
    change = "" if d.arr_at_risk_before is None else \
        f" ({'+' if d.arr_at_risk >= d.arr_at_risk_before else '-'}{money(abs(d.arr_at_risk - d.arr_at_risk_before))} since {_day(d.since)})"
    soon = sum(1 for r in d.renewals)
    return (f"{d.accounts:,} accounts, {money(d.arr)} ARR, {money(d.arr_at_risk)} of it at risk{change}; "
            f"{d.high_risk} at high risk; {soon} renewing in the next {d.renewal_days} days "
            f"({money(sum(r['arr'] for r in d.renewals))}).")


def _tag(x: dict) -> str:
    where = "this week's alert" if x["notify"] else ("over this week's alert budget" if x["capped"] else x["severity"])
    if x["severity"] == "critical" and not x["notify"] and not x["capped"]:
        where = "critical, still open"
    status = f"; {x['status']}" + (f" {x['status_note']}" if x["status_note"] else "") if x["status"] != "open" or x["status_note"] else ""
    return where + status


def _moves_text(d: Digest, esc, link) -> list[str]:
    lines = []
    for what in ("risk", "health"):
        ms = [m for m in d.moves if m["what"] == what]
        if ms:
            worse = [m for m in ms if m["worse"]]
            shown = ", ".join(f"{link(m)}: {m['from']} → {m['to']}" for m in ms[:8])
            more = f", and {len(ms) - 8} more" if len(ms) > 8 else ""
            lines.append(f"{what.capitalize()} tier moved on {len(ms)} accounts ({len(worse)} worse): {shown}{more}.")
    if d.new_alerts:
        n = d.new_alerts
        lines.append(f"New alerts since {_day(d.since)}: {n.get('critical', 0)} critical, {n.get('warning', 0)} "
                     f"warnings, {n.get('info', 0)} for information.")
    return lines


def _clause(evidence) -> str:
    """An alert's evidence as a clause of a '; '-joined line: its own full stop dropped ('.;' reads badly)."""
    return str(evidence).rstrip().rstrip(".")


def markdown(d: Digest, m=safe.md_doc) -> str:
    """The digest as Markdown: every data-borne string escaped (`m`: safe.md_doc for a file, which
    leaves plain punctuation alone; safe.md to show it in the portal), links URL-encoded."""

    def link(x: dict) -> str:
        return f"[{m(x['name'])}]({d.link(x['account_id'])})"
    out = [f"# Weekly digest: {m(d.scope)}", "",
           f"Data as of {_day(d.as_of)}" + (f", compared with {_day(d.since)}" if d.since else "") +
           f"; made {_day(d.today)}.", "", f"**{_headline(d)}**", ""]
    if not d.scored:
        out += [NO_MODEL, ""]
    if not d.alerts_ran:
        out += ["Alerts have not been computed yet: run `radar alerts`.", ""]
    out += [f"## Act on these ({len(d.act_on)} accounts)", ""]
    if not d.act_on:
        out += ["No open critical alert. " + ("" if not d.set_aside else f"{d.set_aside} snoozed or dismissed alerts are set aside."), ""]
    for i, a in enumerate(d.act_on, 1):
        extra = f" · owner {m(a['owner'])}" if d.owner is None else ""
        out.append(f"{i}. **{link(a)}** · {_at_stake(d, a)} · renewal {_day(a['renewal_date'])}{extra}")
        out += [f"    - {m(x['label'])} ({m(_tag(x))}): {m(x['evidence'])}" for x in a["alerts"]]
    if d.capped:
        out += ["", f"{d.capped} critical alerts went over this week's budget of interruptions; they are listed "
                    f"above, ranked by {'ARR at risk' if d.scored else 'ARR'}, and compete for next week's."]
    out += ["", f"## What changed since {_day(d.since) if d.since else 'the last snapshot'}", ""]
    changed = _moves_text(d, m, link)
    out += [f"- {line}" for line in changed] or ["- Nothing moved."]
    out += ["", f"## Renewals in the next {d.renewal_days} days", ""]
    out += [f"- {link(r)}: {_day(r['renewal_date'])} ({r['days']:.0f} days), {money(r['arr'])} ARR, "
            f"{m(_renewal_state(d, r))}" for r in d.renewals] or ["- None."]
    out += ["", f"## Notes from SAMs in the last {d.recent_days} days", ""]
    out += [f"- {link(n)}: “{m(n['note'])}” ({m(n['by'])}, {_day(n['at'])})" for n in d.notes] or ["- None."]
    out += ["", f"## Plays logged in the last {d.recent_days} days", ""]
    out += [f"- {link(p)}: {m(p['play'])} on {_day(p['on'])} ({m(p['by'])})" + (f": {m(p['note'])}" if p["note"] else "")
            for p in d.plays] or ["- None."]
    if d.watch:
        out += ["", "## Worth a look (warnings)", ""]
        out += [f"- {link(w)}: " + "; ".join(f"{m(x['label'])}: {m(_clause(x['evidence']))}" for x in w["alerts"]) for w in d.watch]
        if d.watch_more:
            out.append(f"- and {d.watch_more} more accounts on the Alerts page.")
    if d.owners:
        out += ["", "## By owner", ""]
        out += [f"- {m(o['owner'])}: {m(_owner_line(d, o))}" for o in d.owners]
    return "\n".join(out) + "\n"


STYLE = ("body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:760px;margin:auto;color:#222}"
         "h1{font-size:20px}h2{font-size:16px;margin-top:24px;border-bottom:1px solid #ddd}li{margin:4px 0}"
         ".crit{color:#c0392b;font-weight:600}.muted{color:#666}")


def html(d: Digest) -> str:
    """The digest as a self-contained HTML page (for mail): every data-borne string escaped."""
    e = h.escape

    def link(x: dict) -> str:
        return f'<a href="{e(d.link(x["account_id"]))}">{e(str(x["name"]))}</a>'

    def items(lines: list[str], none: str = "None.") -> str:
        return "<ul>" + ("".join(f"<li>{x}</li>" for x in lines) or f"<li>{none}</li>") + "</ul>"
    body = [f"<h1>Weekly digest: {e(d.scope)}</h1>",
            f'<p class="muted">Data as of {_day(d.as_of)}' + (f", compared with {_day(d.since)}" if d.since else "")
            + f"; made {_day(d.today)}.</p>", f"<p><b>{e(_headline(d))}</b></p>"]
    if not d.scored:
        body.append(f"<p>{e(NO_MODEL)}</p>")
    if not d.alerts_ran:
        body.append("<p>Alerts have not been computed yet: run <code>radar alerts</code>.</p>")
    body.append(f"<h2>Act on these ({len(d.act_on)} accounts)</h2>")
    if not d.act_on:
        body.append("<p>No open critical alert." + (f" {d.set_aside} snoozed or dismissed alerts are set aside." if d.set_aside else "") + "</p>")
    else:
        rows = []
        for a in d.act_on:
            extra = f" · owner {e(str(a['owner']))}" if d.owner is None else ""
            sub = "".join(f'<li><span class="{"crit" if x["severity"] == "critical" else ""}">{e(x["label"])}</span> '
                          f'<span class="muted">({e(_tag(x))})</span>: {e(str(x["evidence"]))}</li>' for x in a["alerts"])
            rows.append(f"<li><b>{link(a)}</b> · {e(_at_stake(d, a))} · renewal "
                        f"{_day(a['renewal_date'])}{extra}<ul>{sub}</ul></li>")
        body.append("<ol>" + "".join(rows) + "</ol>")
    if d.capped:
        body.append(f"<p>{d.capped} critical alerts went over this week's budget of interruptions; they are listed "
                    f"above, ranked by {'ARR at risk' if d.scored else 'ARR'}, and compete for next week's.</p>")
    body.append(f"<h2>What changed since {_day(d.since) if d.since else 'the last snapshot'}</h2>")
    body.append(items(_moves_text(d, e, link), "Nothing moved."))
    body.append(f"<h2>Renewals in the next {d.renewal_days} days</h2>")
    body.append(items([f"{link(r)}: {_day(r['renewal_date'])} ({r['days']:.0f} days), {e(money(r['arr']))} ARR, "
                       f"{e(_renewal_state(d, r))}" for r in d.renewals]))
    body.append(f"<h2>Notes from SAMs in the last {d.recent_days} days</h2>")
    body.append(items([f"{link(n)}: “{e(str(n['note']))}” ({e(str(n['by']))}, {_day(n['at'])})" for n in d.notes]))
    body.append(f"<h2>Plays logged in the last {d.recent_days} days</h2>")
    body.append(items([f"{link(p)}: {e(p['play'])} on {_day(p['on'])} ({e(str(p['by']))})"
                       + (f": {e(str(p['note']))}" if p["note"] else "") for p in d.plays]))
    if d.watch:
        body.append("<h2>Worth a look (warnings)</h2>")
        body.append(items([f"{link(w)}: " + "; ".join(f"{e(x['label'])}: {e(_clause(x['evidence']))}" for x in w["alerts"])
                           for w in d.watch] + ([f"and {d.watch_more} more accounts on the Alerts page."]
                                                if d.watch_more else [])))
    if d.owners:
        body.append("<h2>By owner</h2>")
        body.append(items([f"{e(str(o['owner']))}: {e(_owner_line(d, o))}" for o in d.owners]))
    return (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{e(subject(d))}</title>"
            f"<style>{STYLE}</style></head><body>{''.join(body)}</body></html>\n")


def render(d: Digest, fmt: str, screen: bool = False) -> str:
    """The digest as a file (`md` or `html`), or as Markdown to show in the portal (`screen`)."""
    if fmt not in ("md", "html"):
        raise ValueError(f"unknown digest format {fmt!r}; use md or html")
    return (markdown(d, safe.md if screen else safe.md_doc)) if fmt == "md" else html(d)
