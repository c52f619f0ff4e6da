"""The Inbox conformance suite, run on every implementation in conftest's INBOXES; then SQLite's own durability."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from plenty_events.receiver import Inbox, MemoryInbox, SQLiteInbox, State
from plenty_events.receiver import _pool as pool_module
from plenty_events.receiver import _sqlite as sqlite_module
from plenty_events.receiver._inbox import LEASE_CLOCK, boot_clock, utc
from tests.receiver.inbox_v1 import make_v1


@pytest.fixture
def inbox(inbox_factory: Any) -> Any:
    """Each inbox (see INBOXES in conftest), empty, with a 10 s lease and a clock the test moves."""
    return inbox_factory(10)


def test_both_inboxes_implement_the_protocol(inbox: Any) -> None:
    """MemoryInbox and SQLiteInbox are Inbox implementations, as a type checker sees them."""
    implementation: Inbox = inbox
    assert implementation is inbox


def test_a_recorded_body_is_received_with_its_time(inbox: Any) -> None:
    """Recording stores the exact bytes as state received, numbered in order, with an aware UTC time."""
    first, second = inbox.record(b"\x00raw\xff"), inbox.record(bytearray(b"two"))
    assert second > first
    one, two = inbox.deliveries()
    assert (one.number, one.state, one.body, one.event_id, one.attempts, one.error) == (
        first,
        State.RECEIVED,
        b"\x00raw\xff",
        None,
        0,
        None,
    )
    assert one.received_at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert two.body == b"two"


def test_reject_marks_a_delivery_rejected_and_a_later_claim_unmarks_it(inbox: Any) -> None:
    """A rejected delivery shows its codes; decoding it later (a replay) ties it to its event."""
    number = inbox.record(b"{}")
    inbox.reject(number, "missing")
    inbox.reject(number + 100, "missing")  # an unknown delivery: nothing to mark
    assert [(d.state, d.error) for d in inbox.deliveries()] == [(State.REJECTED, "missing")]
    assert inbox.claim(number, "evt_1").outcome == "claimed"
    assert [(d.state, d.event_id) for d in inbox.deliveries()] == [(State.HANDLING, "evt_1")]


def test_claims_hand_an_event_to_one_attempt_at_a_time(inbox: Any) -> None:
    """Claimed, then busy under a live lease with the time left, then handled for good."""
    number = inbox.record(b"{}")
    claim = inbox.claim(number, "evt_1")
    assert (claim.outcome, claim.event_id, claim.delivery, len(claim.ticket)) == ("claimed", "evt_1", number, 32)
    inbox.clock[0] += 4
    busy = inbox.claim(inbox.record(b"{}"), "evt_1")
    assert (busy.outcome, busy.retry_after, busy.ticket) == ("busy", 6.0, "")
    assert inbox.finish(claim, None)
    assert inbox.claim(inbox.record(b"{}"), "evt_1").outcome == "handled"
    assert [d.state for d in inbox.deliveries()] == [State.HANDLED] * 3
    assert not inbox.finish(claim, None)  # a ticket finishes once


def test_a_failed_event_is_claimed_again_with_one_more_attempt(inbox: Any) -> None:
    """Finish with an error records failed and the error; the next claim takes it, attempts counted."""
    claim = inbox.claim(inbox.record(b"{}"), "evt_1")
    assert inbox.finish(claim, "SystemExit")
    assert [(d.state, d.error, d.attempts) for d in inbox.deliveries()] == [(State.FAILED, "SystemExit", 1)]
    again = inbox.claim(inbox.record(b"{}"), "evt_1")
    assert again.outcome == "claimed"
    assert {(d.state, d.attempts) for d in inbox.deliveries()} == {(State.HANDLING, 2)}


def test_an_expired_lease_is_taken_over_and_the_old_claim_cannot_finish(inbox: Any) -> None:
    """After the lease, a new claim takes the event; the first claim's finish then records nothing."""
    first = inbox.claim(inbox.record(b"{}"), "evt_1")
    inbox.clock[0] += 10.5
    second = inbox.claim(inbox.record(b"{}"), "evt_1")
    assert second.outcome == "claimed"
    assert not inbox.finish(first, "RuntimeError")
    assert inbox.finish(second, None)
    assert {d.state for d in inbox.deliveries()} == {State.HANDLED}


def test_finishing_an_unknown_event_records_nothing(inbox: Any) -> None:
    """A claim the inbox never gave finishes nothing."""
    claim = inbox.claim(inbox.record(b"{}"), "evt_1")
    forged = type(claim)("evt_2", claim.delivery, "claimed", claim.ticket)
    assert not inbox.finish(forged, None)


def test_deliveries_filter_by_state(inbox: Any) -> None:
    """Listing deliveries(states) gives only those in the given states, in order."""
    inbox.reject(inbox.record(b"x"), "json_invalid")
    inbox.record(b"y")
    inbox.finish(inbox.claim(inbox.record(b"{}"), "evt_1"), None)
    assert [d.body for d in inbox.deliveries({State.REJECTED, State.HANDLED})] == [b"x", b"{}"]
    assert [d.body for d in inbox.deliveries([State.RECEIVED])] == [b"y"]


def test_purge_deletes_old_bodies_and_keeps_event_states(inbox: Any) -> None:
    """Purging deletes deliveries stored before the cutoff; a purged handled event is still not handled again."""
    inbox.finish(inbox.claim(inbox.record(b"old"), "evt_1"), None)
    inbox.clock[0] += 86_400
    inbox.record(b"new")
    cutoff = datetime.fromtimestamp(inbox.clock[0], UTC) - timedelta(hours=1)
    assert inbox.purge(cutoff) == 1
    assert [d.body for d in inbox.deliveries()] == [b"new"]
    assert inbox.claim(inbox.record(b"again"), "evt_1").outcome == "handled"
    assert inbox.purge(cutoff) == 0


def test_a_token_name_is_stored_with_its_delivery(inbox: Any) -> None:
    """record() keeps the token name; a delivery without one has None."""
    inbox.record(b"{}", "offer-a")
    inbox.record(b"{}")
    assert [d.token_name for d in inbox.deliveries()] == ["offer-a", None]


def test_dismiss_moves_a_rejected_delivery_only(inbox: Any) -> None:
    """Only a rejected delivery is dismissed, once; its body stays; a later claim (a replay) ties it to its event."""
    rejected, received = inbox.record(b"junk"), inbox.record(b"{}")
    inbox.reject(rejected, "json_invalid")
    assert not inbox.dismiss(received)
    assert not inbox.dismiss(received + 100)
    assert inbox.dismiss(rejected)
    assert not inbox.dismiss(rejected)  # once
    assert [(d.state, d.body) for d in inbox.deliveries([State.DISMISSED])] == [(State.DISMISSED, b"junk")]
    claimed = inbox.record(b"{}")
    inbox.claim(claimed, "evt_1")
    assert not inbox.dismiss(claimed)
    inbox.claim(rejected, "evt_2")
    assert inbox.deliveries([State.DISMISSED]) == []


def test_enqueue_leaves_a_new_event_pending_and_due_now(inbox: Any) -> None:
    """A new event is queued, pending, due now, 0 attempts; again it is waiting; handled answers handled."""
    number = inbox.record(b"{}", "offer-a")
    assert inbox.enqueue(number, "evt_1") == "queued"
    assert inbox.enqueue(inbox.record(b"{}"), "evt_1") == "waiting"
    first = inbox.deliveries()[0]
    assert (first.state, first.attempts, first.due_at) == (
        State.PENDING,
        0,
        datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC),
    )
    assert inbox.due(10) == ["evt_1"]
    claim = inbox.take("evt_1")
    assert (claim.outcome, claim.attempts, claim.body, claim.token_name, claim.delivery) == (
        "claimed",
        1,
        b"{}",
        "offer-a",
        number,
    )
    assert inbox.take("evt_1") is None  # held now
    assert inbox.due(10) == []
    assert inbox.enqueue(inbox.record(b"{}"), "evt_1") == "waiting"
    assert inbox.finish(claim, None)
    assert inbox.enqueue(inbox.record(b"{}"), "evt_1") == "handled"
    assert inbox.take("evt_1") is None
    assert inbox.take("evt_unknown") is None


def test_a_failed_event_is_due_after_its_delay(inbox: Any) -> None:
    """Finish with retry_in: failed, due then, with its error and reason; taken again with one more attempt."""
    inbox.enqueue(inbox.record(b"{}"), "evt_1")
    claim = inbox.take("evt_1")
    assert inbox.finish(claim, "TimeoutError", retry_in=30, reason="429")
    failed = inbox.deliveries()[0]
    assert (failed.state, failed.error, failed.reason, failed.attempts) == (State.FAILED, "TimeoutError", "429", 1)
    assert failed.due_at == datetime(2023, 11, 14, 22, 13, 50, tzinfo=UTC)
    assert failed.tried_at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    inbox.clock[0] += 29
    assert (inbox.due(10), inbox.take("evt_1")) == ([], None)
    inbox.clock[0] += 1
    assert inbox.due(10) == ["evt_1"]
    assert inbox.take("evt_1").attempts == 2


def test_a_dead_event_is_revived_by_a_redelivery_with_a_fresh_count(inbox: Any) -> None:
    """finish(dead=True): dead, never due; enqueue or claim revives it with attempts from 0."""
    inbox.enqueue(inbox.record(b"{}"), "evt_1")
    claim = inbox.take("evt_1")
    assert inbox.finish(claim, "Permanent", dead=True, reason="refused")
    dead = inbox.deliveries()[0]
    assert (dead.state, dead.error, dead.reason, dead.due_at) == (State.DEAD, "Permanent", "refused", None)
    assert inbox.due(10) == []
    assert inbox.enqueue(inbox.record(b"{}"), "evt_1") == "queued"
    assert {d.state for d in inbox.deliveries()} == {State.PENDING}
    assert inbox.take("evt_1").attempts == 1
    assert inbox.finish(inbox.deliveries and claim, None) is False  # the old ticket is spent
    inbox.clock[0] += 11  # the take's lease ended
    claim = inbox.take("evt_1")
    assert inbox.finish(claim, "Permanent", dead=True)
    assert inbox.claim(inbox.record(b"{}"), "evt_1").attempts == 1


def test_a_stale_handling_event_is_due_for_the_worker(inbox: Any) -> None:
    """An event whose lease ended is due, and taken over; the old claim cannot finish."""
    first = inbox.claim(inbox.record(b"{}"), "evt_1")
    assert inbox.due(10) == []
    inbox.clock[0] += 10
    assert inbox.due(10) == ["evt_1"]
    second = inbox.take("evt_1")
    assert second.attempts == 2
    assert not inbox.finish(first, None)
    assert inbox.finish(second, None)


def test_due_lists_the_longest_due_first_up_to_its_limit(inbox: Any) -> None:
    """due() orders by due time and stops at its limit."""
    for name in ("evt_b", "evt_a", "evt_c"):
        inbox.enqueue(inbox.record(b"{}"), name)
        inbox.clock[0] += 1
    assert inbox.due(2) == ["evt_b", "evt_a"]


def test_take_finds_another_delivery_when_its_own_was_purged(inbox: Any) -> None:
    """The worker handles the latest delivery left of an event; with none left, the claim has no body."""
    inbox.enqueue(inbox.record(b"old"), "evt_1")
    inbox.clock[0] += 5
    inbox.enqueue(inbox.record(b"new", "offer-b"), "evt_1")
    inbox.purge(utc(inbox.clock[0] - 1))
    claim = inbox.take("evt_1")
    assert (claim.body, claim.token_name) == (b"new", "offer-b")
    inbox.finish(claim, "RuntimeError")
    inbox.purge(utc(inbox.clock[0] + 1))
    claim = inbox.take("evt_1")
    assert (claim.outcome, claim.body, claim.attempts) == ("claimed", None, 2)


@pytest.mark.parametrize("lease", [0, -1, float("nan"), float("inf")])
def test_a_lease_must_be_positive(tmp_path: Path, lease: float) -> None:
    """A lease that is not a positive number of seconds is a ValueError, in both inboxes."""
    with pytest.raises(ValueError, match="lease"):
        MemoryInbox(lease=lease)
    with pytest.raises(ValueError, match="lease"):
        SQLiteInbox(tmp_path / "in.db", lease=lease)


@pytest.mark.parametrize("path", ["", ":memory:"])
def test_sqlite_needs_a_file(path: str) -> None:
    """An SQLiteInbox in memory would be one database per connection: refused."""
    with pytest.raises(ValueError, match="MemoryInbox"):
        SQLiteInbox(path)


def test_sqlite_keeps_everything_across_reopening_in_wal_mode(tmp_path: Path) -> None:
    """A second SQLiteInbox on the file sees what the first stored; the file is in WAL mode, schema 3."""
    path = tmp_path / "in.db"
    first = SQLiteInbox(str(path))
    first.finish(first.claim(first.record(b"{}"), "evt_1"), None)
    second = SQLiteInbox(path)
    assert [(d.state, d.event_id) for d in second.deliveries()] == [(State.HANDLED, "evt_1")]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("PRAGMA user_version").fetchone() == (3,)
    db.close()


def test_sqlite_refuses_a_file_from_a_newer_schema(tmp_path: Path) -> None:
    """A file whose schema version is newer than the library's is refused, not misread."""
    path = tmp_path / "in.db"
    SQLiteInbox(path)
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 4")
    db.close()
    with pytest.raises(ValueError, match="schema version 4"):
        SQLiteInbox(path)


def test_sqlite_purge_leaves_no_trace_of_a_body_on_disk(tmp_path: Path) -> None:
    """After purge, the deleted body's bytes are in neither the database file nor its WAL."""
    path = tmp_path / "in.db"
    inbox = SQLiteInbox(path)
    secret = b"Customer-Name-John-Doe-" * 20
    inbox.record(secret)
    inbox.record(b"kept")
    inbox._now = lambda: 4_000_000_000.0
    assert inbox.purge(datetime(2100, 1, 1, tzinfo=UTC)) == 2
    on_disk = b"".join(file.read_bytes() for file in tmp_path.iterdir())
    assert b"Customer-Name-John-Doe" not in on_disk


def test_sqlite_rolls_a_claim_back_when_it_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A claim interrupted inside its transaction changes nothing."""
    inbox = SQLiteInbox(tmp_path / "in.db")
    number = inbox.record(b"{}")

    def broken() -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(sqlite_module, "new_ticket", broken)
    with pytest.raises(KeyboardInterrupt):
        inbox.claim(number, "evt_1")
    assert [(d.state, d.event_id) for d in inbox.deliveries()] == [(State.RECEIVED, None)]


def test_a_claim_for_a_purged_delivery_still_guards_its_event(inbox: Any) -> None:
    """Claiming with a delivery number the inbox no longer has still takes the event, once."""
    assert inbox.claim(999, "evt_1").outcome == "claimed"
    assert inbox.claim(999, "evt_1").outcome == "busy"
    assert inbox.deliveries() == []


def test_sqlite_reuses_one_connection_and_keeps_the_wal_between_calls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sequential calls share one pooled connection, so the WAL is not checkpointed away after each call."""
    inbox = SQLiteInbox(tmp_path / "in.db")
    opened: list[sqlite3.Connection] = []
    real_open = inbox._pool.open

    def counting_open() -> sqlite3.Connection:
        opened.append(real_open())
        return opened[-1]

    monkeypatch.setattr(inbox._pool, "open", counting_open)
    for n in range(5):
        inbox.finish(inbox.claim(inbox.record(b"{}"), f"evt_{n}"), None)
        inbox.deliveries()
    assert opened == []  # the constructor's connection, idle since, served every call
    assert (tmp_path / "in.db-wal").exists()  # a last connection closing would have removed it
    inbox.close()
    assert not (tmp_path / "in.db-wal").exists()


def test_sqlite_keeps_at_most_max_idle_connections(tmp_path: Path) -> None:
    """Connections given back beyond MAX_IDLE are closed, not kept."""
    inbox = SQLiteInbox(tmp_path / "in.db")
    pool = inbox._pool
    taken = [pool.take() for _ in range(pool_module.MAX_IDLE + 2)]
    for db in taken:
        pool.give(db)
    assert pool.idle == taken[: pool_module.MAX_IDLE]
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        taken[-1].execute("SELECT 1")
    inbox.close()
    assert pool.idle == []
    assert inbox.deliveries() == []  # a call after close opens a new connection


def test_sqlite_drops_a_connection_whose_call_failed(tmp_path: Path) -> None:
    """A connection is not reused after its call raised: it may still hold a transaction or be broken."""
    used: list[sqlite3.Connection] = []

    def fail_in_a_transaction(inbox: SQLiteInbox) -> None:
        with inbox._connect() as db:
            used.append(db)
            db.execute("BEGIN IMMEDIATE")
            raise RuntimeError

    with SQLiteInbox(tmp_path / "in.db") as inbox:
        with pytest.raises(RuntimeError):
            fail_in_a_transaction(inbox)
        (db,) = used
        assert db not in inbox._pool.idle
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            db.execute("SELECT 1")
        # The write lock went with it: another connection can write at once.
        assert inbox.record(b"{}") == 1
    assert inbox._pool.idle == []


class _FailingPragma(sqlite3.Connection):
    closed = False

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if "secure_delete" in sql:
            raise sqlite3.OperationalError("disk I/O error")
        return super().execute(sql, *args)

    def close(self) -> None:
        type(self).closed = True
        super().close()


def test_sqlite_closes_a_connection_it_could_not_set_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new connection whose PRAGMAs fail is closed before the error goes on."""
    inbox = SQLiteInbox(tmp_path / "in.db")
    inbox.close()
    connect = sqlite3.connect
    monkeypatch.setattr(
        sqlite3, "connect", lambda *args, **kwargs: connect(*args, **{**kwargs, "factory": _FailingPragma})
    )
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        inbox.record(b"{}")
    assert _FailingPragma.closed


def test_sqlite_in_a_forked_child_opens_its_own_connections(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Seen from another process id, the inbox keeps the parent's pool but leaves it alone, and opens a new one."""
    inbox = SQLiteInbox(tmp_path / "in.db")
    inbox.record(b"parent")
    parent_pool = inbox._pool
    parent_idle = list(parent_pool.idle)
    assert parent_idle
    monkeypatch.setattr(pool_module.os, "getpid", lambda: parent_pool.pid + 1)
    inbox.record(b"child")
    assert inbox._pool is not parent_pool
    assert parent_pool in pool_module._INHERITED
    assert inbox._pool.idle
    assert not set(inbox._pool.idle) & set(parent_idle)
    parent_pool.close()  # as the parent's finalizer would at the child's exit: not the child's to close
    assert parent_pool.idle == parent_idle
    parent_idle[0].execute("SELECT 1")  # still open
    monkeypatch.undo()
    pool_module._INHERITED.remove(parent_pool)
    parent_pool.close()
    inbox.close()
    assert [d.body for d in SQLiteInbox(tmp_path / "in.db").deliveries()] == [b"parent", b"child"]


def test_sqlite_closes_idle_connections_before_a_fork(tmp_path: Path) -> None:
    """The fork hook closes every idle connection, so a child inherits no open SQLite file."""
    inbox = SQLiteInbox(tmp_path / "in.db")
    inbox.record(b"{}")
    idle = list(inbox._pool.idle)
    pool_module._close_before_fork()
    assert inbox._pool.idle == []
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        idle[0].execute("SELECT 1")
    assert len(inbox.deliveries()) == 1


_FORK = """
import os, sys
from plenty_events.receiver import SQLiteInbox, State
inbox = SQLiteInbox(sys.argv[1])
inbox.finish(inbox.claim(inbox.record(b"parent"), "evt_parent"), None)
parent_pool = inbox._pool
pid = os.fork()
if pid == 0:
    try:
        ok = inbox.finish(inbox.claim(inbox.record(b"child"), "evt_child"), None)
        os._exit(0 if ok and inbox._pool is not parent_pool and inbox._pool.pid == os.getpid() else 1)
    except BaseException:
        os._exit(2)
_, status = os.waitpid(pid, 0)
inbox.finish(inbox.claim(inbox.record(b"parent again"), "evt_again"), None)
print(os.waitstatus_to_exitcode(status), [(d.body.decode(), str(d.state)) for d in inbox.deliveries()])
"""


def test_sqlite_works_in_a_real_forked_child_and_its_parent(tmp_path: Path) -> None:
    """An inbox used before os.fork() works in the child and, afterwards, in the parent, on one file."""
    done = subprocess.run(
        [sys.executable, "-c", _FORK, str(tmp_path / "in.db")], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == ("0 [('parent', 'handled'), ('child', 'handled'), ('parent again', 'handled')]")


def test_a_connection_given_back_after_close_is_closed(tmp_path: Path) -> None:
    """A call still running when the inbox closes closes its connection when it ends, rather than pooling it."""
    inbox = SQLiteInbox(tmp_path / "in.db")
    pool = inbox._pool
    late = pool.take()
    inbox.close()
    pool.give(late)
    assert pool.idle == []
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        late.execute("SELECT 1")
    assert inbox.deliveries() == []  # the next call pools again
    assert len(pool.idle) == 1
    inbox.close()


def test_a_collected_connection_closes_itself_only_in_its_own_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection collected open closes itself, except seen from another process (a forked child)."""
    own = sqlite_module._Connection(str(tmp_path / "a.db"))
    own.__del__()
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        own.execute("SELECT 1")
    inherited = sqlite_module._Connection(str(tmp_path / "b.db"))
    monkeypatch.setattr(sqlite_module.os, "getpid", lambda: inherited.opened_by + 1)
    inherited.__del__()
    assert inherited.execute("SELECT 1").fetchone() == (1,)
    monkeypatch.undo()
    inherited.close()


def test_a_version_1_file_is_migrated_keeping_every_body(tmp_path: Path) -> None:
    """Version 1 becomes 3 in place: bodies and states kept, a failed event due at once, the lease kept."""
    path = tmp_path / "v1.sqlite3"
    now = time.time()
    make_v1(path, now)
    inbox = SQLiteInbox(path)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (3,)
    db.close()  # the with block commits; it does not close
    found = [(d.number, d.state, d.event_id, d.attempts, d.error, d.body) for d in inbox.deliveries()]
    assert found == [
        (1, State.HANDLED, "evt_handled", 1, None, b'{"id": "evt_handled"}'),
        (2, State.FAILED, "evt_failed", 2, "RuntimeError", b'{"id": "evt_failed"}'),
        (3, State.REJECTED, None, 0, "json_invalid", b"not json"),
        (4, State.RECEIVED, None, 0, None, b'{"id": "evt_received"}'),
        (5, State.HANDLING, "evt_handling", 1, None, b'{"id": "evt_handling"}'),
    ]
    failed, handling = inbox.deliveries()[1], inbox.deliveries()[4]
    assert failed.due_at is not None
    assert failed.due_at.timestamp() <= time.time()  # due at once
    assert handling.lease_until is not None
    assert now + 25 < handling.lease_until.timestamp() < now + 35  # the 30 s left, now on the boot clock
    assert inbox.due(10) == ["evt_failed"]
    assert inbox.take("evt_handling") is None  # its lease still holds
    inbox._lease_now = lambda: LEASE_CLOCK() + 31
    assert inbox.take("evt_handling") is not None
    assert inbox.claim(6, "evt_handled").outcome == "handled"
    assert inbox.attempts("evt_failed") == []  # version 1 kept no history
    assert inbox.steps("evt_handled") == {}  # nor a step journal, which works now
    assert inbox.record_step("evt_handled", "contact", "7") == "7"
    assert inbox.steps("evt_handled") == {"contact": "7"}
    inbox.close()
    SQLiteInbox(path).close()  # opening a migrated file again changes nothing


def test_a_version_1_failed_event_written_after_the_migration_is_due(tmp_path: Path) -> None:
    """An event failed without a due time (by an older process still running) counts as due."""
    path = tmp_path / "in.sqlite3"
    inbox = SQLiteInbox(path)
    inbox.enqueue(inbox.record(b"{}"), "evt_1")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE events SET state = 'failed', due_at = NULL")
    db.close()  # the with block commits; it does not close
    assert inbox.due(10) == ["evt_1"]
    inbox.close()


@pytest.mark.parametrize("umask", [0o022, 0o000, 0o277])
def test_a_new_sqlite_file_and_its_wal_are_private_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    """The file, its -wal and its -shm are created 0600."""
    path = tmp_path / "in.sqlite3"
    before = os.umask(umask)
    try:
        inbox = SQLiteInbox(path)
        inbox.record(b"{}")
        modes = {name: stat.S_IMODE(Path(f"{path}{name}").stat().st_mode) for name in ("", "-wal", "-shm")}
        inbox.close()
    finally:
        os.umask(before)
    assert modes == {"": 0o600, "-wal": 0o600, "-shm": 0o600}


def test_an_existing_file_others_can_read_is_used_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A readable file works, and the log names its path once per opening, no more."""
    path = tmp_path / "in.sqlite3"
    SQLiteInbox(path).close()
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="plenty_events.receiver"):
        inbox = SQLiteInbox(path)
        inbox.record(b"{}")
        inbox.deliveries()
        inbox.close()
    warnings = [record.getMessage() for record in caplog.records]
    assert len(warnings) == 1
    assert str(path) in warnings[0]
    assert "other users" in warnings[0]
    caplog.clear()
    path.chmod(0o600)
    SQLiteInbox(path).close()
    assert caplog.records == []


def test_deliveries_without_bodies_read_none(inbox: Any) -> None:
    """bodies=False lists the same deliveries, each with an empty body."""
    inbox.record(b"one", "offer-a")
    inbox.claim(inbox.record(b"two"), "evt_1")
    full, bare = inbox.deliveries(), inbox.deliveries(bodies=False)
    assert [attrs.evolve(d, body=b"") for d in full] == bare
    assert [d.body for d in full] == [b"one", b"two"]
    assert inbox.deliveries([State.HANDLING], bodies=False)[0].lease_until == utc(inbox.clock[0] + 10)


def test_every_attempt_is_recorded_with_its_time_and_error(inbox: Any) -> None:
    """attempts() lists each claim's number, start time and error type, a revival counting from 1 again."""
    inbox.enqueue(inbox.record(b"{}"), "evt_1")
    assert inbox.attempts("evt_1") == []
    inbox.finish(inbox.take("evt_1"), "TimeoutError")
    inbox.clock[0] += 1
    inbox.finish(inbox.take("evt_1"), "Permanent", dead=True)
    inbox.clock[0] += 1
    claim = inbox.claim(inbox.record(b"{}"), "evt_1")  # revived
    inbox.clock[0] += 11
    inbox.finish(inbox.take("evt_1"), None)  # the first claim's lease ended: taken over
    assert not inbox.finish(claim, "Late")  # a lost claim records nothing
    start = inbox.clock[0] - 13
    assert [(a.attempt, a.started_at.timestamp() - start, a.error) for a in inbox.attempts("evt_1")] == [
        (1, 0.0, "TimeoutError"),
        (2, 1.0, "Permanent"),
        (1, 2.0, None),
        (2, 13.0, None),
    ]
    assert inbox.attempts("evt_unknown") == []


def test_a_lease_from_another_boot_has_ended(tmp_path: Path) -> None:
    """A lease taken before the machine rebooted (another boot id) has ended, whatever its clock reading."""
    inbox = SQLiteInbox(tmp_path / "in.sqlite3")
    claim = inbox.claim(inbox.record(b"{}"), "evt_1")
    assert inbox.claim(inbox.record(b"{}"), "evt_1").outcome == "busy"
    inbox._boot = "another-boot"
    assert inbox.due(10) == ["evt_1"]
    assert inbox.deliveries()[0].lease_until is not None
    assert inbox.claim(inbox.record(b"{}"), "evt_1").outcome == "claimed"
    assert not inbox.finish(claim, None)
    inbox.close()


def test_leases_run_on_the_boot_clock_not_the_wall_clock(tmp_path: Path) -> None:
    """A step of the wall clock moves no lease: a claim stays busy however far the wall clock jumps."""
    for inbox in (MemoryInbox(), SQLiteInbox(tmp_path / "in.sqlite3")):
        inbox.claim(inbox.record(b"{}"), "evt_1")
        inbox._now = lambda: time.time() + 10 * 365 * 86400
        assert inbox.claim(inbox.record(b"{}"), "evt_1").outcome == "busy"
        assert inbox.due(10) == []


def test_the_boot_clock_falls_back_to_the_wall_clock_without_a_boot_id(tmp_path: Path) -> None:
    """Where no boot id can be read, leases use the wall clock, with an empty boot id."""
    assert boot_clock(str(tmp_path / "missing")) == ("", time.time)
    boot, clock = boot_clock()
    assert boot
    assert clock() == pytest.approx(time.clock_gettime(time.CLOCK_BOOTTIME), abs=1)


def test_a_step_is_recorded_once_and_read_back_in_order(inbox: Any) -> None:
    """record_step keeps each step's first id; steps reads them back in the order recorded, per event."""
    assert inbox.steps("evt_1") == {}
    assert inbox.record_step("evt_1", "contact", "42") == "42"
    assert inbox.record_step("evt_1", "address", "") == ""
    assert inbox.record_step("evt_2", "contact", "43") == "43"
    assert inbox.record_step("evt_1", "contact", "99") == "42"  # a second run's id does not replace the first
    assert inbox.steps("evt_1") == {"contact": "42", "address": ""}
    assert list(inbox.steps("evt_1")) == ["contact", "address"]
    assert inbox.steps("evt_2") == {"contact": "43"}
    inbox.steps("evt_1")["note"] = "1"  # a copy: changing it records nothing
    assert "note" not in inbox.steps("evt_1")


def test_steps_need_no_claim_and_survive_any_outcome_and_a_purge(inbox: Any) -> None:
    """Steps are recorded whoever holds the event, and stay through failure, death, revival and purge."""
    number = inbox.record(b"{}")
    claim = inbox.claim(number, "evt_1")
    inbox.record_step("evt_1", "contact", "1")
    inbox.finish(claim, "RetryLater")
    inbox.record_step("evt_1", "ticket", "2")  # no claim held now
    inbox.finish(inbox.claim(number, "evt_1"), "Permanent", dead=True)
    inbox.enqueue(inbox.record(b"{}"), "evt_1")  # revived by a redelivery
    inbox.clock[0] += 100
    assert inbox.purge(utc(inbox.clock[0])) == 2
    assert inbox.steps("evt_1") == {"contact": "1", "ticket": "2"}


def test_erase_deletes_the_deliveries_and_the_steps_of_their_events_only(inbox: Any) -> None:
    """Inbox.erase deletes the given deliveries and their events' steps; other deliveries, steps and states stay."""
    gone, kept, rejected = inbox.record(b"person"), inbox.record(b"other"), inbox.record(b"person, not json")
    inbox.finish(inbox.claim(gone, "evt_gone"), None)
    inbox.finish(inbox.claim(kept, "evt_kept"), None)
    inbox.reject(rejected, "json_invalid")
    inbox.record_step("evt_gone", "contact", "1")
    inbox.record_step("evt_kept", "contact", "2")
    assert inbox.erase([gone, rejected, gone, 9999]) == 2  # a repeated or unknown number counts nothing
    assert [d.number for d in inbox.deliveries()] == [kept]
    assert inbox.steps("evt_gone") == {}
    assert inbox.steps("evt_kept") == {"contact": "2"}
    assert inbox.claim(inbox.record(b"person"), "evt_gone").outcome == "handled"  # its state is kept
    assert inbox.erase([]) == 0


def test_sqlite_erase_leaves_no_trace_of_a_body_on_disk(tmp_path: Path) -> None:
    """After erase, the erased body's bytes are in neither the database file nor its WAL."""
    path = tmp_path / "in.db"
    inbox = SQLiteInbox(path)
    secret = b"Customer-Name-Jane-Roe-" * 20
    number = inbox.record(secret)
    inbox.record(b"kept")
    assert inbox.erase([number]) == 1
    on_disk = b"".join(file.read_bytes() for file in tmp_path.iterdir())
    assert b"Customer-Name-Jane-Roe" not in on_disk
    assert inbox.erase([number], checkpoint=False) == 0
    inbox.close()


def test_a_version_2_file_is_migrated_to_3_keeping_everything(tmp_path: Path) -> None:
    """Version 2 becomes 3 in place: deliveries, states and attempts kept, and a step journal added."""
    path = tmp_path / "v2.sqlite3"
    inbox = SQLiteInbox(path)
    inbox.finish(inbox.claim(inbox.record(b'{"id": "evt_1"}'), "evt_1"), "RuntimeError")
    inbox.close()
    with sqlite3.connect(path) as db:  # back to version 2, as that version left it
        db.execute("DROP TABLE steps")
        db.execute("PRAGMA user_version = 2")
    db.close()  # the with block commits; it does not close
    before = sqlite3.connect(path)
    tables = {name for (name,) in before.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    before.close()
    assert "steps" not in tables
    inbox = SQLiteInbox(path)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (3,)
    db.close()
    assert [(d.state, d.event_id, d.error, d.body) for d in inbox.deliveries()] == [
        (State.FAILED, "evt_1", "RuntimeError", b'{"id": "evt_1"}')
    ]
    assert [a.error for a in inbox.attempts("evt_1")] == ["RuntimeError"]
    assert inbox.record_step("evt_1", "contact", "5") == "5"
    inbox.close()
    reopened = SQLiteInbox(path)  # opening a migrated file again changes nothing
    assert reopened.steps("evt_1") == {"contact": "5"}
    reopened.close()
