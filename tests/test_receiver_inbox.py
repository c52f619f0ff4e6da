"""The Inbox implementations: the same semantics in memory and in SQLite, and SQLite's durability."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from plenty_events.receiver import Inbox, MemoryInbox, SQLiteInbox, State
from plenty_events.receiver import _sqlite as sqlite_module

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(params=["memory", "sqlite"])
def inbox(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """Each inbox, empty, with a 10 s lease and a clock the test moves."""
    made: Any = MemoryInbox(lease=10) if request.param == "memory" else SQLiteInbox(tmp_path / "in.db", lease=10)
    clock = [1_700_000_000.0]
    made._now = lambda: clock[0]
    made.clock = clock
    return made


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


@pytest.mark.parametrize("lease", [0, -1, float("nan")])
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
    """A second SQLiteInbox on the file sees what the first stored; the file is in WAL mode, schema 1."""
    path = tmp_path / "in.db"
    first = SQLiteInbox(str(path))
    first.finish(first.claim(first.record(b"{}"), "evt_1"), None)
    second = SQLiteInbox(path)
    assert [(d.state, d.event_id) for d in second.deliveries()] == [(State.HANDLED, "evt_1")]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("PRAGMA user_version").fetchone() == (1,)
    db.close()


def test_sqlite_refuses_a_file_from_a_newer_schema(tmp_path: Path) -> None:
    """A file whose schema version is newer than the library's is refused, not misread."""
    path = tmp_path / "in.db"
    SQLiteInbox(path)
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 2")
    db.close()
    with pytest.raises(ValueError, match="schema version 2"):
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
