"""The durable inbox: one SQLite file, shared by every thread and process of a receiver."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ._inbox import (
    BOOT,
    DEFAULT_LEASE,
    LEASE_CLOCK,
    Attempt,
    Claim,
    Delivery,
    Queued,
    State,
    check_lease,
    new_ticket,
    utc,
    when,
)
from ._pool import IdlePool, PooledInbox

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Generator
    from datetime import datetime

log = logging.getLogger("plenty_events.receiver")
_T = TypeVar("_T")
#: The version of the schema below, kept in SQLite's ``user_version``.
SCHEMA_VERSION = 3

EVENTS = """
CREATE TABLE {table} (
    event_id    TEXT    PRIMARY KEY,
    state       TEXT    NOT NULL CHECK (state IN ('pending', 'handling', 'handled', 'failed', 'dead')),
    delivery    INTEGER NOT NULL,  -- the delivery whose body was handled last
    attempts    INTEGER NOT NULL,  -- since the event was last revived
    ticket      TEXT,              -- the claim that holds the event, while handling
    lease_until REAL,              -- when another claim may take it over, on the boot clock of lease_boot
    lease_boot  TEXT,              -- the boot id of the machine's lease clock, while handling
    updated_at  REAL    NOT NULL,
    error       TEXT,              -- the exception type of the last failure
    due_at      REAL,              -- when the worker may take it, while pending or failed
    tried_at    REAL,              -- when the last attempt began
    reason      TEXT               -- why it failed or died, as the handler or the worker said
)
"""

ATTEMPTS = """
CREATE TABLE attempts (
    event_id    TEXT    NOT NULL,
    attempt     INTEGER NOT NULL,  -- since the event was last revived
    started_at  REAL    NOT NULL,
    error       TEXT               -- the exception type, once it failed
);
CREATE INDEX attempts_by_event ON attempts (event_id)
"""

STEPS = """
CREATE TABLE steps (
    event_id    TEXT    NOT NULL,
    step        TEXT    NOT NULL,  -- the handler's name for it
    remote_id   TEXT    NOT NULL,  -- the id the remote system gave, '' if none
    recorded_at REAL    NOT NULL,
    PRIMARY KEY (event_id, step)
)
"""

SCHEMA = f"""
CREATE TABLE deliveries (
    number      INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at REAL    NOT NULL,  -- Unix seconds
    body        BLOB    NOT NULL,  -- the exact raw body: personal data
    event_id    TEXT,              -- set once the body decoded
    rejected    TEXT,              -- the error codes, when it did not decode
    token_name  TEXT,              -- the name of the token it came to
    dismissed   REAL               -- when a person dismissed it, for a rejected one
);
CREATE INDEX deliveries_by_time ON deliveries (received_at);
CREATE INDEX deliveries_by_event ON deliveries (event_id);
{EVENTS.format(table="events")};
CREATE INDEX events_by_due ON events (state, due_at);
{ATTEMPTS};
{STEPS};
"""

#: From version 1: new columns, and the events table rebuilt for its wider
#: CHECK (SQLite cannot alter one). Events failed before are due at once;
#: leases move from the wall clock to the boot clock.
MIGRATION_FROM_1 = f"""
ALTER TABLE deliveries ADD COLUMN token_name TEXT;
ALTER TABLE deliveries ADD COLUMN dismissed REAL;
CREATE INDEX deliveries_by_event ON deliveries (event_id);
{EVENTS.format(table="events_2")};
INSERT INTO events_2 (
    event_id, state, delivery, attempts, ticket, lease_until, lease_boot, updated_at, error, due_at, tried_at
)
    SELECT event_id, state, delivery, attempts, ticket,
        lease_until - :now + :lease_now, CASE WHEN lease_until IS NOT NULL THEN :boot END,
        updated_at, error, CASE state WHEN 'failed' THEN :now END, updated_at
    FROM events;
DROP TABLE events;
ALTER TABLE events_2 RENAME TO events;
CREATE INDEX events_by_due ON events (state, due_at);
{ATTEMPTS};
"""  # noqa: S608 -- built from constants only

#: From version 2: the step journal.
MIGRATION_FROM_2 = STEPS


def _statements(script: str) -> list[str]:
    # One statement at a time: executescript would commit the open transaction.
    return [statement for statement in script.split(";") if statement.strip()]


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


def _private(path: str) -> None:
    """Create the file readable by its owner only, whatever the umask; warn once about a file others can read.

    SQLite gives the `-wal` and `-shm` files the mode of the database file.
    """
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        if Path(path).stat().st_mode & 0o077:
            log.warning("the inbox %s can be read by other users; it holds personal data: chmod 600 it", path)
        return
    try:
        os.fchmod(fd, 0o600)  # a umask of 0o277 and the like would leave less
    finally:
        os.close(fd)


class _Pool(IdlePool[sqlite3.Connection]):
    """The connections one `SQLiteInbox` opened in this process, and the writer of its file.

    The idle ones stay open between calls: SQLite checkpoints the WAL into
    the database file, syncing it, whenever the last connection to the file
    closes, and a connection per call paid that on every call.
    """

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__()
        self.path = path
        self.timeout = timeout
        #: This process's writes to the file; see `_Writer`.
        self.writer = _writer(path)

    def open(self) -> sqlite3.Connection:
        """Open a connection to the file, synced and deleting securely."""
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


class _Op:
    """One write waiting for its commit: the step to run in the transaction, and what it gave."""

    __slots__ = ("error", "finished", "step", "value", "wake")

    def __init__(self, step: Callable[[sqlite3.Connection], Any]) -> None:
        self.step = step
        self.value: Any = None
        self.error: BaseException | None = None
        #: True once the commit that holds it succeeded or failed.
        self.finished = False
        #: Set when it finished, or when its thread is to commit the queue next.
        self.wake = threading.Event()


class _Writer:
    """The writes of this process to one database file, committed together.

    SQLite lets one writer in at a time and makes the others sleep in its
    busy handler (1 ms, 2 ms, 5 ms ... up to 100 ms a nap), so threads that
    race for its lock wait far longer than a write takes. Here each write
    joins a queue. One thread at a time leads: it runs every write queued so
    far in one transaction, each in a savepoint of its own, syncs them with
    one commit, wakes their threads, and hands the lead to the thread of the
    first write queued meanwhile (group commit). Other processes still meet
    SQLite's own lock and busy timeout.
    """

    def __init__(self) -> None:
        #: Held by the leader while it commits, and by the writes outside the queue.
        self.lock = threading.Lock()
        self.queue_lock = threading.Lock()
        self.queue: list[_Op] = []
        #: Whether a thread leads now; read and set under `queue_lock`.
        self.leading = False


#: One writer per database file in this process, shared by every inbox on it.
_WRITERS: dict[str, _Writer] = {}


def _writer(path: str) -> _Writer:
    # dict.setdefault with a str key is atomic: two threads get the same writer.
    return _WRITERS.setdefault(os.path.realpath(path), _Writer())


def _new_writers_after_fork() -> None:
    # A lock another thread of the parent held is held for ever in the child,
    # where that thread does not exist: the child's pools get fresh writers.
    _WRITERS.clear()


os.register_at_fork(after_in_child=_new_writers_after_fork)


class SQLiteInbox(PooledInbox[_Pool]):
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
    deliveries of one event are handled once. The writes of one process's
    threads are committed together, one synced commit for all the writes
    queued meanwhile, each in a savepoint of its own, so threads do not
    sleep in SQLite's busy handler; other processes wait for SQLite's lock.

    Keep the file on a local disk: SQLite's locking is not reliable on
    network file systems. Leases use the machine's boot clock, which every
    process on the machine shares and a step of the wall clock does not move.
    [close][plenty_events.receiver.SQLiteInbox.close] closes the
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
            positive and finite, or a file made by a newer version of this library.
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
        # Leases on the machine's boot clock, which a step of the wall clock does not move.
        self._boot, self._lease_now = BOOT, LEASE_CLOCK
        _private(self._path)
        self._start_pool()
        with self._writing() as db:
            # Persistent in the file; set outside any transaction.
            db.execute("PRAGMA journal_mode = WAL")
        with self._transaction() as db:
            (version,) = db.execute("PRAGMA user_version").fetchone()
            if version > SCHEMA_VERSION:
                raise ValueError(f"the inbox has schema version {version}; this library knows {SCHEMA_VERSION}")
            if version == 0:
                for statement in _statements(SCHEMA):
                    db.execute(statement)
            elif version == 1:
                for statement in _statements(MIGRATION_FROM_1):
                    clocks = {"now": self._now(), "lease_now": self._lease_now(), "boot": self._boot}
                    db.execute(statement, clocks if statement.lstrip().startswith("INSERT") else {})
            if version in {1, 2}:
                for statement in _statements(MIGRATION_FROM_2):
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _new_pool(self) -> _Pool:
        return _Pool(self._path, self._timeout)

    def close(self) -> None:
        """Close the inbox's connections; a later call opens new ones.

        Call it when no other call is running, for instance at shutdown.
        """
        self._pool.close()

    @contextmanager
    def _connect(self, pool: _Pool | None = None) -> Generator[sqlite3.Connection, None, None]:
        with (pool or self._current_pool()).lend() as db:
            yield db

    @contextmanager
    def _writing(self) -> Generator[sqlite3.Connection, None, None]:
        """A connection that no other thread of this process writes with until it is given back."""
        pool = self._current_pool()
        with pool.writer.lock, self._connect(pool) as db:
            yield db

    @contextmanager
    def _transaction(self) -> Generator[sqlite3.Connection, None, None]:
        with self._writing() as db:
            # IMMEDIATE takes the write lock now, so no other process can
            # change what this transaction reads before it writes.
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _write(self, step: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run `step` in a transaction, committed and synced with the other writes queued with it."""
        pool = self._current_pool()
        writer = pool.writer
        op = _Op(step)
        with writer.queue_lock:
            writer.queue.append(op)
            lead, writer.leading = not writer.leading, True
        if not lead:
            op.wake.wait()
        if not op.finished:
            # Nobody leads, or the last leader handed the lead on: commit every write queued so far.
            self._commit_queued(pool)
        if op.error is not None:
            raise op.error
        value: _T = op.value
        return value

    def _commit_queued(self, pool: _Pool) -> None:
        """Run every queued write in one transaction, each in a savepoint of its own; one synced commit."""
        writer = pool.writer
        with writer.queue_lock:
            batch, writer.queue = writer.queue, []
        try:
            with writer.lock, self._connect(pool) as db:
                # IMMEDIATE takes the write lock now, so no other process can
                # change what a step reads before it writes.
                db.execute("BEGIN IMMEDIATE")
                if len(batch) == 1:
                    # Alone in its commit: it needs no savepoint, a failure rolls it all back.
                    batch[0].value = batch[0].step(db)
                else:
                    for op in batch:
                        db.execute("SAVEPOINT step")
                        try:
                            op.value = op.step(db)
                        except Exception as exc:  # noqa: BLE001 -- that write alone fails; the others commit
                            db.execute("ROLLBACK TO step")
                            op.error = exc
                        db.execute("RELEASE step")
                db.execute("COMMIT")
        except BaseException as exc:
            # Nothing committed (the connection, closed, rolled back): every write of the batch failed.
            for op in batch:
                op.error = exc if isinstance(exc, Exception) else sqlite3.OperationalError("the commit was interrupted")
            if not isinstance(exc, Exception):
                raise
        finally:
            for op in batch:
                op.finished = True
                op.wake.set()
            with writer.queue_lock:
                following = writer.queue[0] if writer.queue else None
                writer.leading = following is not None
            if following is not None:
                following.wake.set()  # its thread leads next

    def _insert(self, db: sqlite3.Connection, body: bytes, token_name: str | None, event_id: str | None) -> int:
        number = db.execute(
            "INSERT INTO deliveries (received_at, body, token_name, event_id) VALUES (?, ?, ?, ?)",
            (self._now(), bytes(body), token_name, event_id),
        ).lastrowid
        if number is None:
            raise AssertionError("an INSERT into a rowid table sets lastrowid")
        return number

    def record(self, body: bytes, token_name: str | None = None) -> int:
        """Store the raw body, committed and synced; return the delivery's number."""

        def step(db: sqlite3.Connection) -> int:
            return self._insert(db, body, token_name, None)

        return self._write(step)

    def reject(self, delivery: int, codes: str) -> None:
        """Mark the delivery rejected."""

        def step(db: sqlite3.Connection) -> None:
            db.execute("UPDATE deliveries SET rejected = ? WHERE number = ?", (codes, delivery))

        self._write(step)

    def dismiss(self, delivery: int) -> bool:
        """Dismiss a rejected delivery."""

        def step(db: sqlite3.Connection) -> bool:
            cursor = db.execute(
                """
                UPDATE deliveries SET dismissed = ?
                WHERE number = ? AND rejected IS NOT NULL AND event_id IS NULL AND dismissed IS NULL
                """,
                (self._now(), delivery),
            )
            return cursor.rowcount == 1

        return self._write(step)

    @staticmethod
    def _tie(db: sqlite3.Connection, delivery: int, event_id: str) -> None:
        db.execute(
            "UPDATE deliveries SET event_id = ?, rejected = NULL, dismissed = NULL WHERE number = ?",
            (event_id, delivery),
        )

    def enqueue(self, delivery: int, event_id: str) -> Queued:
        """Leave the event for the worker; see [Inbox.enqueue][plenty_events.receiver.Inbox.enqueue]."""

        def step(db: sqlite3.Connection) -> Queued:
            self._tie(db, delivery, event_id)
            return self._enqueue(db, delivery, event_id)

        return self._write(step)

    def record_enqueue(self, body: bytes, token_name: str | None, event_id: str) -> tuple[int, Queued]:
        """Store the body and leave its event for the worker, in one synced commit.

        The receiver calls it in background mode for a body that decoded:
        one commit, where the two calls pay two, and the body is as durable
        before the answer. Returns the delivery's number and what
        `enqueue` returns.

        Examples:
            >>> import tempfile, pathlib
            >>> with tempfile.TemporaryDirectory() as folder:
            ...     with SQLiteInbox(pathlib.Path(folder) / "inbox.sqlite3") as inbox:
            ...         inbox.record_enqueue(b"{}", None, "evt_1"), inbox.record_enqueue(b"{}", None, "evt_1")
            ((1, 'queued'), (2, 'waiting'))

        """

        def step(db: sqlite3.Connection) -> tuple[int, Queued]:
            number = self._insert(db, body, token_name, event_id)
            return number, self._enqueue(db, number, event_id)

        return self._write(step)

    def _enqueue(self, db: sqlite3.Connection, delivery: int, event_id: str) -> Queued:
        now = self._now()
        row: tuple[str] | None = db.execute("SELECT state FROM events WHERE event_id = ?", (event_id,)).fetchone()
        if row is not None and row[0] == State.HANDLED:
            return "handled"
        if row is not None and row[0] != State.DEAD:
            return "waiting"
        db.execute(
            """
            INSERT INTO events (event_id, state, delivery, attempts, updated_at, due_at)
            VALUES (?, 'pending', ?, 0, ?, ?)
            ON CONFLICT (event_id) DO UPDATE SET
                state = 'pending', delivery = excluded.delivery, attempts = 0,
                updated_at = excluded.updated_at, due_at = excluded.due_at
            """,
            (event_id, delivery, now, now),
        )
        return "queued"

    def _claim(self, db: sqlite3.Connection, event_id: str, delivery: int, attempts: int, now: float) -> Claim:
        ticket = new_ticket()
        db.execute(
            """
            INSERT INTO events (
                event_id, state, delivery, attempts, ticket, lease_until, lease_boot, updated_at, tried_at
            )
            VALUES (?, 'handling', ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (event_id) DO UPDATE SET
                state = 'handling', delivery = excluded.delivery, attempts = excluded.attempts,
                ticket = excluded.ticket, lease_until = excluded.lease_until, lease_boot = excluded.lease_boot,
                updated_at = excluded.updated_at,
                tried_at = excluded.tried_at, due_at = NULL
            """,
            (event_id, delivery, attempts, ticket, self._lease_now() + self._lease, self._boot, now, now),
        )
        db.execute("INSERT INTO attempts (event_id, attempt, started_at) VALUES (?, ?, ?)", (event_id, attempts, now))
        return Claim(event_id, delivery, "claimed", ticket, attempts=attempts)

    def claim(self, delivery: int, event_id: str) -> Claim:
        """Take the event for handling unless it is handled or held; one transaction."""

        def step(db: sqlite3.Connection) -> Claim:
            self._tie(db, delivery, event_id)
            return self._claim_event(db, delivery, event_id)

        return self._write(step)

    def record_claim(self, body: bytes, token_name: str | None, event_id: str) -> Claim:
        """Store the body and claim its event, in one synced commit.

        The receiver calls it when it handles inline a body that decoded:
        one commit, where the two calls pay two, and the body is as durable
        before the answer. The claim's `delivery` is the new delivery's number.

        Examples:
            >>> import tempfile, pathlib
            >>> with tempfile.TemporaryDirectory() as folder:
            ...     with SQLiteInbox(pathlib.Path(folder) / "inbox.sqlite3") as inbox:
            ...         claim = inbox.record_claim(b"{}", None, "evt_1")
            ...         again = inbox.record_claim(b"{}", None, "evt_1")
            ...         (claim.delivery, claim.outcome), (again.delivery, again.outcome)
            ((1, 'claimed'), (2, 'busy'))

        """

        def step(db: sqlite3.Connection) -> Claim:
            return self._claim_event(db, self._insert(db, body, token_name, event_id), event_id)

        return self._write(step)

    def _claim_event(self, db: sqlite3.Connection, delivery: int, event_id: str) -> Claim:
        now = self._now()
        row: tuple[str, float | None, str | None, int] | None = db.execute(
            "SELECT state, lease_until, lease_boot, attempts FROM events WHERE event_id = ?", (event_id,)
        ).fetchone()
        attempts = 1
        if row is not None:
            state, lease_until, lease_boot, attempts = row
            held = self._held_for(lease_until, lease_boot)
            if state == State.HANDLED:
                return Claim(event_id, delivery, "handled")
            if state == State.HANDLING and held > 0:
                return Claim(event_id, delivery, "busy", retry_after=held)
            attempts = 1 if state == State.DEAD else attempts + 1
        return self._claim(db, event_id, delivery, attempts, now)

    #: The events the worker may take at `:now`. A NULL due time (written by
    #: a process of an older version) is due.
    _DUE = """
        (state IN ('pending', 'failed') AND (due_at IS NULL OR due_at <= :now))
        OR (state = 'handling' AND (lease_until IS NULL OR lease_boot IS NOT :boot OR lease_until <= :lease_now))
    """

    def _held_for(self, lease_until: float | None, lease_boot: str | None) -> float:
        """The seconds a lease still holds; 0 or less when it ended, or was taken before this boot."""
        if lease_until is None or lease_boot != self._boot:
            return 0.0
        return lease_until - self._lease_now()

    def due(self, limit: int) -> list[str]:
        """Return the ids of the events due now; see [Inbox.due][plenty_events.receiver.Inbox.due]."""
        with self._connect() as db:
            rows: list[tuple[str]] = db.execute(
                f"SELECT event_id FROM events WHERE {self._DUE} ORDER BY coalesce(due_at, 0), event_id LIMIT :limit",  # noqa: S608 -- a constant
                {"now": self._now(), "lease_now": self._lease_now(), "boot": self._boot, "limit": limit},
            ).fetchall()
        return [event_id for (event_id,) in rows]

    def take(self, event_id: str) -> Claim | None:
        """Claim a due event for the worker; see [Inbox.take][plenty_events.receiver.Inbox.take]."""

        def step(db: sqlite3.Connection) -> Claim | None:
            now = self._now()
            row: tuple[int, int] | None = db.execute(
                f"SELECT delivery, attempts FROM events WHERE event_id = :id AND ({self._DUE})",  # noqa: S608 -- a constant
                {"id": event_id, "now": now, "lease_now": self._lease_now(), "boot": self._boot},
            ).fetchone()
            if row is None:
                return None
            number, attempts = row
            # Its own delivery, or the latest one left when that was purged.
            found: tuple[int, bytes, str | None] | None = db.execute(
                """
                SELECT number, body, token_name FROM deliveries
                WHERE number = ? OR event_id = ? ORDER BY number = ? DESC, number DESC LIMIT 1
                """,
                (number, event_id, number),
            ).fetchone()
            if found is None:
                return self._claim(db, event_id, number, attempts + 1, now)
            number, body, token_name = found
            claim = self._claim(db, event_id, number, attempts + 1, now)
            return Claim(
                event_id, number, "claimed", claim.ticket, attempts=attempts + 1, body=body, token_name=token_name
            )

        return self._write(step)

    def finish(
        self, claim: Claim, error: str | None, *, retry_in: float = 0.0, dead: bool = False, reason: str | None = None
    ) -> bool:
        """Record handled, failed or dead, if the claim still holds the event."""
        state = State.HANDLED if error is None else State.DEAD if dead else State.FAILED

        def step(db: sqlite3.Connection) -> bool:
            now = self._now()
            due_at = now + retry_in if state is State.FAILED else None
            cursor = db.execute(
                """
                UPDATE events SET state = ?, ticket = NULL, lease_until = NULL, lease_boot = NULL, updated_at = ?,
                    error = ?, due_at = ?, reason = ?
                WHERE event_id = ? AND ticket = ?
                """,
                (str(state), now, error, due_at, reason, claim.event_id, claim.ticket),
            )
            if cursor.rowcount != 1:
                return False
            db.execute(
                """
                UPDATE attempts SET error = ?
                WHERE rowid = (SELECT max(rowid) FROM attempts WHERE event_id = ?)
                """,
                (error, claim.event_id),
            )
            return True

        return self._write(step)

    def attempts(self, event_id: str) -> list[Attempt]:
        """Return every attempt at handling the event."""
        with self._connect() as db:
            rows: list[tuple[int, float, str | None]] = db.execute(
                "SELECT attempt, started_at, error FROM attempts WHERE event_id = ? ORDER BY rowid", (event_id,)
            ).fetchall()
        return [Attempt(attempt, utc(started_at), error) for attempt, started_at, error in rows]

    def deliveries(self, states: Collection[State] | None = None, *, bodies: bool = True) -> list[Delivery]:
        """Return the stored deliveries in order of arrival; a body is read only for a delivery returned."""
        found: list[Delivery] = []
        with self._connect() as db:
            rows = db.execute(
                """
                SELECT d.number, d.received_at, d.event_id, d.rejected, d.token_name, d.dismissed,
                    e.state, e.attempts, e.error, e.due_at, e.tried_at, e.reason, e.lease_until, e.lease_boot
                FROM deliveries AS d LEFT JOIN events AS e ON e.event_id = d.event_id
                ORDER BY d.number
                """
            )
            for number, received_at, event_id, rejected, token_name, dismissed, *event in rows:
                event_state, attempts, error, due_at, tried_at, reason, lease_until, lease_boot = event
                if event_state is not None:
                    state = State(event_state)
                else:
                    attempts, error = 0, rejected
                    due_at = tried_at = reason = lease_until = lease_boot = None
                    state = State.RECEIVED
                    if rejected is not None:
                        state = State.REJECTED if dismissed is None else State.DISMISSED
                if states is not None and state not in states:
                    continue
                body = b""
                if bodies:
                    (body,) = db.execute("SELECT body FROM deliveries WHERE number = ?", (number,)).fetchone()
                found.append(
                    Delivery(
                        number,
                        utc(received_at),
                        state,
                        event_id,
                        attempts,
                        error,
                        body,
                        token_name,
                        when(due_at),
                        when(tried_at),
                        reason,
                        None if lease_until is None else utc(self._now() + self._held_for(lease_until, lease_boot)),
                    )
                )
        return found

    def body(self, delivery: int) -> bytes | None:
        """Return the raw body of one delivery; `None` when it is not stored (purged)."""
        with self._connect() as db:
            row: tuple[bytes] | None = db.execute(
                "SELECT body FROM deliveries WHERE number = ?", (delivery,)
            ).fetchone()
        return None if row is None else row[0]

    def purge(self, before: datetime, *, checkpoint: bool = True) -> int:
        """Delete the deliveries stored before `before`, and overwrite their bodies on disk.

        The deleted pages are overwritten in the file (`secure_delete`); the
        WAL is then copied into the file and emptied, so no old page keeps a
        deleted body, unless another connection is reading: call
        [checkpoint][plenty_events.receiver.SQLiteInbox.checkpoint] yourself, with
        `checkpoint=False`, to learn whether it completed.
        """

        def step(db: sqlite3.Connection) -> int:
            deleted: int = db.execute("DELETE FROM deliveries WHERE received_at < ?", (before.timestamp(),)).rowcount
            return deleted

        count = self._write(step)
        if checkpoint:
            self.checkpoint()
        return count

    def record_step(self, event_id: str, step: str, remote_id: str) -> str:
        """Record that `step` of the event is done, committed and synced; the first id recorded stays."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO steps (event_id, step, remote_id, recorded_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (event_id, str(step), str(remote_id), self._now()),
            )
            row: tuple[str] = db.execute(
                "SELECT remote_id FROM steps WHERE event_id = ? AND step = ?", (event_id, str(step))
            ).fetchone()
        return row[0]

    def steps(self, event_id: str) -> dict[str, str]:
        """Return the event's recorded steps, in the order recorded."""
        with self._connect() as db:
            rows: list[tuple[str, str]] = db.execute(
                "SELECT step, remote_id FROM steps WHERE event_id = ? ORDER BY rowid", (event_id,)
            ).fetchall()
        return dict(rows)

    def erase(self, deliveries: Collection[int], *, checkpoint: bool = True) -> int:
        """Delete these deliveries and the recorded steps of their events, and overwrite them on disk.

        As for [purge][plenty_events.receiver.SQLiteInbox.purge], the deleted
        pages are overwritten and the WAL emptied unless `checkpoint=False`.
        """
        numbers = [(number,) for number in set(deliveries)]
        with self._transaction() as db:
            db.executemany(
                "DELETE FROM steps WHERE event_id = (SELECT event_id FROM deliveries WHERE number = ?)", numbers
            )
            # executemany sums the rows each run deleted.
            count = db.executemany("DELETE FROM deliveries WHERE number = ?", numbers).rowcount
        if checkpoint:
            self.checkpoint()
        return count

    def checkpoint(self) -> bool:
        """Copy the WAL into the file and empty it; `False` when another connection kept it from completing.

        After a purge, `False` means old pages of the WAL, which may hold
        deleted bodies, are still on disk: run it again when no other process
        is reading (`plenty-events inbox DB purge` exits 1 then).
        """
        with self._writing() as db:
            row: tuple[int, int, int] = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return row[0] == 0
