"""Writes an SQLite inbox file exactly as version 1 of the schema (plenty-events 0.x before the worker) made it."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

#: Version 1's schema, as SQLiteInbox created it, byte for byte.
SCHEMA_V1 = """
CREATE TABLE deliveries (
    number      INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at REAL    NOT NULL,  -- Unix seconds
    body        BLOB    NOT NULL,  -- the exact raw body: personal data
    event_id    TEXT,              -- set once the body decoded
    rejected    TEXT               -- the error codes, when it did not decode
);
CREATE INDEX deliveries_by_time ON deliveries (received_at);
CREATE TABLE events (
    event_id    TEXT    PRIMARY KEY,
    state       TEXT    NOT NULL CHECK (state IN ('handling', 'handled', 'failed')),
    delivery    INTEGER NOT NULL,  -- the delivery whose body was handled last
    attempts    INTEGER NOT NULL,
    ticket      TEXT,              -- the claim that holds the event, while handling
    lease_until REAL,              -- when another claim may take it over, while handling
    updated_at  REAL    NOT NULL,
    error       TEXT               -- the exception type of the last failure
);
"""


def make_v1(path: Path, now: float) -> None:
    """Write a version-1 inbox at `path`, as that version's SQLiteInbox would have left it.

    One delivery in each state version 1 knew: handled (#1), failed (#2),
    rejected (#3), received (#4), handling under a lease ending at `now + 30` (#5).
    """
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("BEGIN IMMEDIATE")
        for statement in SCHEMA_V1.split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute("PRAGMA user_version = 1")
        db.executemany(
            "INSERT INTO deliveries (received_at, body, event_id, rejected) VALUES (?, ?, ?, ?)",
            [
                (now - 50, b'{"id": "evt_handled"}', "evt_handled", None),
                (now - 40, b'{"id": "evt_failed"}', "evt_failed", None),
                (now - 30, b"not json", None, "json_invalid"),
                (now - 20, b'{"id": "evt_received"}', None, None),
                (now - 10, b'{"id": "evt_handling"}', "evt_handling", None),
            ],
        )
        db.executemany(
            "INSERT INTO events (event_id, state, delivery, attempts, ticket, lease_until, updated_at, error)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                ("evt_handled", "handled", 1, 1, None, None, now - 49, None),
                ("evt_failed", "failed", 2, 2, None, None, now - 39, "RuntimeError"),
                ("evt_handling", "handling", 5, 1, "ab" * 16, now + 30, now - 9, None),
            ],
        )
        db.execute("COMMIT")
    finally:
        db.close()
