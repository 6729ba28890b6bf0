"""Manual traits and status notes set by a SAM in the portal: validated, stored with who and when,
kept as history. The next health run reads them through staging/stg_traits.sql."""
from __future__ import annotations

import datetime as dt

import duckdb

from features.traits import by_name
from features.warehouse import ensure_history_tables, transaction

MAX_NOTE = 280


def validate(traits: dict[str, str], note: str | None, edited_by: str) -> None:
    """Raise ValueError with a message a person can act on; nothing is stored on error."""
    if not edited_by or not edited_by.strip():
        raise ValueError("say who you are: the editor's name is required")
    declared = by_name()
    for trait, value in traits.items():
        spec = declared.get(trait)
        if spec is None:
            raise ValueError(f"unknown trait '{trait}': expected one of {', '.join(declared)}")
        if spec.canonical(value) is None:
            raise ValueError(f"'{value}' is not a {trait} value: expected one of {', '.join(spec.values)}")
    if note is not None:
        if "\n" in note or "\r" in note:
            raise ValueError("the status note must be one line")
        if len(note) > MAX_NOTE:
            raise ValueError(f"the status note is {len(note)} characters; keep it to {MAX_NOTE}")


def save(con: duckdb.DuckDBPyConnection, account_id: str, edited_by: str, traits: dict[str, str],
         note: str | None = None, at: dt.datetime | None = None) -> int:
    """Store the edits in one transaction; returns how many rows were written."""
    note = note.strip() if note else None
    validate(traits, note, edited_by)
    if not con.execute("select count(*) from accounts where account_id = ?", [account_id]).fetchall()[0][0]:
        raise ValueError(f"unknown account '{account_id}'")
    ensure_history_tables(con)
    at = at or dt.datetime.now().replace(microsecond=0)
    declared = by_name()
    rows = [[account_id, t, declared[t].canonical(v), edited_by.strip(), at] for t, v in traits.items()]
    with transaction(con):
        if rows:
            con.executemany("insert into trait_edits values (?, ?, ?, ?, ?)", rows)
        if note:
            con.execute("insert into status_notes values (?, ?, ?, ?)", [account_id, note, edited_by.strip(), at])
    return len(rows) + bool(note)
