"""The durable inbox: one SQLite file, shared by every thread and process of a receiver."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import weakref
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ._inbox import DEFAULT_LEASE, Claim, Delivery, State, check_lease, new_ticket, utc

if TYPE_CHECKING:
    from collections.abc import Collection, Generator
    from datetime import datetime
    from types import TracebackType
    from typing import Self
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


#: How many idle connections an inbox keeps for reuse; more are closed when returned.
MAX_IDLE = 8


class _Connection(sqlite3.Connection):
    """A connection that closes itself when it is collected, in the process that opened it.

    A call that a shutdown interrupts can leave its connection to the
    collector; Python 3.13 warns about a connection collected open. In a
    forked child, a parent's connection is never closed: closing it there
    could write to the parent's database.
    """

    opened_by: int = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.opened_by = os.getpid()

    def __del__(self) -> None:
        if os.getpid() == self.opened_by:
            self.close()


class _Pool:
    """The connections one `SQLiteInbox` opened in this process.

    A call takes an idle connection, or opens one, and gives it back when it
    is done, so any thread may use any connection, one at a time. The idle
    ones stay open between calls: SQLite checkpoints the WAL into the
    database file, syncing it, whenever the last connection to the file
    closes, and a connection per call paid that on every call.

    Only the process that opened a connection uses or closes it: SQLite must
    not carry a connection across `fork()`. Before a fork every idle
    connection is closed (`_close_before_fork`), so a child inherits
    no open file and no lock state; a pool seen in a process other than its
    own is left alone, and the inbox makes a new one.
    """

    def __init__(self, path: str, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.idle: list[sqlite3.Connection] = []
        #: Set by close(), until the next call takes a connection: one that
        #: a call still running gives back then is closed, not kept idle in
        #: a pool nobody may close again.
        self.closed = False
        _POOLS.add(self)

    def open(self) -> sqlite3.Connection:
        # isolation_level=None: no implicit transactions; each statement
        # commits by itself unless a BEGIN opened one. check_same_thread=False:
        # the pool hands a connection to one thread at a time, any thread.
        db = sqlite3.connect(
            self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False, factory=_Connection
        )
        try:
            db.execute("PRAGMA synchronous = FULL")
            # A purge overwrites the bodies it deletes instead of leaving them in free pages.
            db.execute("PRAGMA secure_delete = ON")
        except BaseException:
            db.close()
            raise
        return db

    def take(self) -> sqlite3.Connection:
        with self.lock:
            self.closed = False
            if self.idle:
                return self.idle.pop()
        return self.open()

    def give(self, db: sqlite3.Connection) -> None:
        with self.lock:
            if not self.closed and len(self.idle) < MAX_IDLE:
                self.idle.append(db)
                return
        db.close()

    def close(self) -> None:
        """Close the idle connections; one in use now is closed when its call ends."""
        if self.pid != os.getpid():
            return  # a parent's pool, seen from a forked child: not ours to close
        with self.lock:
            self.closed = True
            idle, self.idle = self.idle, []
        for db in idle:
            db.close()


#: Every pool of this process, for the fork hook.
_POOLS: weakref.WeakSet[_Pool] = weakref.WeakSet()


def _close_before_fork() -> None:
    # Idle connections only: one in use belongs to a call running in another
    # thread, and forking while a call runs is not supported.
    for pool in list(_POOLS):
        pool.close()


os.register_at_fork(before=_close_before_fork)


class SQLiteInbox:
    """An [Inbox][plenty_events.receiver.Inbox] in one SQLite file: the durable default to deploy.

    One inbox object serves any number of threads: each call takes a
    connection from a small pool and gives it back, and the idle ones stay
    open, so a call costs its synced commits and little else. Every worker
    process of a server may open the same file; a process forked from one
    that used the inbox opens connections of its own. The file is in WAL
    mode, and every commit is synced (`synchronous=FULL`), so a delivery
    answered 2xx survives a crash of the process and of the machine. Claims
    run in `BEGIN IMMEDIATE` transactions: the read of an event's state
    and the write of the claim are one step for every process, so concurrent
    deliveries of one event are handled once.

    Keep the file on a local disk: SQLite's locking is not reliable on
    network file systems. Leases use the wall clock, which every process on
    the machine shares. [close][plenty_events.receiver.SQLiteInbox.close] closes the
    connections (so does leaving a `with` block, or the inbox being
    garbage-collected).

    Args:
        path: The database file; created with its schema if missing.
        lease: How long, in seconds, a claim holds an event. A worker killed
            while handling leaves its event *handling* that long; a handler
            running longer may be run a second time by a takeover.
        timeout: How long, in seconds, a call waits for another process's
            write lock before it fails.

    Raises:
        ValueError: For `":memory:"`, an empty path, a lease that is not
            positive, or a file made by a newer version of this library.
        sqlite3.Error: An `sqlite3.Error`, when the file cannot be opened as a database.

    Examples:
        >>> import tempfile, pathlib
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     with SQLiteInbox(pathlib.Path(folder) / "inbox.sqlite3") as inbox:
        ...         number = inbox.record(b"{}")
        ...         [delivery.state for delivery in inbox.deliveries()]
        [<State.RECEIVED: 'received'>]

    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        lease: float = DEFAULT_LEASE,
        timeout: float = 30.0,
    ) -> None:
        """Open, or create, the inbox at `path`."""
        self._path = os.fspath(path)
        if self._path in {"", ":memory:"}:
            raise ValueError("an SQLiteInbox needs a file; for one in memory, use MemoryInbox")
        self._lease = check_lease(lease)
        self._timeout = timeout
        self._now = time.time
        self._pool = self._new_pool()
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

    def _new_pool(self) -> _Pool:
        pool = _Pool(self._path, self._timeout)
        # Closes the connections when the inbox is collected, and at exit.
        self._finalizer = weakref.finalize(self, pool.close)
        return pool

    def close(self) -> None:
        """Close the inbox's connections; a later call opens new ones.

        Call it when no other call is running, for instance at shutdown.
        """
        self._pool.close()

    def __enter__(self) -> Self:
        """Return the inbox, for a `with` block that closes it."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the inbox's connections."""
        self.close()

    @contextmanager
    def _connect(self) -> Generator[sqlite3.Connection, None, None]:
        pool = self._pool
        if pool.pid != os.getpid():
            # A forked child: the parent's connections are the parent's.
            pool = self._pool = self._new_pool()
        db = pool.take()
        try:
            yield db
        except BaseException:
            # Not reused: it may hold an open transaction, or be broken.
            db.close()
            raise
        pool.give(db)

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
        """Delete the deliveries stored before `before`, and overwrite their bodies on disk."""
        with self._connect() as db:
            count = db.execute("DELETE FROM deliveries WHERE received_at < ?", (before.timestamp(),)).rowcount
            # Copy the WAL into the file and empty it, so no old page keeps a deleted body.
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return count
