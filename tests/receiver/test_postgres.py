"""PostgresInbox's own behaviour, against a real server: schema and migrations, lost connections, privacy, the CLI.

The Inbox conformance suite runs on it too (tests/receiver/test_inbox.py, through conftest's INBOXES).
"""

from __future__ import annotations

import io
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from plenty_events.cli import main
from plenty_events.receiver import PostgresInbox, Receiver, State
from plenty_events.receiver import _pool as pool_module
from plenty_events.receiver import _postgres as postgres_module
from plenty_events.testing import sample_payload, to_json
from tests.conftest import postgres_url
from tests.receiving import TOKEN

if TYPE_CHECKING:
    from pathlib import Path

psycopg = pytest.importorskip("psycopg")


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A postgresql:// URL of the test database, its tables in a schema of this test's own."""
    return postgres_url(tmp_path)


def body(event_id: str) -> bytes:
    payload = sample_payload()
    payload["id"] = event_id
    return to_json(payload)


def with_password(url: str, password: str) -> str:
    """The URL with a password added (the test server trusts its local users, and ignores it)."""
    return f"{url}&password={urllib.parse.quote(password)}"


def terminate(inbox: PostgresInbox) -> None:
    """End the server side of every idle connection of the inbox, as a server restart or a network cut does."""
    pids = [db.info.backend_pid for db in inbox._pool.idle]
    assert pids
    with psycopg.connect(inbox._dsn, autocommit=True) as admin:
        for pid in pids:
            admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))


def test_a_lost_connection_answers_503_with_retry_after_and_stores_nothing(url: str) -> None:
    """A body that could not be committed is answered 503 with Retry-After, never 2xx; the next delivery works."""
    inbox = PostgresInbox(url)
    handled: list[str] = []
    receiver = Receiver(tokens=TOKEN, handler=lambda event: handled.append(event.id), inbox=inbox)
    assert receiver.receive(TOKEN, body("evt_1")).status == 202
    terminate(inbox)
    answer = receiver.receive(TOKEN, body("evt_2"))
    assert answer.status == 503
    assert dict(answer.headers)["Retry-After"] == "60"
    assert [d.event_id for d in inbox.deliveries()] == ["evt_1"]  # nothing of evt_2 was kept
    assert receiver.receive(TOKEN, body("evt_2")).status == 202  # a new connection: the redelivery is stored
    assert handled == ["evt_1", "evt_2"]
    inbox.close()


def test_a_connection_lost_inside_a_transaction_changes_nothing(url: str) -> None:
    """A claim whose connection dies mid-transaction is rolled back by the server: the event stays unclaimed."""
    inbox = PostgresInbox(url)
    number = inbox.record(b"{}")
    real_claim = inbox._claim

    def die_then_claim(db: Any, *args: Any) -> Any:
        with psycopg.connect(inbox._dsn, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s, 5000)", (db.info.backend_pid,))
        return real_claim(db, *args)

    inbox._claim = die_then_claim  # type: ignore[method-assign]
    with pytest.raises(psycopg.OperationalError):
        inbox.claim(number, "evt_1")
    del inbox._claim
    assert [(d.state, d.event_id) for d in inbox.deliveries()] == [(State.RECEIVED, None)]
    assert inbox.claim(number, "evt_1").outcome == "claimed"
    inbox.close()


def test_an_unreachable_server_fails_without_showing_the_password(tmp_path: Path) -> None:
    """Connecting to no server raises OperationalError; neither it nor the repr shows the password."""
    dead = f"postgresql://plenty:Sup3r-Secret-pw@/plenty?host={tmp_path}&port=1&connect_timeout=2"
    with pytest.raises(psycopg.OperationalError) as raised:
        PostgresInbox(dead)
    assert "Sup3r-Secret-pw" not in str(raised.value)
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__
    assert "Sup3r-Secret-pw" not in postgres_module.mask(dead)
    assert "password=***" in postgres_module.mask(dead)
    with pytest.raises(psycopg.OperationalError):
        PostgresInbox(f"postgresql://plenty@/plenty?host={tmp_path}&port=1&connect_timeout=2")


def test_a_driver_error_quoting_the_password_is_masked(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Should libpq quote a part of the DSN that holds the password, the error shows *** in its place."""
    secret = with_password(url, "Sup3r-Secret-pw")

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise psycopg.OperationalError('invalid value near "Sup3r-Secret-pw"')

    monkeypatch.setattr(psycopg, "connect", refuse)
    with pytest.raises(psycopg.OperationalError, match=r'near "\*\*\*"'):
        PostgresInbox(secret)


def test_the_repr_shows_the_dsn_without_its_password(url: str) -> None:
    """repr(inbox) names the database, with *** for the password; a DSN that does not parse is refused unshown."""
    inbox = PostgresInbox(with_password(url, "Sup3r-Secret-pw"))
    shown = repr(inbox)
    assert shown.startswith("PostgresInbox(")
    assert "Sup3r-Secret-pw" not in shown
    assert "password=***" in shown
    inbox.close()
    with pytest.raises(ValueError, match="does not parse") as raised:
        PostgresInbox("host=x password Sup3r-Secret-pw")
    assert "Sup3r-Secret-pw" not in str(raised.value)


def test_the_schema_is_created_once_versioned_and_a_newer_one_refused(url: str) -> None:
    """Opening creates the tables at the current version; opening again keeps the data; a newer version is refused."""
    first = PostgresInbox(url)
    first.record(b"kept")
    first.close()
    with PostgresInbox(url) as second:
        assert [d.body for d in second.deliveries()] == [b"kept"]
    with psycopg.connect(url, autocommit=True) as db:
        assert db.execute("SELECT version FROM plenty_events_schema").fetchall() == [(postgres_module.SCHEMA_VERSION,)]
        db.execute("UPDATE plenty_events_schema SET version = 99")
    with pytest.raises(ValueError, match="schema version 99"):
        PostgresInbox(url)


def test_a_version_1_database_is_migrated_keeping_everything(url: str) -> None:
    """Version 1 (no step journal) becomes the current version in place: deliveries, states, attempts kept."""
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(postgres_module.MIGRATIONS[0])
        db.execute("UPDATE plenty_events_schema SET version = 1")
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(
            "INSERT INTO plenty_events_deliveries (received_at, body, event_id) VALUES (now(), '\\x7b7d', 'evt_1')"
        )
        db.execute(
            "INSERT INTO plenty_events_events (event_id, state, delivery, attempts, updated_at)"
            " VALUES ('evt_1', 'handled', 1, 1, now())"
        )
    inbox = PostgresInbox(url)
    assert [(d.state, d.event_id, d.body) for d in inbox.deliveries()] == [(State.HANDLED, "evt_1", b"{}")]
    assert inbox.claim(inbox.record(b"{}"), "evt_1").outcome == "handled"
    assert inbox.record_step("evt_1", "contact", "7") == "7"
    inbox.close()
    with psycopg.connect(url, autocommit=True) as db:
        assert db.execute("SELECT version FROM plenty_events_schema").fetchall() == [(2,)]


def test_processes_opening_a_new_database_at_once_create_the_schema_once(url: str) -> None:
    """Several inboxes opening an empty database at the same moment all succeed: the migration is serialised."""
    errors: list[BaseException] = []
    made: list[PostgresInbox] = []

    def open_one() -> None:
        try:
            made.append(PostgresInbox(url))
        except BaseException as exc:  # noqa: BLE001 -- collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(made) == 6
    for inbox in made:
        inbox.close()


def test_concurrent_claims_of_a_new_event_give_it_to_one(url: str) -> None:
    """Many connections claiming one event never seen before: exactly one claim, the others busy."""
    inboxes = [PostgresInbox(url) for _ in range(8)]
    numbers = [inbox.record(b"{}") for inbox in inboxes]
    barrier = threading.Barrier(len(inboxes))
    outcomes: list[str] = []

    def claim(inbox: PostgresInbox, number: int) -> None:
        barrier.wait()
        outcomes.append(inbox.claim(number, "evt_race").outcome)

    threads = [threading.Thread(target=claim, args=pair) for pair in zip(inboxes, numbers, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["busy"] * 7 + ["claimed"]
    assert len(inboxes[0].attempts("evt_race")) == 1
    for inbox in inboxes:
        inbox.close()


def test_take_skips_an_event_another_worker_is_taking(url: str) -> None:
    """While one transaction holds a due event's row, another worker's due() and take() pass it by, without waiting."""
    inbox = PostgresInbox(url)
    inbox.enqueue(inbox.record(b"{}"), "evt_1")
    inbox.enqueue(inbox.record(b"{}"), "evt_2")
    with psycopg.connect(url) as other, other.transaction():
        other.execute("SELECT 1 FROM plenty_events_events WHERE event_id = 'evt_1' FOR UPDATE")
        started = time.monotonic()
        assert inbox.due(10) == ["evt_2"]
        assert inbox.take("evt_1") is None
        assert time.monotonic() - started < 5
    assert inbox.due(10) == ["evt_1", "evt_2"]
    assert inbox.take("evt_1") is not None
    inbox.close()


def test_leases_run_on_the_database_clock(url: str) -> None:
    """With no test clock, a claim's lease ends `lease` seconds after the database's now()."""
    inbox = PostgresInbox(url, lease=30)
    inbox.claim(inbox.record(b"{}"), "evt_1")
    with psycopg.connect(url) as db:
        (server_now,) = db.execute("SELECT now()").fetchone()
    (delivery,) = inbox.deliveries()
    assert delivery.lease_until is not None
    assert delivery.lease_until.tzinfo is UTC
    assert abs((delivery.lease_until - server_now).total_seconds() - 30) < 5
    busy = inbox.claim(inbox.record(b"{}"), "evt_1")
    assert 25 < busy.retry_after <= 30
    inbox.close()


def test_a_connection_pool_is_borrowed_and_left_open(url: str) -> None:
    """Given a psycopg_pool ConnectionPool, the inbox works through its connections and close() leaves it open."""
    psycopg_pool = pytest.importorskip("psycopg_pool")
    with psycopg_pool.ConnectionPool(url, min_size=1, max_size=2, open=True) as pool:
        inbox = PostgresInbox(pool)
        assert repr(inbox) == "PostgresInbox('a connection pool')"
        claim = inbox.claim(inbox.record(b"{}", "offer-a"), "evt_1")
        assert inbox.finish(claim, None)
        inbox.close()
        assert [(d.state, d.token_name) for d in inbox.deliveries()] == [(State.HANDLED, "offer-a")]
        assert not pool.closed


def test_without_psycopg_the_inbox_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where psycopg is not installed, PostgresInbox raises ImportError naming plenty-events[postgres]."""
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(ImportError, match=r"plenty-events\[postgres\]"):
        PostgresInbox("postgresql://localhost/db")
    with pytest.raises(ImportError, match=r"plenty-events\[postgres\]"):
        PostgresInbox(object())  # type: ignore[arg-type]
    status, out, err = run("inbox", "postgresql://localhost/db")
    assert (status, out) == (2, "")
    assert "plenty-events[postgres]" in err


def test_the_pool_keeps_at_most_max_idle_connections_and_drops_a_failed_one(url: str) -> None:
    """Connections given back beyond MAX_IDLE, after close, or from a failed call are closed, not kept."""
    inbox = PostgresInbox(url)
    pool = inbox._pool
    taken = [pool.take() for _ in range(pool_module.MAX_IDLE + 2)]
    for db in taken:
        pool.give(db)
    assert pool.idle == taken[: pool_module.MAX_IDLE]
    assert taken[-1].closed
    inbox.close()
    assert pool.idle == []
    late = pool.take()
    inbox.close()
    pool.give(late)
    assert late.closed
    with pytest.raises(psycopg.errors.UndefinedTable), inbox._connect() as db:
        db.execute("SELECT * FROM no_such_table")
    assert db.closed
    assert db not in pool.idle
    inbox.close()


def test_a_forked_child_opens_connections_of_its_own(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Seen from another process id, the inbox leaves the parent's pool alone; the fork hook closes idle ones."""
    inbox = PostgresInbox(url)
    inbox.record(b"parent")
    parent_pool = inbox._pool
    parent_idle = list(parent_pool.idle)
    monkeypatch.setattr(pool_module.os, "getpid", lambda: parent_pool.pid + 1)
    inbox.record(b"child")
    assert inbox._pool is not parent_pool
    assert parent_pool in pool_module._INHERITED
    parent_pool.close()  # not the child's to close: the sockets are the parent's sessions
    assert parent_pool.idle == parent_idle
    assert not parent_idle[0].closed
    child_idle = list(inbox._pool.idle)
    pool_module._close_before_fork()  # as before a fork of the child itself
    assert inbox._pool.idle == []
    assert child_idle[0].closed
    monkeypatch.undo()
    pool_module._INHERITED.remove(parent_pool)
    parent_pool.close()
    assert parent_idle[0].closed
    with PostgresInbox(url) as again:
        assert [d.body for d in again.deliveries()] == [b"parent", b"child"]


_FORK = """
import os, sys
from plenty_events.receiver import PostgresInbox
inbox = PostgresInbox(sys.argv[1])
inbox.finish(inbox.claim(inbox.record(b"parent"), "evt_parent"), None)
pid = os.fork()
if pid == 0:
    try:
        ok = inbox.finish(inbox.claim(inbox.record(b"child"), "evt_child"), None)
        inbox.close()
        os._exit(0 if ok else 1)
    except BaseException:
        os._exit(2)
_, status = os.waitpid(pid, 0)
inbox.finish(inbox.claim(inbox.record(b"parent again"), "evt_again"), None)
print(os.waitstatus_to_exitcode(status), [(d.body.decode(), str(d.state)) for d in inbox.deliveries()])
inbox.close()
"""


def test_an_inbox_works_in_a_real_forked_child_and_its_parent(url: str) -> None:
    """An inbox used before os.fork() works in the child and, afterwards, in the parent."""
    done = subprocess.run([sys.executable, "-c", _FORK, url], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.strip() == ("0 [('parent', 'handled'), ('child', 'handled'), ('parent again', 'handled')]")


def run(*argv: str) -> tuple[int, str, str]:
    out = io.StringIO()
    err = io.StringIO()
    saved, sys.stderr = sys.stderr, err
    try:
        status = main(list(argv), stdout=out)
    finally:
        sys.stderr = saved
    return status, out.getvalue(), err.getvalue()


HANDLED: list[str] = []


def record(event: Any) -> None:
    """A replay handler that records the event's id."""
    HANDLED.append(event.id)


def test_the_cli_lists_replays_dismisses_and_purges_a_postgres_inbox(url: str) -> None:
    """`plenty-events inbox postgresql://…` works as the file form: list, replay, dismiss, purge, exit codes."""
    HANDLED.clear()
    inbox = PostgresInbox(url)
    receiver = Receiver(tokens=TOKEN, handler=print, inbox=inbox, background=True)
    assert receiver.receive(TOKEN, body("evt_queued")).status == 202
    assert receiver.receive(TOKEN, b"not json").status == 400
    inbox.record(body("evt_received"))
    secret = with_password(url, "Sup3r-Secret-pw")
    status, out, _ = run("inbox", secret)
    assert status == 1
    assert out.splitlines()[0] == "3 deliveries: 1 received, 1 rejected, 1 pending"
    status, out, _ = run("inbox", secret, "replay", "--handler", "tests.receiver.test_postgres:record")
    assert (status, sorted(HANDLED)) == (1, ["evt_queued", "evt_received"])  # the rejected one still waits
    assert out.splitlines()[-1] == "replayed 3 deliveries"
    assert run("inbox", secret, "dismiss", "2") == (0, "#2 dismissed\n", "")
    assert run("inbox", secret)[0] == 0
    status, out, _ = run("inbox", secret, "purge", "--older-than", "0")
    assert (status, out.startswith("deleted 3 deliveries stored before ")) == (0, True)
    assert run("inbox", secret) == (0, "0 deliveries\n", "")
    cutoff = datetime.now(UTC) - timedelta(days=1)
    assert inbox.purge(cutoff) == 0
    inbox.close()


def test_the_cli_work_handles_due_events_of_a_postgres_inbox(url: str, tmp_path: Path) -> None:
    """`inbox postgresql://… work` runs the worker on the database until SIGTERM."""
    inbox = PostgresInbox(url)
    Receiver(tokens=TOKEN, handler=print, inbox=inbox, background=True).receive(TOKEN, body("evt_queued"))
    (tmp_path / "shop_worker.py").write_text("def handle(event):\n    print('handling', event.id, flush=True)\n")
    argv = [sys.executable, "-m", "plenty_events", "inbox", url, "work", "--handler", "shop_worker:handle"]
    process = subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while [d.state for d in inbox.deliveries()] != [State.HANDLED] and time.monotonic() < deadline:
            time.sleep(0.05)
        process.terminate()
        out, _ = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0
    assert out.splitlines() == ["handling evt_queued", "#1 'evt_queued' handled", "stopped"]
    inbox.close()


def test_the_cli_hides_the_password_when_the_database_cannot_be_used(tmp_path: Path) -> None:
    """An unreachable database, or a URL that does not parse, exits 2 without the password in the output."""
    dead = f"postgresql://plenty:Sup3r-Secret-pw@/plenty?host={tmp_path}&port=1&connect_timeout=2"
    status, out, err = run("inbox", dead)
    assert (status, out) == (2, "")
    assert "cannot use" in err
    assert "password=***" in err
    assert "Sup3r-Secret-pw" not in err
    status, out, err = run("inbox", "postgresql://plenty:Sup3r-Secret-pw@[bad/db")
    assert (status, out) == (2, "")
    assert "Sup3r-Secret-pw" not in err
