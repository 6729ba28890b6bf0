"""The QBR data pack for one account: a draft for its SAM to edit, never sent by itself.

Follows the business-review outline (intros, the customer's strategy and initiatives, progress and
outcomes, usage, value realised, roadmap and feedback, next steps) and the adoption playbook: the
one-sentence summary (who is active, what they do, what it produces), usage by persona and by
critical workflow against its target, trends over the last quarters, what the platform produced,
licensed against active users, and recommended next steps. Risks and the model's view sit in a
section marked internal, to remove before the pack is shared.

`build` reads; `markdown`, `html` (charts inline as PNG) and `pdf` (matplotlib's PDF backend, no
extra dependency) render. No Streamlit.
"""
from __future__ import annotations

import base64
import datetime as dt
import html as h
import io
import textwrap
from dataclasses import dataclass, field

import pandas as pd

from features.catalog import display_name, money
from portal import queries, safe, signals
from portal.reports import settings as config
from portal.settings import load_settings
from portal.summary import account_summary

PERIOD_DAYS = 91  # a quarter: 13 weeks ending on the pack's date, so every period is the same length
SPARK = "▁▂▃▄▅▆▇█"


@dataclass
class QbrPack:
    account_id: str
    name: str
    owner: str
    segment: str
    as_of: dt.date
    arr: float
    renewal_date: object
    days_to_renewal: float | None
    summary: str
    personas: pd.DataFrame  # persona, registered, active_30d, share, key
    workflows: pd.DataFrame  # description, intended_persona, done, target, attainment
    periods: pd.DataFrame  # one row per quarter, oldest first: period_end and the figures charted
    outcomes: list[str]
    seats: dict
    support: str
    risks: list[str]
    internal: dict
    next_steps: list[str] = field(default_factory=list)


def _day(d) -> str:
    return "—" if d is None or pd.isna(d) else pd.Timestamp(d).strftime("%Y-%m-%d")


def _num(v, fmt: str = "{:,.0f}") -> str:
    return "—" if v is None or pd.isna(v) else fmt.format(v)


def _change(now, before) -> str:
    if before is None or pd.isna(before) or not before or now is None or pd.isna(now):
        return ""
    return f" ({now / before - 1:+.0%} on the quarter before)"


def _periods(features: pd.DataFrame, health: pd.DataFrame, scores: pd.DataFrame, as_of, n: int) -> pd.DataFrame:
    """The account's snapshot nearest before each quarter end (as_of, as_of - 91 days, ...)."""
    f = features.assign(as_of=pd.to_datetime(features["as_of"])).sort_values("as_of")
    f = f.merge(health.assign(as_of=pd.to_datetime(health["as_of"]))[["as_of", "health_score"]], on="as_of", how="left")
    f = f.merge(scores.assign(as_of=pd.to_datetime(scores["as_of"]))[["as_of", "churn_probability"]], on="as_of", how="left")
    rows = []
    for k in range(n - 1, -1, -1):
        end = pd.Timestamp(as_of) - pd.Timedelta(days=PERIOD_DAYS * k)
        before = f[f["as_of"] <= end]
        if len(before) and (end - before["as_of"].iat[-1]).days < PERIOD_DAYS:
            rows.append(before.iloc[-1].to_dict() | {"period_end": end})
    cols = ["period_end", "as_of", "active_users_30d", "seats", "registered_users", "events_30d", "persona_coverage",
            "workflows_on_target_share", "health_score", "churn_probability"]
    return pd.DataFrame(rows).reindex(columns=cols)


def _outcome_events(db: str, account_id: str, as_of, n: int) -> pd.DataFrame:
    """Events per type in each 91-day period up to as_of (k = 0 the latest): count, quantity,
    people, and how much of it the platform did by itself (no user)."""
    return queries.query(db, """
        select event_type, cast(floor(date_diff('day', cast(occurred_at as date), $as_of) / $days) as integer) as k,
               count(*) as events, sum(coalesce(quantity, 1)) as quantity, count(distinct user_id) as people,
               avg(case when user_id is null then 1.0 else 0.0 end) as platform_share
        from events
        where account_id = $id and cast(occurred_at as date) <= $as_of
          and cast(occurred_at as date) > $as_of - $span
        group by all""", {"id": account_id, "as_of": pd.Timestamp(as_of).date(), "days": PERIOD_DAYS,
                          "span": PERIOD_DAYS * max(n, 5)})


def _people(n: int) -> str:
    return f"{n:,} {'person' if n == 1 else 'people'}"


def _outcomes(events: pd.DataFrame, workflows: dict[str, str], as_of, top: int, users_known: bool = True) -> list[str]:
    """What the platform produced: platform-delivered events and critical workflows done, in the
    latest quarter against the one before and a year before. Where the events name no users at all
    (`users_known` false) nothing can be told apart as the platform's: the most frequent events."""
    if events.empty:
        return ["No product events in the last quarter."]
    latest = events[events["k"] == 0]
    if not users_known:
        return _busiest(events, latest, as_of, top)
    platform = latest[latest["platform_share"] >= load_settings().platform_share_at]["event_type"]
    chosen = latest[latest["event_type"].isin(set(platform) | set(workflows))] \
        .sort_values("quantity", ascending=False).head(top)["event_type"]
    out = []
    for et in chosen:
        g = events[events["event_type"] == et].set_index("k")
        by_platform = et in set(platform)
        col = "quantity" if by_platform else "events"
        now, before = g[col].get(0), g[col].get(1)
        year = g[col].get(4)
        tail = _change(now, before) + (f", {now / year - 1:+.0%} on a year before" if year else "")
        if by_platform:
            out.append(f"The platform delivered {now:,.0f} {display_name(et)} in the quarter to {_day(as_of)}{tail}.")
        else:
            out.append(f"{workflows[et]}: {display_name(et)} {now:,.0f} times by {_people(int(g['people'].get(0, 0)))} "
                       f"in the quarter to {_day(as_of)}{tail}.")
    return out or ["None of the critical workflows or platform deliveries occurred in the last quarter."]


def _busiest(events: pd.DataFrame, latest: pd.DataFrame, as_of, top: int) -> list[str]:
    out = []
    for et in latest.sort_values("events", ascending=False).head(top)["event_type"]:
        g = events[events["event_type"] == et].set_index("k")["events"]
        now, before, year = g.get(0), g.get(1), g.get(4)
        tail = _change(now, before) + (f", {now / year - 1:+.0%} on a year before" if year else "")
        out.append(f"{now:,.0f} {display_name(et)} in the quarter to {_day(as_of)}{tail}.")
    return out


def build(db: str, eng, account_id: str, today: dt.date | None = None, s: config.QbrSettings | None = None) -> QbrPack:
    """The pack for one account from the latest snapshot. LookupError when the account has no score."""
    from features.settings import load_settings as pipeline_settings
    from model.plays import load_settings as play_settings
    s = s or config.qbr()
    have = queries.tables(db)
    dates = queries.score_dates(db) if "scores" in have else []
    scored = bool(dates)
    if not scored:  # no churn model yet: the pack needs usage, not a churn score
        dates = queries.health_dates(db) if queries.unscored(have, []) else []
    if not dates:
        raise LookupError("no account has a health score yet: run `radar features` and `radar health`")
    row = (queries.portfolio if scored else queries.health_as_portfolio)(db, dates[-1]).set_index("account_id")
    if account_id not in row.index:
        raise LookupError(f"no {'scored' if scored else 'active'} account {account_id!r} at {_day(dates[-1])}")
    r = row.loc[account_id]
    d = queries.account_detail(db, account_id, have, 15)
    feats = d["features"].iloc[-1] if len(d["features"]) else pd.Series(dtype=float)
    ps = pipeline_settings()
    key = set(ps.key_personas)
    personas = d["personas"].assign(share=lambda p: p["active_30d"] / p["registered"].where(p["registered"] > 0),
                                    key=lambda p: p["persona"].isin(key)) if len(d["personas"]) else pd.DataFrame()
    flows = d["workflows"]
    workflows = flows.assign(done=flows["by_persona"], target=flows["per_user_per_30d"])[
        ["description", "intended_persona", "event_type", "done", "by_anyone", "target", "attainment"]] if len(flows) else pd.DataFrame()
    periods = _periods(d["features"], d["health"], d["scores"], dates[-1], s.quarters)
    events = _outcome_events(db, account_id, dates[-1], s.quarters)
    users_known = pd.notna(feats.get("active_users_30d"))  # absent when the events name no users
    outcomes = _outcomes(events, {w.event_type: w.description for w in ps.workflows}, dates[-1], s.outcome_events,
                         users_known)
    seats = {k: feats.get(c) for k, c in (("licensed", "seats"), ("registered", "registered_users"),
                                          ("active", "active_users_30d"), ("never", "never_logged_in_users"))}
    t90 = feats.get("tickets_90d")
    support = ("No support tickets were loaded for this portfolio." if t90 is None else
               f"{_num(t90)} support tickets in the last 90 days ({_num(feats.get('defect_tickets_90d'))} defects), "
               f"{_num(feats.get('open_tickets'))} open.")
    alerts = signals.alerts_now(db, eng, today) if "alerts" in have else pd.DataFrame()
    mine = alerts[(alerts["account_id"] == account_id) & alerts["status"].isin(["open", "acknowledged"])] if len(alerts) else alerts
    risks = [f"{a.label} ({a.severity}): {a.evidence}" for a in mine.itertuples()] if len(mine) else []
    raising = d["drivers"][d["drivers"]["direction"] == "raises"]["sentence"].head(3).tolist() if len(d["drivers"]) else []
    risks += [f"The model: {x}" for x in raising]
    plays = play_settings()
    steps, reasons = [], {}  # one step per suggested play, with every alert it answers
    for a in mine.itertuples() if len(mine) else []:
        suggested = plays.for_alert(a.kind)
        if suggested:
            reasons.setdefault(suggested[0].label, []).append(a.evidence[0].lower() + a.evidence[1:].rstrip("."))
    steps += [f"{play}: because " + "; and ".join(why) + "." for play, why in reasons.items()]
    if len(workflows):
        for w in workflows[workflows["attainment"] < 1].sort_values("attainment").itertuples():
            steps.append(f"Help the {w.intended_persona} users with '{w.description}': at {w.attainment:.0%} of its target "
                         f"({w.done:,.0f} done in 30 days by them; target {w.target:g} per user).")
    never = seats["never"]
    if never is not None and pd.notna(never) and never > 0:
        steps.append(f"Invite the {never:,.0f} registered users who never logged in to a first session, or retire their access.")
    exp = signals.expansion_now(db) if "expansion" in have else pd.DataFrame()
    for e in exp[exp["account_id"] == account_id].itertuples() if len(exp) else []:
        steps.append(f"Discuss {e.label.lower()} (an estimated {money(e.amount)}): {e.evidence}")
    return QbrPack(
        account_id=account_id, name=str(r["name"]), owner=str(r["owner"]), segment=str(r["segment"]), as_of=dates[-1],
        arr=float(r["arr"]), renewal_date=r["renewal_date"],
        days_to_renewal=None if pd.isna(r["days_to_renewal"]) else float(r["days_to_renewal"]),
        summary=account_summary(d["personas"], d["activity"], d["workflows"], feats.get("active_users_30d")),
        personas=personas, workflows=workflows, periods=periods, outcomes=outcomes, seats=seats, support=support,
        risks=risks or ["No open alert, and nothing notable raises the model's risk." if scored else "No open alert."],
        internal={"health_score": r["health_score"], "health_tier": r["health_tier"], "p": r["churn_probability"],
                  "risk_tier": r["risk_tier"], "arr_at_risk": r["arr_at_risk"]},
        next_steps=steps or ["Agree the goals for next quarter with the customer."])


# --- rendering ------------------------------------------------------------------------------------

TREND_ROWS = [("active_users_30d", "Active users (30 days)", "{:,.0f}"), ("seats", "Licensed seats", "{:,.0f}"),
              ("persona_coverage", "Key-persona users active", "{:.0%}"),
              ("workflows_on_target_share", "Critical workflows on target", "{:.0%}"),
              ("events_30d", "Product events (30 days)", "{:,.0f}")]
INTERNAL_TRENDS = [("health_score", "Health score", "{:.0f}"), ("churn_probability", "Churn probability", "{:.0%}")]


def _with_data(p: "QbrPack", rows):
    """The trend rows with a figure at some snapshot (no churn-probability row before any model)."""
    return [r for r in rows if r[0] in p.periods and p.periods[r[0]].notna().any()]


def spark(values) -> str:
    v = pd.Series(values, dtype=float).dropna()
    if v.empty:
        return ""
    lo, hi = v.min(), v.max()
    return "".join(SPARK[0 if hi == lo else int((x - lo) / (hi - lo) * (len(SPARK) - 1))] for x in v)


def _seat_lines(p: QbrPack) -> list[str]:
    s = p.seats
    lic = "no seat cap" if s["licensed"] is None or pd.isna(s["licensed"]) else f"{s['licensed']:,.0f} licensed seats"
    return [f"{lic}; {_num(s['registered'])} registered users; {_num(s['active'])} active in the last 30 days; "
            f"{_num(s['never'])} registered but never logged in."]


def _sections(p: QbrPack) -> list[tuple[str, list[str]]]:
    """(heading, lines) in the business-review order; tables and charts are added per format."""
    renewal = f"{_day(p.renewal_date)}" + (f" (in {p.days_to_renewal:.0f} days)" if p.days_to_renewal is not None else "")
    i = p.internal
    return [
        ("Intros", [f"{p.name} · {p.segment} · {money(p.arr)} ARR · renewal {renewal} · account manager {p.owner}.",
                    "[Who attends on each side, and their roles.]"]),
        ("Business strategy and key initiatives", ["[The customer's goals for this year, in their words, and the "
                                                   "initiatives our product supports. Confirm before the meeting.]"]),
        ("In one sentence", [p.summary]),
        ("Previous progress and outcomes", p.outcomes),
        ("Usage summary", _seat_lines(p)),
        ("Value realisation and maturity", ["How adoption moved over the last quarters (table and charts)."]),
        ("Product roadmap and feedback", [p.support, "[Roadmap items that matter to this customer; feedback to take back.]"]),
        ("Recommended next steps", p.next_steps),
        ("Internal: for the account team only (remove before sharing)",
         [f"Health score {_num(i['health_score'])} ({i['health_tier']}); "
          + (f"churn probability {_num(i['p'], '{:.0%}')} ({i['risk_tier']} risk), {money(i['arr_at_risk'] or 0)} ARR at risk."
             if pd.notna(i["p"]) else "no churn model has scored this account yet.")] + p.risks),
    ]


def markdown(p: QbrPack) -> str:
    """The pack as a Markdown file to edit: data-borne strings escaped for a document (safe.md_doc)."""
    m = safe.md_doc
    out = [f"# Business review: {m(p.name)}", "",
           f"*Draft data pack for {m(p.owner)} to edit, as of {_day(p.as_of)}. Not sent to anyone by Account Radar.*", ""]
    for title, lines in _sections(p):
        out += [f"## {title}", ""]
        out += [f"- {m(x)}" for x in lines] if len(lines) > 1 else [m(lines[0])]
        out.append("")
        if title == "Usage summary":
            out += _md_personas(p) + _md_workflows(p)
        if title == "Value realisation and maturity":
            out += _md_trends(p, TREND_ROWS)
        if title.startswith("Internal"):
            out += _md_trends(p, INTERNAL_TRENDS)
    return "\n".join(out)


def _md_personas(p: QbrPack) -> list[str]:
    if p.personas.empty:
        return ["No user list with personas was loaded.", ""]
    rows = ["| Persona | Registered | Active (30 days) | Share active |", "|---|---|---|---|"]
    rows += [f"| {safe.md_doc(r.persona)}{' (key)' if r.key else ''} | {r.registered:,} | {r.active_30d:,} | {_num(r.share, '{:.0%}')} |"
             for r in p.personas.itertuples()]
    return rows + [""]


def _md_workflows(p: QbrPack) -> list[str]:
    if p.workflows.empty:
        return ["No critical workflow configured matches this product's events.", ""]
    rows = ["| Critical workflow | Should be done by | Done by them (30 days) | Target per user | Against target |",
            "|---|---|---|---|---|"]
    rows += [f"| {safe.md_doc(w.description)} | {safe.md_doc(w.intended_persona)} | {w.done:,.0f} | {w.target:g} | {_num(w.attainment, '{:.0%}')} |"
             for w in p.workflows.itertuples()]
    return rows + [""]


def _md_trends(p: QbrPack, which) -> list[str]:
    if p.periods.empty:
        return []
    ends = [_day(e) for e in p.periods["as_of"]]  # the snapshot each column's figures come from
    rows = ["| As of | " + " | ".join(ends) + " | Trend |", "|---" * (len(ends) + 2) + "|"]
    for col, label, fmt in _with_data(p, which):
        vals = p.periods[col]
        rows.append(f"| {label} | " + " | ".join(_num(v, fmt) for v in vals) + f" | {spark(vals)} |")
    return rows + [""]


def charts(p: QbrPack, internal: bool = True):
    """The trend charts as one matplotlib Figure (no pyplot: safe in a server thread)."""
    from matplotlib.figure import Figure
    panels = [(["active_users_30d", "seats"], "Active users (30 days) and seats", "{x:,.0f}"),
              (["persona_coverage", "workflows_on_target_share"], "Key personas active, workflows on target", "{x:.0%}")]
    if internal:
        panels.append((["health_score"], "Health score (internal)", "{x:.0f}"))
    fig = Figure(figsize=(8.27, 2.6 * len(panels)))
    per = p.periods.dropna(subset=["as_of"])
    for i, (cols, title, fmt) in enumerate(panels, 1):
        ax = fig.add_subplot(len(panels), 1, i)
        for c in cols:
            if c in per and per[c].notna().any():
                ax.plot(pd.to_datetime(per["as_of"]), per[c].astype(float), marker="o",
                        label=dict((k, lab) for k, lab, _ in TREND_ROWS + INTERNAL_TRENDS).get(c, c))
        ax.set_title(title, fontsize=10, loc="left")
        ax.yaxis.set_major_formatter(fmt)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
        if len(cols) > 1:
            ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return base64.b64encode(buf.getvalue()).decode()


def html(p: QbrPack) -> str:
    e = h.escape
    body = [f"<h1>Business review: {e(p.name)}</h1>",
            f"<p><i>Draft data pack for {e(p.owner)} to edit, as of {_day(p.as_of)}. Not sent to anyone by Account "
            f"Radar.</i></p>"]
    for title, lines in _sections(p):
        body.append(f"<h2>{e(title)}</h2>")
        body.append("<ul>" + "".join(f"<li>{e(x)}</li>" for x in lines) + "</ul>" if len(lines) > 1 else f"<p>{e(lines[0])}</p>")
        if title == "Usage summary":
            if not p.personas.empty:
                body.append(_html_table(["Persona", "Registered", "Active (30 days)", "Share active"],
                                        [[r.persona + (" (key)" if r.key else ""), f"{r.registered:,}", f"{r.active_30d:,}",
                                          _num(r.share, "{:.0%}")] for r in p.personas.itertuples()]))
            if not p.workflows.empty:
                body.append(_html_table(["Critical workflow", "Should be done by", "Done by them (30 days)", "Target per user",
                                         "Against target"],
                                        [[w.description, w.intended_persona, f"{w.done:,.0f}", f"{w.target:g}",
                                          _num(w.attainment, "{:.0%}")] for w in p.workflows.itertuples()]))
        if title == "Value realisation and maturity" and not p.periods.empty:
            body.append(_html_table(["As of"] + [_day(x) for x in p.periods["as_of"]],
                                    [[label] + [_num(v, fmt) for v in p.periods[col]] for col, label, fmt in _with_data(p, TREND_ROWS)]))
            body.append(f'<img alt="Trends" style="max-width:100%" src="data:image/png;base64,{_png(charts(p, internal=False))}">')
        if title.startswith("Internal") and not p.periods.empty:
            body.append(_html_table(["As of"] + [_day(x) for x in p.periods["as_of"]],
                                    [[label] + [_num(v, fmt) for v in p.periods[col]] for col, label, fmt in _with_data(p, INTERNAL_TRENDS)]))
    style = ("body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:860px;margin:auto;color:#222}"
             "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;font-size:13px}"
             "h2{font-size:17px;border-bottom:1px solid #ddd;margin-top:26px}")
    return (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>Business review: {e(p.name)}</title>"
            f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n")


def _html_table(head: list[str], rows: list[list[str]]) -> str:
    e = h.escape
    return ("<table><tr>" + "".join(f"<th>{e(str(x))}</th>" for x in head) + "</tr>"
            + "".join("<tr>" + "".join(f"<td>{e(str(x))}</td>" for x in r) + "</tr>" for r in rows) + "</table>")


def pdf(p: QbrPack) -> bytes:
    """The pack as a PDF: text pages, then the tables and the trend charts (matplotlib's PDF backend)."""
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure
    buf = io.BytesIO()
    width, height, margin, line = 8.27, 11.69, 0.6, 0.19
    with PdfPages(buf, metadata={"Title": f"Business review: {p.name}", "Subject": "Draft QBR data pack"}) as doc:
        pages = {"fig": None, "y": 0.0}

        def new_page():
            if pages["fig"] is not None:
                doc.savefig(pages["fig"])
            pages["fig"], pages["y"] = Figure(figsize=(width, height)), height - margin

        def write(text: str, size: float = 9.5, bold: bool = False, indent: float = 0.0, wrap: int = 92):
            for chunk in textwrap.wrap(text, wrap - int(indent * 12)) or [""]:
                if pages["fig"] is None or pages["y"] < margin:
                    new_page()
                pages["fig"].text((margin + indent) / width, pages["y"] / height, chunk, fontsize=size,
                                  weight="bold" if bold else "normal", va="top", parse_math=False)
                pages["y"] -= line * size / 9.5
        write(f"Business review: {p.name}", size=16, bold=True, wrap=60)
        write(f"Draft data pack for {p.owner} to edit, as of {_day(p.as_of)}. Not sent to anyone by Account Radar.")
        for title, lines in _sections(p):
            pages["y"] -= line * 0.6
            write(title, size=12, bold=True, wrap=80)
            for x in lines:
                write(("• " if len(lines) > 1 else "") + x, indent=0.15 if len(lines) > 1 else 0.0)
            if title == "Usage summary":
                for r in p.personas.itertuples() if not p.personas.empty else []:
                    write(f"{r.persona}{' (key persona)' if r.key else ''}: {r.active_30d:,} of {r.registered:,} active "
                          f"in 30 days ({_num(r.share, '{:.0%}')})", indent=0.15)
                for w in p.workflows.itertuples() if not p.workflows.empty else []:
                    write(f"{w.description} (by {w.intended_persona}): {w.done:,.0f} in 30 days, "
                          f"{_num(w.attainment, '{:.0%}')} of target", indent=0.15)
            if title == "Value realisation and maturity" and not p.periods.empty:
                write(f"The snapshots nearest each quarter's end, {_day(p.periods['as_of'].iat[0])} … "
                      f"{_day(p.periods['as_of'].iat[-1])}, oldest first (charts on the last page):", indent=0.15)
                for col, label, fmt in _with_data(p, TREND_ROWS):
                    write(f"{label}: " + " → ".join(_num(v, fmt) for v in p.periods[col]), indent=0.3)
        new_page()
        if not p.periods.empty:
            doc.savefig(charts(p, internal=False))
    return buf.getvalue()
