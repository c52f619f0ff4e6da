"""The shared inbox: PostgreSQL tables, for receivers and workers on any number of machines."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC
from typing import TYPE_CHECKING, Any, LiteralString, Protocol

from ._inbox import DEFAULT_LEASE, Attempt, Claim, Delivery, Queued, State, check_lease, new_ticket
from ._pool import IdlePool, PooledInbox

if TYPE_CHECKING:
    from collections.abc import Collection, Generator
    from contextlib import AbstractContextManager
    from datetime import datetime

    import psycopg

#: The version of the schema below, kept in the table plenty_events_schema.
SCHEMA_VERSION = 2

#: MIGRATIONS[n] takes the schema from version n to n + 1; version 0 is an
#: empty database. A new version appends its step, never edits an old one.
MIGRATIONS: list[LiteralString] = [
    """
    CREATE TABLE plenty_events_schema (version integer NOT NULL);
    INSERT INTO plenty_events_schema (version) VALUES (0);
    CREATE TABLE plenty_events_deliveries (
        number      bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        received_at timestamptz NOT NULL,
        body        bytea       NOT NULL,  -- the exact raw body: personal data
        event_id    text,                  -- set once the body decoded
        rejected    text,                  -- the error codes, when it did not decode
        token_name  text,                  -- the name of the token it came to
        dismissed   timestamptz            -- when a person dismissed it, for a rejected one
    );
    CREATE INDEX plenty_events_deliveries_by_time ON plenty_events_deliveries (received_at);
    CREATE INDEX plenty_events_deliveries_by_event ON plenty_events_deliveries (event_id);
    CREATE TABLE plenty_events_events (
        event_id    text        PRIMARY KEY,
        state       text        NOT NULL CHECK (state IN ('pending', 'handling', 'handled', 'failed', 'dead')),
        delivery    bigint      NOT NULL,  -- the delivery whose body was handled last
        attempts    integer     NOT NULL,  -- since the event was last revived
        ticket      text,                  -- the claim that holds the event, while handling
        lease_until timestamptz,           -- when another claim may take it over, on the database's clock
        updated_at  timestamptz NOT NULL,
        error       text,                  -- the exception type of the last failure
        due_at      timestamptz,           -- when the worker may take it, while pending or failed
        tried_at    timestamptz,           -- when the last attempt began
        reason      text                   -- why it failed or died, as the handler or the worker said
    );
    CREATE INDEX plenty_events_events_by_due ON plenty_events_events (state, due_at);
    CREATE TABLE plenty_events_attempts (
        id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        event_id    text        NOT NULL,
        attempt     integer     NOT NULL,  -- since the event was last revived
        started_at  timestamptz NOT NULL,
        error       text                   -- the exception type, once it failed
    );
    CREATE INDEX plenty_events_attempts_by_event ON plenty_events_attempts (event_id)
    """,
    # Version 2: the step journal.
    """
    CREATE TABLE plenty_events_steps (
        id          bigint      GENERATED ALWAYS AS IDENTITY,
        event_id    text        NOT NULL,
        step        text        NOT NULL,  -- the handler's name for it
        remote_id   text        NOT NULL,  -- the id the remote system gave, '' if none
        recorded_at timestamptz NOT NULL,
        PRIMARY KEY (event_id, step)
    )
    """,
]

#: The time now, and the time leases are measured on: the database's clock
#: (the start of the transaction), unless a test set a clock of its own.
NOW = "coalesce(to_timestamp(%(now)s::float8), now())"
LEASE_NOW = "coalesce(to_timestamp(%(lease_now)s::float8), now())"

#: The events the worker may take now.
DUE = f"""
    (state IN ('pending', 'failed') AND (due_at IS NULL OR due_at <= {NOW}))
    OR (state = 'handling' AND (lease_until IS NULL OR lease_until <= {LEASE_NOW}))
"""

#: Serialises the schema's creation and migration among processes opening the database at once.
_MIGRATION_LOCK = 0x706C656E7479  # "plenty"


class ConnectionPool(Protocol):
    """What PostgresInbox needs of a pool: psycopg_pool's `ConnectionPool` has it."""

    def connection(self) -> AbstractContextManager[psycopg.Connection[Any]]:
        """A connection for one block, given back (committed, or rolled back on an error) when it ends."""
        ...


def import_psycopg() -> Any:
    try:
        import psycopg  # noqa: PLC0415 -- an optional dependency, imported by the users of this inbox only
    except ImportError as exc:
        raise ImportError("PostgresInbox needs psycopg: pip install 'plenty-events[postgres]'") from exc
    return psycopg


def _database_clock() -> float | None:
    """No clock of the process: the database's own (tests set one instead)."""
    return None


def mask(dsn: str) -> str:
    """The DSN without its password, to show: in a repr, an error, the CLI's output.

    A DSN that does not parse is not shown at all: any part of it may be the password.
    """
    conninfo = import_psycopg().conninfo
    try:
        parts = conninfo.conninfo_to_dict(dsn)
    except Exception:  # noqa: BLE001 -- psycopg's ProgrammingError, whose message quotes the DSN
        return "<a DSN that does not parse>"
    if "password" in parts:
        parts["password"] = "***"  # noqa: S105 -- the mask, not a password
    return str(conninfo.make_conninfo(**parts))


class _Pool(IdlePool["psycopg.Connection[Any]"]):
    """The connections one `PostgresInbox` opened from its DSN in this process."""

    def __init__(self, dsn: str) -> None:
        super().__init__()
        self.dsn = dsn

    def open(self) -> psycopg.Connection[Any]:
        """Open a connection in autocommit, whose errors never show the DSN's password."""
        driver = import_psycopg()
        password = driver.conninfo.conninfo_to_dict(self.dsn).get("password")
        try:
            # autocommit: each call opens its transaction itself, and nothing stays open between calls.
            connection: psycopg.Connection[Any] = driver.connect(self.dsn, autocommit=True)
        except driver.Error as exc:
            # libpq's message may quote a part of the DSN: never its password.
            message = str(exc)
            if password:
                message = message.replace(str(password), "***")
            raise driver.OperationalError(message) from None
        return connection


class PostgresInbox(PooledInbox[_Pool]):
    """An [Inbox][plenty_events.receiver.Inbox] in PostgreSQL: for receivers and workers on several machines.

    Every receiver process and every worker, on any machine, may share one
    database. A body is committed before the receiver answers, so a
    delivery answered 2xx is as durable as the database's commits (with
    PostgreSQL's default `synchronous_commit = on`, it survives a crash of
    the server). Claims lock the event's row, so concurrent deliveries of
    one event, to different machines, are handled once; the worker takes
    due events with `FOR UPDATE SKIP LOCKED`, so workers never wait for one
    another. Leases are measured on the database's clock, which every
    machine shares. The tables are named `plenty_events_*`, in the first
    schema of the connection's `search_path`, and created, or migrated, when
    the inbox opens.

    A lost connection fails the call: the receiver answers 503 with
    `Retry-After`, and the sender delivers again. The DSN's password never
    shows: not in the repr, nor in an error.

    Args:
        dsn_or_pool: A libpq connection string (`postgresql://user@host/db`,
            or `host=... dbname=...`), whose connections the inbox opens and
            pools itself; or a `psycopg_pool.ConnectionPool`, whose
            connections it borrows.
        lease: How long, in seconds, a claim holds an event.

    Raises:
        ValueError: For a lease that is not positive and finite, a DSN that does
            not parse, or a database whose schema a newer version of this library made.
        psycopg.OperationalError: When the database cannot be reached.
        ImportError: Without psycopg (`pip install 'plenty-events[postgres]'`).

    Examples:
        >>> import os
        >>> inbox = PostgresInbox(os.environ["PLENTY_EVENTS_POSTGRES_DSN"])  # doctest: +SKIP
        >>> inbox.record(b"{}")  # doctest: +SKIP
        1

    """

    def __init__(self, dsn_or_pool: str | ConnectionPool, *, lease: float = DEFAULT_LEASE) -> None:
        """Open, or create, the inbox's tables in the database."""
        self._lease = check_lease(lease)
        self._given: ConnectionPool | None = None
        self._shown = "a connection pool"
        if isinstance(dsn_or_pool, str):
            self._shown = mask(dsn_or_pool)
            if self._shown == "<a DSN that does not parse>":
                raise ValueError("the DSN does not parse as a PostgreSQL connection string")
            self._dsn = dsn_or_pool
            self._start_pool()
        else:
            import_psycopg()
            self._given = dsn_or_pool
        self._now = self._lease_now = _database_clock
        with self._transaction() as db:
            db.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            version = 0
            if _one(db.execute("SELECT to_regclass('plenty_events_schema') IS NOT NULL"))[0]:
                version = int(_one(db.execute("SELECT version FROM plenty_events_schema"))[0])
            if version > SCHEMA_VERSION:
                raise ValueError(f"the inbox has schema version {version}; this library knows {SCHEMA_VERSION}")
            for step in MIGRATIONS[version:]:
                db.execute(step)
            db.execute("UPDATE plenty_events_schema SET version = %s", (SCHEMA_VERSION,))

    def _new_pool(self) -> _Pool:
        return _Pool(self._dsn)

    def __repr__(self) -> str:
        """The inbox and its DSN, without the password."""
        return f"PostgresInbox({self._shown!r})"

    def close(self) -> None:
        """Close the connections the inbox opened (none of a pool it was given); a later call opens new ones."""
        if self._given is None:
            self._pool.close()

    @contextmanager
    def _connect(self) -> Generator[psycopg.Connection[Any], None, None]:
        # One statement needs no transaction block: on the inbox's own
        # connections (autocommit) it commits as it runs, in one round trip;
        # a lent pool commits when the block ends. Either way before the call returns.
        if self._given is not None:
            with self._given.connection() as db:
                yield db
            return
        with self._current_pool().lend() as db:
            yield db

    @contextmanager
    def _transaction(self) -> Generator[psycopg.Connection[Any], None, None]:
        with self._connect() as db, db.transaction():
            yield db

    def _clocks(self, **values: Any) -> dict[str, Any]:
        return {"now": self._now(), "lease_now": self._lease_now(), **values}

    def record(self, body: bytes, token_name: str | None = None) -> int:
        """Store the raw body, committed; return the delivery's number."""
        with self._connect() as db:
            row = _one(
                db.execute(
                    f"""
                    INSERT INTO plenty_events_deliveries (received_at, body, token_name)
                    VALUES ({NOW}, %(body)s, %(token_name)s) RETURNING number
                    """,  # noqa: S608 -- built from constants only
                    self._clocks(body=bytes(body), token_name=token_name),
                )
            )
        return int(row[0])

    def reject(self, delivery: int, codes: str) -> None:
        """Mark the delivery rejected."""
        with self._connect() as db:
            db.execute("UPDATE plenty_events_deliveries SET rejected = %s WHERE number = %s", (codes, delivery))

    def dismiss(self, delivery: int) -> bool:
        """Dismiss a rejected delivery."""
        with self._connect() as db:
            cursor = db.execute(
                f"""
                UPDATE plenty_events_deliveries SET dismissed = {NOW}
                WHERE number = %(number)s AND rejected IS NOT NULL AND event_id IS NULL AND dismissed IS NULL
                """,  # noqa: S608 -- built from constants only
                self._clocks(number=delivery),
            )
            return cursor.rowcount == 1

    @staticmethod
    def _tie(db: psycopg.Connection[Any], delivery: int, event_id: str) -> None:
        db.execute(
            "UPDATE plenty_events_deliveries SET event_id = %s, rejected = NULL, dismissed = NULL WHERE number = %s",
            (event_id, delivery),
        )

    def enqueue(self, delivery: int, event_id: str) -> Queued:
        """Leave the event for the worker; see [Inbox.enqueue][plenty_events.receiver.Inbox.enqueue]."""
        with self._transaction() as db:
            self._tie(db, delivery, event_id)
            # A new or dead event becomes pending; any other is left as it is,
            # and locked, so that the state read next is the one kept.
            queued = db.execute(
                f"""
                INSERT INTO plenty_events_events AS e (event_id, state, delivery, attempts, updated_at, due_at)
                VALUES (%(id)s, 'pending', %(delivery)s, 0, {NOW}, {NOW})
                ON CONFLICT (event_id) DO UPDATE SET
                    state = 'pending', delivery = excluded.delivery, attempts = 0,
                    updated_at = excluded.updated_at, due_at = excluded.due_at
                WHERE e.state = 'dead'
                RETURNING 1
                """,  # noqa: S608 -- built from constants only
                self._clocks(id=event_id, delivery=delivery),
            ).fetchone()
            if queued is not None:
                return "queued"
            row = db.execute("SELECT state FROM plenty_events_events WHERE event_id = %s", (event_id,)).fetchone()
            return "handled" if row is not None and row[0] == State.HANDLED else "waiting"

    def _claim(self, db: psycopg.Connection[Any], event_id: str, delivery: int, attempts: int) -> Claim:
        ticket = new_ticket()
        db.execute(
            f"""
            UPDATE plenty_events_events SET
                state = 'handling', delivery = %(delivery)s, attempts = %(attempts)s, ticket = %(ticket)s,
                lease_until = {LEASE_NOW} + make_interval(secs => %(lease)s), updated_at = {NOW},
                tried_at = {NOW}, due_at = NULL
            WHERE event_id = %(id)s
            """,  # noqa: S608 -- built from constants only
            self._clocks(id=event_id, delivery=delivery, attempts=attempts, ticket=ticket, lease=self._lease),
        )
        db.execute(
            f"INSERT INTO plenty_events_attempts (event_id, attempt, started_at) VALUES (%(id)s, %(attempt)s, {NOW})",  # noqa: S608 -- built from constants only
            self._clocks(id=event_id, attempt=attempts),
        )
        return Claim(event_id, delivery, "claimed", ticket, attempts=attempts)

    def claim(self, delivery: int, event_id: str) -> Claim:
        """Take the event for handling unless it is handled or held; one transaction, the event's row locked."""
        with self._transaction() as db:
            self._tie(db, delivery, event_id)
            # An event never seen gets a row first, so that there is always one
            # to lock: a concurrent claim of the same new event waits for this one.
            db.execute(
                f"""
                INSERT INTO plenty_events_events (event_id, state, delivery, attempts, updated_at)
                VALUES (%(id)s, 'pending', %(delivery)s, 0, {NOW}) ON CONFLICT (event_id) DO NOTHING
                """,  # noqa: S608 -- built from constants only
                self._clocks(id=event_id, delivery=delivery),
            )
            state, attempts, held = _one(
                db.execute(
                    f"""
                    SELECT state, attempts, extract(epoch FROM lease_until - {LEASE_NOW})::float8
                    FROM plenty_events_events WHERE event_id = %(id)s FOR UPDATE
                    """,  # noqa: S608 -- built from constants only
                    self._clocks(id=event_id),
                )
            )
            if state == State.HANDLED:
                return Claim(event_id, delivery, "handled")
            if state == State.HANDLING and held is not None and held > 0:
                return Claim(event_id, delivery, "busy", retry_after=held)
            return self._claim(db, event_id, delivery, 1 if state == State.DEAD else attempts + 1)

    def due(self, limit: int) -> list[str]:
        """Return the ids of the events due now, skipping those another worker is taking right now."""
        with self._connect() as db:
            rows = db.execute(
                f"""
                SELECT event_id FROM plenty_events_events WHERE {DUE}
                ORDER BY due_at NULLS FIRST, event_id COLLATE "C" LIMIT %(limit)s FOR UPDATE SKIP LOCKED
                """,  # noqa: S608 -- built from constants only
                self._clocks(limit=limit),
            ).fetchall()
        return [str(event_id) for (event_id,) in rows]

    def take(self, event_id: str) -> Claim | None:
        """Claim a due event for the worker; `None` also when another worker is taking it at this moment."""
        with self._transaction() as db:
            row = db.execute(
                f"""
                SELECT delivery, attempts FROM plenty_events_events
                WHERE event_id = %(id)s AND ({DUE}) FOR UPDATE SKIP LOCKED
                """,  # noqa: S608 -- built from constants only
                self._clocks(id=event_id),
            ).fetchone()
            if row is None:
                return None
            number, attempts = row
            # Its own delivery, or the latest one left when that was purged.
            found = db.execute(
                """
                SELECT number, body, token_name FROM plenty_events_deliveries
                WHERE number = %(number)s OR event_id = %(id)s
                ORDER BY number = %(number)s DESC, number DESC LIMIT 1
                """,
                {"number": number, "id": event_id},
            ).fetchone()
            if found is None:
                return self._claim(db, event_id, number, attempts + 1)
            number, body, token_name = found
            claim = self._claim(db, event_id, number, attempts + 1)
            return Claim(
                event_id,
                number,
                "claimed",
                claim.ticket,
                attempts=attempts + 1,
                body=bytes(body),
                token_name=token_name,
            )

    def finish(
        self, claim: Claim, error: str | None, *, retry_in: float = 0.0, dead: bool = False, reason: str | None = None
    ) -> bool:
        """Record handled, failed or dead, if the claim still holds the event."""
        state = State.HANDLED if error is None else State.DEAD if dead else State.FAILED
        with self._transaction() as db:
            cursor = db.execute(
                f"""
                UPDATE plenty_events_events SET
                    state = %(state)s, ticket = NULL, lease_until = NULL, updated_at = {NOW}, error = %(error)s,
                    due_at = CASE WHEN %(state)s = 'failed' THEN {NOW} + make_interval(secs => %(retry_in)s) END,
                    reason = %(reason)s
                WHERE event_id = %(id)s AND ticket = %(ticket)s
                """,  # noqa: S608 -- built from constants only
                self._clocks(
                    state=str(state),
                    error=error,
                    retry_in=float(retry_in),
                    reason=reason,
                    id=claim.event_id,
                    ticket=claim.ticket,
                ),
            )
            if cursor.rowcount != 1:
                return False
            db.execute(
                """
                UPDATE plenty_events_attempts SET error = %(error)s
                WHERE id = (SELECT max(id) FROM plenty_events_attempts WHERE event_id = %(id)s)
                """,
                {"error": error, "id": claim.event_id},
            )
            return True

    def attempts(self, event_id: str) -> list[Attempt]:
        """Return every attempt at handling the event."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT attempt, started_at, error FROM plenty_events_attempts WHERE event_id = %s ORDER BY id",
                (event_id,),
            ).fetchall()
        return [Attempt(attempt, started_at.astimezone(UTC), error) for attempt, started_at, error in rows]

    def deliveries(self, states: Collection[State] | None = None, *, bodies: bool = True) -> list[Delivery]:
        """Return the stored deliveries in order of arrival; a body is read only for a delivery returned."""
        wanted = None if states is None else [str(state) for state in states]
        with self._connect() as db:
            rows = db.execute(
                f"""
                SELECT number, received_at, state, event_id, attempts, error, token_name,
                    due_at, tried_at, reason, lease_until,
                    CASE WHEN %(bodies)s THEN (SELECT body FROM plenty_events_deliveries WHERE number = listed.number)
                    END
                FROM (
                    SELECT d.number, d.received_at, d.event_id, d.token_name,
                        coalesce(e.state, CASE
                            WHEN d.rejected IS NULL THEN 'received'
                            WHEN d.dismissed IS NULL THEN 'rejected'
                            ELSE 'dismissed' END) AS state,
                        coalesce(e.attempts, 0) AS attempts,
                        CASE WHEN e.state IS NULL THEN d.rejected ELSE e.error END AS error,
                        e.due_at, e.tried_at, e.reason,
                        {NOW} + (e.lease_until - {LEASE_NOW}) AS lease_until
                    FROM plenty_events_deliveries AS d
                    LEFT JOIN plenty_events_events AS e ON e.event_id = d.event_id
                ) AS listed
                WHERE %(all)s OR state = ANY(%(states)s)
                ORDER BY number
                """,  # noqa: S608 -- built from constants only
                self._clocks(bodies=bodies, all=wanted is None, states=wanted or []),
            ).fetchall()
        return [
            Delivery(
                number,
                received_at.astimezone(UTC),
                State(state),
                event_id,
                attempts,
                error,
                b"" if body is None else bytes(body),
                token_name,
                _utc(due_at),
                _utc(tried_at),
                reason,
                _utc(lease_until),
            )
            for (
                number,
                received_at,
                state,
                event_id,
                attempts,
                error,
                token_name,
                due_at,
                tried_at,
                reason,
                lease_until,
                body,
            ) in rows
        ]

    def purge(self, before: datetime) -> int:
        """Delete the deliveries stored before `before`; keep the event states.

        PostgreSQL keeps a deleted row's bytes in the table's files until
        `VACUUM` reuses its space, and in its write-ahead log and backups:
        the bodies are gone from every query at once, from the disk later.
        """
        with self._connect() as db:
            return db.execute("DELETE FROM plenty_events_deliveries WHERE received_at < %s", (before,)).rowcount

    def record_step(self, event_id: str, step: str, remote_id: str) -> str:
        """Record that `step` of the event is done, committed; the first id recorded stays."""
        with self._transaction() as db:
            db.execute(
                f"""
                INSERT INTO plenty_events_steps (event_id, step, remote_id, recorded_at)
                VALUES (%(id)s, %(step)s, %(remote_id)s, {NOW}) ON CONFLICT DO NOTHING
                """,  # noqa: S608 -- built from constants only
                self._clocks(id=event_id, step=str(step), remote_id=str(remote_id)),
            )
            row = _one(
                db.execute(
                    "SELECT remote_id FROM plenty_events_steps WHERE event_id = %s AND step = %s",
                    (event_id, str(step)),
                )
            )
        return str(row[0])

    def steps(self, event_id: str) -> dict[str, str]:
        """Return the event's recorded steps, in the order recorded."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT step, remote_id FROM plenty_events_steps WHERE event_id = %s ORDER BY id", (event_id,)
            ).fetchall()
        return {str(step): str(remote_id) for step, remote_id in rows}

    def erase(self, deliveries: Collection[int]) -> int:
        """Delete these deliveries and the recorded steps of their events; return how many deliveries.

        As for [purge][plenty_events.receiver.PostgresInbox.purge], the
        deleted rows' bytes stay on the server's disk until `VACUUM`.
        """
        numbers = sorted({int(number) for number in deliveries})
        with self._transaction() as db:
            db.execute(
                """
                DELETE FROM plenty_events_steps WHERE event_id IN (
                    SELECT event_id FROM plenty_events_deliveries WHERE number = ANY(%(numbers)s::bigint[])
                )
                """,
                {"numbers": numbers},
            )
            return db.execute(
                "DELETE FROM plenty_events_deliveries WHERE number = ANY(%s::bigint[])", (numbers,)
            ).rowcount


def _one(cursor: psycopg.Cursor[Any]) -> Any:
    """The one row a statement returns, by its nature."""
    row = cursor.fetchone()
    if row is None:
        raise AssertionError("the statement returns one row")
    return row


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)
