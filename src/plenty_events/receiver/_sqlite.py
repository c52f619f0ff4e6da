"""The durable inbox: one SQLite file, shared by every thread and process of a receiver."""

from __future__ import annotations

import os
import sqlite3
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ._inbox import DEFAULT_LEASE, Claim, Delivery, State, check_lease, new_ticket, utc

if TYPE_CHECKING:
    from collections.abc import Collection, Generator
    from datetime import datetime

#: The version of the schema below, kept in SQLite's ``user_version``.
SCHEMA_VERSION = 1

SCHEMA = """
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


class SQLiteInbox:
    """An :class:`~plenty_events.receiver.Inbox` in one SQLite file: the durable default to deploy.

    Every call opens its own connection, so one inbox object serves any
    number of threads, and every worker process of a server may open the
    same file. The file is in WAL mode, and every commit is synced
    (``synchronous=FULL``), so a delivery answered 2xx survives a crash of
    the process and of the machine. Claims run in ``BEGIN IMMEDIATE``
    transactions: the read of an event's state and the write of the claim
    are one step for every process, so concurrent deliveries of one event
    are handled once.

    Keep the file on a local disk: SQLite's locking is not reliable on
    network file systems. Leases use the wall clock, which every process on
    the machine shares.

    Args:
        path: The database file; created with its schema if missing.
        lease: How long, in seconds, a claim holds an event. A worker killed
            while handling leaves its event *handling* that long; a handler
            running longer may be run a second time by a takeover.
        timeout: How long, in seconds, a call waits for another process's
            write lock before it fails.

    Raises:
        ValueError: For ``":memory:"``, an empty path, a lease that is not
            positive, or a file made by a newer version of this library.
        sqlite3.Error: When the file cannot be opened as a database.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     inbox = SQLiteInbox(pathlib.Path(folder) / "inbox.sqlite3")
    ...     number = inbox.record(b"{}")
    ...     [delivery.state for delivery in inbox.deliveries()]
    [<State.RECEIVED: 'received'>]

    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        lease: float = DEFAULT_LEASE,
        timeout: float = 30.0,
    ) -> None:
        """Open, or create, the inbox at ``path``."""
        self._path = os.fspath(path)
        if self._path in {"", ":memory:"}:
            raise ValueError("an SQLiteInbox needs a file; for one in memory, use MemoryInbox")
        self._lease = check_lease(lease)
        self._timeout = timeout
        self._now = time.time
        with self._connect() as db:
            # Persistent in the file; set outside any transaction.
            db.execute("PRAGMA journal_mode = WAL")
        with self._transaction() as db:
            (version,) = db.execute("PRAGMA user_version").fetchone()
            if version > SCHEMA_VERSION:
                raise ValueError(f"the inbox has schema version {version}; this library knows {SCHEMA_VERSION}")
            if version == 0:
                # One statement at a time: executescript would commit the open transaction.
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def _connect(self) -> Generator[sqlite3.Connection, None, None]:
        # isolation_level=None: no implicit transactions; each statement
        # commits by itself unless a BEGIN opened one.
        db = sqlite3.connect(self._path, timeout=self._timeout, isolation_level=None)
        try:
            db.execute("PRAGMA synchronous = FULL")
            # A purge overwrites the bodies it deletes instead of leaving them in free pages.
            db.execute("PRAGMA secure_delete = ON")
            yield db
        finally:
            db.close()

    @contextmanager
    def _transaction(self) -> Generator[sqlite3.Connection, None, None]:
        with self._connect() as db:
            # IMMEDIATE takes the write lock now, so no other process can
            # change what this transaction reads before it writes.
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def record(self, body: bytes) -> int:
        """Store the raw body, committed and synced; return the delivery's number."""
        with self._connect() as db:
            cursor = db.execute(
                "INSERT INTO deliveries (received_at, body) VALUES (?, ?)",
                (self._now(), bytes(body)),
            )
            number = cursor.lastrowid
        if number is None:
            raise AssertionError("an INSERT into a rowid table sets lastrowid")
        return number

    def reject(self, delivery: int, codes: str) -> None:
        """Mark the delivery rejected."""
        with self._connect() as db:
            db.execute("UPDATE deliveries SET rejected = ? WHERE number = ?", (codes, delivery))

    def claim(self, delivery: int, event_id: str) -> Claim:
        """Take the event for handling unless it is handled or held; one transaction."""
        with self._transaction() as db:
            now = self._now()
            db.execute("UPDATE deliveries SET event_id = ?, rejected = NULL WHERE number = ?", (event_id, delivery))
            row: tuple[str, float | None] | None = db.execute(
                "SELECT state, lease_until FROM events WHERE event_id = ?", (event_id,)
            ).fetchone()
            if row is not None:
                state, lease_until = row
                if state == State.HANDLED:
                    return Claim(event_id, delivery, "handled")
                if state == State.HANDLING and lease_until is not None and lease_until > now:
                    return Claim(event_id, delivery, "busy", retry_after=lease_until - now)
            ticket = new_ticket()
            db.execute(
                """
                INSERT INTO events (event_id, state, delivery, attempts, ticket, lease_until, updated_at)
                VALUES (?, 'handling', ?, 1, ?, ?, ?)
                ON CONFLICT (event_id) DO UPDATE SET
                    state = 'handling', delivery = excluded.delivery, attempts = attempts + 1,
                    ticket = excluded.ticket, lease_until = excluded.lease_until, updated_at = excluded.updated_at
                """,
                (event_id, delivery, ticket, now + self._lease, now),
            )
            return Claim(event_id, delivery, "claimed", ticket)

    def finish(self, claim: Claim, error: str | None) -> bool:
        """Record handled or failed, if the claim still holds the event."""
        state = State.HANDLED if error is None else State.FAILED
        with self._connect() as db:
            cursor = db.execute(
                """
                UPDATE events SET state = ?, ticket = NULL, lease_until = NULL, updated_at = ?, error = ?
                WHERE event_id = ? AND ticket = ?
                """,
                (str(state), self._now(), error, claim.event_id, claim.ticket),
            )
            return cursor.rowcount == 1

    def deliveries(self, states: Collection[State] | None = None) -> list[Delivery]:
        """Return the stored deliveries in order of arrival."""
        with self._connect() as db:
            rows: list[tuple[int, float, bytes, str | None, str | None, str | None, int | None, str | None]] = (
                db.execute(
                    """
                    SELECT d.number, d.received_at, d.body, d.event_id, d.rejected, e.state, e.attempts, e.error
                    FROM deliveries AS d LEFT JOIN events AS e ON e.event_id = d.event_id
                    ORDER BY d.number
                    """
                ).fetchall()
            )
        found: list[Delivery] = []
        for number, received_at, body, event_id, rejected, event_state, attempts, error in rows:
            if event_state is not None:
                state, tries, why = State(event_state), attempts or 0, error
            elif rejected is not None:
                state, tries, why = State.REJECTED, 0, rejected
            else:
                state, tries, why = State.RECEIVED, 0, None
            if states is None or state in states:
                found.append(Delivery(number, utc(received_at), state, event_id, tries, why, body))
        return found

    def purge(self, before: datetime) -> int:
        """Delete the deliveries stored before ``before``, and overwrite their bodies on disk."""
        with self._connect() as db:
            count = db.execute("DELETE FROM deliveries WHERE received_at < ?", (before.timestamp(),)).rowcount
            # Copy the WAL into the file and empty it, so no old page keeps a deleted body.
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return count
