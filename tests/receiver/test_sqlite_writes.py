"""The SQLite inbox's writes under concurrency: one process's writes committed together, each failing alone."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

import pytest

from plenty_events.receiver import Receiver, SQLiteInbox, State
from plenty_events.receiver import _sqlite as sqlite_module
from plenty_events.testing import sample_payload, to_json
from tests.receiving import TOKEN

if TYPE_CHECKING:
    import pathlib
    from collections.abc import Callable, Iterator

THREADS = 16


class Interrupted(BaseException):
    """A thread stopped mid-write, as by KeyboardInterrupt or a worker timeout."""


def body(event_id: str) -> bytes:
    payload = sample_payload()
    payload["id"] = event_id
    return to_json(payload)


@pytest.fixture
def inbox(tmp_path: pathlib.Path) -> Iterator[SQLiteInbox]:
    """A fresh SQLite inbox, closed after the test."""
    with SQLiteInbox(tmp_path / "inbox.sqlite3") as made:
        yield made


@pytest.fixture
def commits(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The COMMIT statements every inbox connection opened from now on runs."""
    seen: list[str] = []
    opened = sqlite_module._Pool.open

    def traced(pool: Any) -> sqlite3.Connection:
        db = opened(pool)
        db.set_trace_callback(lambda statement: seen.append(statement) if statement == "COMMIT" else None)
        return db

    monkeypatch.setattr(sqlite_module._Pool, "open", traced)
    return seen


def in_threads(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run each call in a thread of its own, all released at once; return what each returned or raised."""
    results: list[Any] = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = calls[index]()
        except BaseException as exc:  # noqa: BLE001 -- the test looks at what each call raised
            results[index] = exc

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def batched(inbox: SQLiteInbox, calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads while this one leads, then hand the lead on, so that one commit takes them all."""
    writer = inbox._current_pool().writer
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            results[index] = calls[index]()
        except BaseException as exc:  # noqa: BLE001 -- the test looks at what each call raised
            results[index] = exc

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    with writer.queue_lock:
        writer.leading = True
    for thread in threads:
        thread.start()
    while len(writer.queue) < len(calls):
        time.sleep(0.001)
    with writer.queue_lock:
        writer.queue[0].wake.set()  # as a leader does when its commit is done
    for thread in threads:
        thread.join()
    return results


def test_sixteen_threads_storing_at_once_all_commit(inbox: SQLiteInbox) -> None:
    """16 threads storing and claiming at once: every call commits, none sees 'database is locked'."""
    calls: list[Callable[[], Any]] = [
        lambda thread=thread: [inbox.record_claim(b"{}", None, f"evt_{thread}_{n}") for n in range(20)]
        for thread in range(THREADS)
    ]
    results = in_threads(calls)
    assert not [result for result in results if isinstance(result, BaseException)]
    numbers = [claim.delivery for claims in results for claim in claims]
    assert sorted(numbers) == list(range(1, THREADS * 20 + 1))
    assert {delivery.state for delivery in inbox.deliveries(bodies=False)} == {State.HANDLING}


def test_writes_queued_together_commit_together_and_in_order(commits: list[str], inbox: SQLiteInbox) -> None:
    """Writes queued while another thread leads go into one synced commit, run one after another."""
    commits.clear()
    results = batched(inbox, [lambda: inbox.record_claim(b"{}", None, "evt_1") for _ in range(3)])
    assert len(commits) == 1
    assert sorted(claim.outcome for claim in results) == ["busy", "busy", "claimed"]
    assert len(inbox.deliveries()) == 3


def test_a_failing_write_in_a_batch_fails_alone(inbox: SQLiteInbox, tmp_path: pathlib.Path) -> None:
    """A write that fails half-way is rolled back to its savepoint; the others in its commit are kept."""
    with SQLiteInbox(tmp_path / "inbox.sqlite3") as broken:

        def fail() -> float:
            raise OSError("clock gone")

        broken._lease_now = fail  # its claim fails after its body was inserted
        results = batched(
            inbox,
            [
                lambda: inbox.record(b"first"),
                lambda: broken.record_claim(b"lost", None, "evt_1"),
                lambda: inbox.record(b"second"),
            ],
        )
    assert isinstance(results[1], OSError)
    assert sorted(delivery.body for delivery in inbox.deliveries()) == [b"first", b"second"]


def test_an_interrupted_batch_commits_nothing_and_fails_every_write(inbox: SQLiteInbox, tmp_path: pathlib.Path) -> None:
    """A write stopped by a BaseException fails its whole commit: its thread sees it, the others an error."""
    with SQLiteInbox(tmp_path / "inbox.sqlite3") as broken:

        def interrupt() -> float:
            raise Interrupted

        broken._lease_now = interrupt
        results = batched(
            inbox,
            [
                lambda: inbox.record(b"first"),
                lambda: broken.record_claim(b"x", None, "evt_1"),
                lambda: inbox.record(b"y"),
            ],
        )
    kinds = sorted(type(result).__name__ for result in results)
    assert kinds == ["Interrupted", "OperationalError", "OperationalError"]
    assert inbox.deliveries() == []
    assert inbox.record(b"after") == 1  # the inbox writes on


def test_another_process_writing_at_once_loses_nothing(inbox: SQLiteInbox, tmp_path: pathlib.Path) -> None:
    """Another process writes the same file meanwhile: SQLite's lock and busy timeout keep both whole."""
    script = (
        "import sys\nfrom plenty_events.receiver import SQLiteInbox\n"
        "with SQLiteInbox(sys.argv[1]) as inbox:\n"
        "    for n in range(200):\n        inbox.record(b'other')\n"
    )
    other = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "inbox.sqlite3")])
    results = in_threads([lambda: [inbox.record(b"ours") for _ in range(50)] for _ in range(4)])
    assert other.wait(60) == 0
    assert not [result for result in results if isinstance(result, BaseException)]
    bodies = [delivery.body for delivery in inbox.deliveries()]
    assert (bodies.count(b"ours"), bodies.count(b"other")) == (200, 200)


@pytest.mark.parametrize(
    ("background", "given", "synced"),
    [(False, "new", 2), (False, "handled", 1), (True, "new", 1), (True, "handled", 1), (False, "bad", 2)],
)
def test_the_synced_commits_a_delivery_pays(
    tmp_path: pathlib.Path, commits: list[str], background: bool, given: str, synced: int
) -> None:
    """Inline: body and claim, then outcome (2); background: body and queueing (1); a bad body: body, rejection (2)."""
    with SQLiteInbox(tmp_path / "inbox.sqlite3") as inbox:
        receiver = Receiver(tokens=TOKEN, handler=lambda _event: None, inbox=inbox, background=background)
        if given == "handled":
            Receiver(tokens=TOKEN, handler=lambda _event: None, inbox=inbox).receive(TOKEN, body("evt_1"))
        commits.clear()
        answer = receiver.receive(TOKEN, b"nope" if given == "bad" else body("evt_1"))
        assert answer.status == {"bad": 400, "handled": 200, "new": 202}[given]
        assert len(commits) == synced


@pytest.mark.parametrize("background", [False, True])
def test_a_body_and_claim_that_cannot_be_stored_are_503(
    inbox: SQLiteInbox, monkeypatch: pytest.MonkeyPatch, background: bool
) -> None:
    """When the one commit of body and claim (or queueing) fails, the answer is 503 and nothing is kept."""

    def fail(*_args: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(inbox, "record_enqueue" if background else "record_claim", fail)
    receiver = Receiver(tokens=TOKEN, handler=lambda _event: None, inbox=inbox, background=background)
    answer = receiver.receive(TOKEN, body("evt_1"))
    assert answer.status == 503
    assert inbox.deliveries() == []


def test_a_forked_child_gets_writers_of_its_own(tmp_path: pathlib.Path) -> None:
    """After a fork the child's inboxes use fresh writers: a lock a parent's thread held does not stop them."""
    with SQLiteInbox(tmp_path / "inbox.sqlite3") as parent:
        held = parent._current_pool().writer
        with held.lock:  # a parent's thread mid-commit when the process forked
            sqlite_module._new_writers_after_fork()  # what the fork hook runs in the child
            with SQLiteInbox(tmp_path / "inbox.sqlite3") as child:
                assert child._current_pool().writer is not held
                assert child.record(b"from the child") == 1
