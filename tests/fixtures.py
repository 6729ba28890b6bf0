"""Hand-written tiny portfolios: a few rows each, so every expected number can be checked by eye."""
from __future__ import annotations

import csv
from pathlib import Path

AS_OF = "2026-03-31"


def write_source(folder: Path, tables: dict[str, list[dict]]) -> Path:
    """Write each table as <name>.csv with the union of its rows' keys as header."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        cols = list(dict.fromkeys(k for r in rows for k in r)) if rows else ["account_id"]
        with open(folder / f"{name}.csv", "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=cols)
            w.writeheader()
            w.writerows(rows)
    return folder


def tiny_tables() -> dict[str, list[dict]]:
    """Two accounts. A: 3 seats, users u1 (active), u2 (active long ago), u3 (never logged in).
    B: churned at 2026-01-31, so not in the spine at 2026-03-31."""
    events = [
        # u1 active on 2026-03-31, 2026-03-25 and 2026-02-15
        {"account_id": "A", "user_id": "u1", "occurred_at": "2026-03-31 10:00:00", "event_type": "login"},
        {"account_id": "A", "user_id": "u1", "occurred_at": "2026-03-25 10:00:00", "event_type": "report"},
        {"account_id": "A", "user_id": "u1", "occurred_at": "2026-02-15 10:00:00", "event_type": "login"},
        # u2 active only on 2026-01-05 (within 90 days, not within 30)
        {"account_id": "A", "user_id": "u2", "occurred_at": "2026-01-05 09:00:00", "event_type": "login"},
        {"account_id": "B", "user_id": "v1", "occurred_at": "2026-01-10 09:00:00", "event_type": "login"},
    ]
    return {
        "accounts": [{"account_id": "A", "name": "Acme", "owner": "Avery", "segment": "SMB"},
                     {"account_id": "B", "name": "Beta", "owner": "Avery", "segment": "SMB"}],
        "contracts": [
            {"contract_id": "c1", "account_id": "A", "start_date": "2025-01-01", "end_date": "2025-12-31",
             "arr": "10000", "seats": "2"},
            {"contract_id": "c2", "account_id": "A", "start_date": "2026-01-01", "end_date": "2026-12-31",
             "arr": "12000", "seats": "3"},
            {"contract_id": "c3", "account_id": "B", "start_date": "2025-02-01", "end_date": "2026-01-31",
             "arr": "5000", "seats": "5"},
        ],
        "events": events,
        "users": [
            {"user_id": "u1", "account_id": "A", "created_at": "2025-01-02 00:00:00", "persona": "analyst"},
            {"user_id": "u2", "account_id": "A", "created_at": "2025-01-02 00:00:00", "persona": "admin"},
            {"user_id": "u3", "account_id": "A", "created_at": "2025-06-01 00:00:00", "persona": "member"},
            {"user_id": "v1", "account_id": "B", "created_at": "2025-02-01 00:00:00", "persona": "member"},
        ],
        "tickets": [
            {"ticket_id": "t1", "account_id": "A", "opened_at": "2026-03-01 09:00:00",
             "closed_at": "2026-03-03 09:00:00", "kind": "defect", "priority": "high"},
            {"ticket_id": "t2", "account_id": "A", "opened_at": "2026-03-20 09:00:00",
             "closed_at": "", "kind": "question", "priority": "low"},
            {"ticket_id": "t3", "account_id": "A", "opened_at": "2025-10-01 09:00:00",
             "closed_at": "2025-10-02 09:00:00", "kind": "defect", "priority": "low"},
        ],
        "touchpoints": [
            {"account_id": "A", "occurred_at": "2026-03-11 15:00:00", "kind": "call"},
            {"account_id": "A", "occurred_at": "2025-12-01 15:00:00", "kind": "qbr"},
        ],
        "traits": [
            {"account_id": "A", "as_of": "2026-03-01 00:00:00", "trait": "pulse", "value": "concerning"},
            {"account_id": "A", "as_of": "2025-06-01 00:00:00", "trait": "champion", "value": "yes"},
        ],
    }
