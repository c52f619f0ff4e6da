"""plenty-events inbox DB: list by state, replay through a handler, purge; masked output, exit codes."""

from __future__ import annotations

import functools
import io
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import tracemalloc
from typing import TYPE_CHECKING, Any

import pytest

from plenty_events.cli import inbox as commands
from plenty_events.cli import main
from plenty_events.receiver import Receiver, SQLiteInbox, State
from plenty_events.testing import sample_payload, to_json
from tests.helpers import PERSONAL
from tests.receiving import TOKEN

if TYPE_CHECKING:
    from pathlib import Path


#: What the replay handlers below were called with, by name.
CALLS: dict[str, list[Any]] = {}


def record(event: Any) -> None:
    """A replay handler that records the event."""
    CALLS.setdefault("record", []).append(event)


def refuse(event: Any) -> None:
    """A replay handler that fails."""
    CALLS.setdefault("refuse", []).append(event)
    raise RuntimeError("still down")


NOT_CALLABLE = 42


def record_then_stop(event: Any) -> None:
    """A worker handler that records the event, then asks its own process to stop, as systemd would."""
    CALLS.setdefault("record_then_stop", []).append(event)
    os.kill(os.getpid(), signal.SIGTERM)


def fail_then_stop(event: Any) -> None:
    """A worker handler that fails, then asks its own process to stop."""
    os.kill(os.getpid(), signal.SIGINT)
    raise RuntimeError(event.id)


def run(*argv: str) -> tuple[int, str, str]:
    out = io.StringIO()
    err = io.StringIO()
    saved, sys.stderr = sys.stderr, err
    try:
        status = main(list(argv), stdout=out)
    finally:
        sys.stderr = saved
    return status, out.getvalue(), err.getvalue()


def body(**changes: Any) -> bytes:
    payload = sample_payload()
    payload.update(changes)
    return to_json(payload)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """An inbox with one delivery in each state, written by a strict receiver."""
    CALLS.clear()
    path = tmp_path / "inbox.sqlite3"
    inbox = SQLiteInbox(path)

    def handler(event: Any) -> None:
        if event.id == "evt_fails\nforged":
            raise RuntimeError("John Doe")

    receiver = Receiver(tokens=TOKEN, handler=handler, inbox=inbox, strict=True)
    assert receiver.receive(TOKEN, body(id="evt_handled")).status == 202
    assert receiver.receive(TOKEN, body(id="evt_fails\nforged")).status == 500
    assert receiver.receive(TOKEN, body(id="evt_lenient", createdAt="1510656066")).status == 422
    assert receiver.receive(TOKEN, b"not json at all").status == 400
    inbox.record(body(id="evt_received"))
    return path


def test_the_listing_counts_and_lists_by_state_without_personal_values(db: Path) -> None:
    """Listing prints counts and one escaped line per delivery, grouped by state; exit 1 while any waits."""
    status, out, _ = run("inbox", str(db))
    assert status == 1
    lines = out.splitlines()
    assert lines[0] == "5 deliveries: 1 received, 2 rejected, 1 handled, 1 failed"
    assert [line.split()[2] for line in lines[1:]] == ["received", "rejected", "rejected", "handled", "failed"]
    assert lines[4].endswith("'evt_handled' attempts 1")
    assert re.search(r"'evt_fails\\nforged' attempts 1 RuntimeError due \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", lines[5])
    assert lines[2].endswith("rejected int_type")
    for value in PERSONAL:
        assert value not in out


def test_replay_handles_what_waits_and_shows_the_errors(db: Path) -> None:
    """A lenient replay handles the received, repairable and failed ones; the non-JSON one stays, errors shown."""
    status, out, _ = run("inbox", str(db), "replay", "--handler", "tests.cli.test_inbox:record")
    assert status == 1
    assert out.splitlines() == [
        "#2 was failed: handled 'evt_fails\\nforged'",
        "#3 was rejected: handled 'evt_lenient'",
        "#4 was rejected: still rejected, 1 error",
        "  '$': invalid JSON at line 1 column 1: expecting value [json_invalid]",
        "#5 was received: handled 'evt_received'",
        "replayed 4 deliveries",
    ]
    assert sorted(event.id for event in CALLS["record"]) == ["evt_fails\nforged", "evt_lenient", "evt_received"]
    status, out, _ = run("inbox", str(db), "replay", "--handler", "tests.cli.test_inbox:record")
    assert (status, out.splitlines()[-1]) == (1, "replayed 1 deliveries")
    assert len(CALLS["record"]) == 3


def test_replay_in_strict_mode_and_with_a_failing_handler_exits_1(db: Path) -> None:
    """--strict keeps the repairable one rejected; a handler that fails leaves its events failed."""
    status, out, _ = run("inbox", str(db), "replay", "--strict", "--handler", "tests.cli.test_inbox:refuse")
    assert status == 1
    assert "#2 was failed: 'evt_fails\\nforged' failed again (500)" in out
    assert "#3 was rejected: still rejected, 1 error" in out
    assert "John" not in out
    assert {d.state for d in SQLiteInbox(db).deliveries()} == {State.HANDLED, State.FAILED, State.REJECTED}


def test_replay_reports_a_redelivery_handled_before_and_one_still_handling(tmp_path: Path) -> None:
    """A received body of a handled event is 'handled before'; one under a live lease is skipped, exit 1."""
    path = tmp_path / "inbox.sqlite3"
    inbox = SQLiteInbox(path)
    inbox.finish(inbox.claim(inbox.record(body(id="evt_done")), "evt_done"), None)
    inbox.record(body(id="evt_done"))
    inbox.claim(inbox.record(body(id="evt_busy")), "evt_busy")
    status, out, _ = run("inbox", str(path), "replay", "--handler", "tests.cli.test_inbox:record")
    assert status == 1
    assert out.splitlines() == [
        "#2 was received: 'evt_done' was handled before",
        "#3 was handling: 'evt_busy' is being handled elsewhere (503)",
        "replayed 2 deliveries",
    ]


def test_an_empty_inbox_lists_nothing_and_exits_0(tmp_path: Path) -> None:
    """An inbox with nothing waiting exits 0."""
    path = tmp_path / "inbox.sqlite3"
    SQLiteInbox(path)
    assert run("inbox", str(path)) == (0, "0 deliveries\n", "")


def test_purge_deletes_deliveries_past_the_retention_period(db: Path) -> None:
    """Purging --older-than DAYS deletes older deliveries only; 0 days deletes everything stored so far."""
    status, out, _ = run("inbox", str(db), "purge", "--older-than", "30")
    assert (status, out.startswith("deleted 0 deliveries stored before ")) == (0, True)
    status, out, _ = run("inbox", str(db), "purge", "--older-than", "0")
    assert (status, out.startswith("deleted 5 deliveries")) == (0, True)
    assert run("inbox", str(db))[1] == "0 deliveries\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["replay", "--handler", "nocolon"], "MODULE:FUNCTION"),
        (["replay", "--handler", "no_such_module_here:f"], "cannot load"),
        (["replay", "--handler", "tests.cli.test_inbox:missing"], "cannot load"),
        (["replay", "--handler", "tests.cli.test_inbox:NOT_CALLABLE"], "not callable"),
        (["replay"], "--handler"),
        (["purge", "--older-than", "-1"], "0 or more"),
        (["purge", "--older-than", "nan"], "0 or more"),
        (["purge"], "--older-than"),
        (["work"], "--handler"),
        (["work", "--handler", "tests.cli.test_inbox:record", "--max-attempts", "0"], "--max-attempts"),
        (["work", "--handler", "tests.cli.test_inbox:record", "--poll", "0"], "--poll"),
        (["dismiss"], "NUMBER"),
    ],
)
def test_usage_errors_exit_2(db: Path, argv: list[str], message: str) -> None:
    """A bad handler name, a missing option or a negative retention is a usage error: exit 2."""
    status, out, err = run("inbox", str(db), *argv)
    assert (status, out) == (2, "")
    assert message in err


def test_a_missing_or_broken_database_exits_2(tmp_path: Path) -> None:
    """No file is not created but refused; a file that is not an inbox is refused too."""
    status, _, err = run("inbox", str(tmp_path / "none.sqlite3"))
    assert (status, "no inbox at") == (2, err[len("plenty-events: error: ") :][:11])
    assert not (tmp_path / "none.sqlite3").exists()
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database" * 100)
    status, _, err = run("inbox", str(junk))
    assert status == 2
    assert "cannot use" in err
    newer = tmp_path / "newer.sqlite3"
    SQLiteInbox(newer)
    with sqlite3.connect(newer) as connection:
        connection.execute("PRAGMA user_version = 9")
    connection.close()
    assert run("inbox", str(newer))[0] == 2


def test_a_postgresql_url_runs_the_action_on_the_inbox_it_names_and_closes_it(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A postgresql:// DB opens a PostgresInbox from the whole URL, runs the action on it, and closes it."""
    opened: list[str] = []
    closed: list[bool] = []

    class Stand(SQLiteInbox):
        # Stands in for the server's inbox, which the PostgreSQL tests run where one is given.
        def __init__(self, dsn: str) -> None:
            opened.append(dsn)
            super().__init__(db)

        def close(self) -> None:
            closed.append(True)
            super().close()

    monkeypatch.setattr(commands, "PostgresInbox", Stand)
    url = "postgresql://plenty@localhost/shop?connect_timeout=2"
    status, out, _ = run("inbox", url)
    assert (status, opened, closed) == (1, [url], [True])
    assert out == run("inbox", str(db))[1]


def test_replay_finds_a_handler_module_in_the_working_directory(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--handler names a module in the working directory, as servers such as uvicorn find apps."""
    (db.parent / "shop_handlers.py").write_text("handled = []\ndef handle(event):\n    handled.append(event.id)\n")
    monkeypatch.chdir(db.parent)
    monkeypatch.setattr(sys, "path", [entry for entry in sys.path if entry not in {"", str(db.parent)}])
    monkeypatch.delitem(sys.modules, "shop_handlers", raising=False)
    status, _, _ = run("inbox", str(db), "replay", "--handler", "shop_handlers:handle")
    assert status == 1
    assert sorted(sys.modules["shop_handlers"].handled) == ["evt_fails\nforged", "evt_lenient", "evt_received"]


def test_dismiss_takes_a_rejected_delivery_out_of_the_health_check_and_replay(db: Path) -> None:
    """Dismissed deliveries keep their body and no longer count; a number that is not rejected exits 1."""
    assert run("inbox", str(db), "dismiss", "3", "4") == (0, "#3 dismissed\n#4 dismissed\n", "")
    assert run("inbox", str(db), "dismiss", "4", "1") == (
        1,
        "#4 is not a rejected delivery: left as it is\n#1 is not a rejected delivery: left as it is\n",
        "",
    )
    status, out, _ = run("inbox", str(db))
    assert (status, out.splitlines()[0]) == (1, "5 deliveries: 1 received, 2 dismissed, 1 handled, 1 failed")
    status, out, _ = run("inbox", str(db), "replay", "--handler", "tests.cli.test_inbox:record")
    assert (status, out.splitlines()[-1]) == (0, "replayed 2 deliveries")
    assert run("inbox", str(db))[0] == 0
    assert {d.body for d in SQLiteInbox(db).deliveries([State.DISMISSED])} == {
        b"not json at all",
        body(id="evt_lenient", createdAt="1510656066"),
    }


@pytest.mark.parametrize(
    ("state", "status"),
    [
        (State.RECEIVED, 1),
        (State.REJECTED, 1),
        (State.DISMISSED, 0),
        (State.PENDING, 0),
        (State.HANDLING, 0),
        (State.HANDLED, 0),
        (State.FAILED, 1),
        (State.DEAD, 1),
    ],
)
def test_the_health_check_rule(tmp_path: Path, state: State, status: int) -> None:
    """The listing exits 1 for received, rejected, failed and dead deliveries, 0 for every other state."""
    path = tmp_path / "inbox.sqlite3"
    inbox = SQLiteInbox(path)
    number = inbox.record(b"{}")
    if state in {State.REJECTED, State.DISMISSED}:
        inbox.reject(number, "json_invalid")
        if state is State.DISMISSED:
            inbox.dismiss(number)
    elif state is State.PENDING:
        inbox.enqueue(number, "evt_1")
    elif state is not State.RECEIVED:
        claim = inbox.claim(number, "evt_1")
        if state is not State.HANDLING:
            inbox.finish(claim, None if state is State.HANDLED else "E", dead=state is State.DEAD)
    assert [d.state for d in inbox.deliveries()] == [state]
    assert run("inbox", str(path))[0] == status


def test_the_listing_shows_token_names_attempts_and_due_times(tmp_path: Path) -> None:
    """A failed event in background mode shows its token name, attempts, error and next due time."""
    path = tmp_path / "inbox.sqlite3"
    inbox = SQLiteInbox(path)
    inbox.enqueue(inbox.record(body(), "offer-a"), "evt_1")
    inbox.finish(inbox.take("evt_1"), "TimeoutError", retry_in=3600)
    line = run("inbox", str(path))[1].splitlines()[1]
    assert re.fullmatch(r"  #1 \S+Z failed 'evt_1' token 'offer-a' attempts 1 TimeoutError due \S+Z", line)


def test_work_handles_due_events_until_a_signal_stops_it(db: Path) -> None:
    """The worker handles what is due, prints each outcome, and stops cleanly on SIGTERM or SIGINT."""
    inbox = SQLiteInbox(db)
    Receiver(tokens=TOKEN, handler=print, inbox=inbox, background=True).receive(TOKEN, body(id="evt_queued"))
    status, out, _ = run("inbox", str(db), "work", "--handler", "tests.cli.test_inbox:record_then_stop")
    assert status == 0
    assert [event.id for event in CALLS["record_then_stop"]] == ["evt_queued"]
    assert re.fullmatch(r"#6 'evt_queued' handled\nstopped\n", out)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    status, out, _ = run("inbox", str(db), "work", "--handler", "tests.cli.test_inbox:fail_then_stop")
    assert status == 0
    assert re.fullmatch(r"#2 'evt_fails\\nforged' failed RuntimeError due \S+\nstopped\n", out)
    assert "John" not in out


def test_work_runs_as_a_process_and_exits_0_on_sigterm(tmp_path: Path) -> None:
    """`plenty-events inbox DB work` in a process of its own handles a queued event and exits 0 on SIGTERM."""
    path = tmp_path / "inbox.sqlite3"
    inbox = SQLiteInbox(path)
    Receiver(tokens=TOKEN, handler=print, inbox=inbox, background=True).receive(TOKEN, body(id="evt_queued"))
    (tmp_path / "shop_worker.py").write_text("def handle(event):\n    print('handling', event.id, flush=True)\n")
    argv = [sys.executable, "-m", "plenty_events", "inbox", str(path), "work", "--handler", "shop_worker:handle"]
    process = subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while [d.state for d in inbox.deliveries()] != [State.HANDLED] and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 0
    assert out.splitlines() == ["handling evt_queued", "#1 'evt_queued' handled", "stopped"]


def exit_zero(event: Any) -> None:
    """A replay handler that exits the process with status 0."""
    CALLS.setdefault("exit_zero", []).append(event)
    sys.exit(0)


def test_replay_exits_1_when_the_handler_calls_sys_exit_0(db: Path) -> None:
    """sys.exit(0) in the handler stops the replay, leaves the event failed, and the replay exits 1."""
    status, out, _ = run("inbox", str(db), "replay", "--handler", "tests.cli.test_inbox:exit_zero")
    assert status == 1
    assert out.splitlines()[-2:] == ["the handler stopped the replay: SystemExit", "replayed 0 deliveries"]
    assert len(CALLS["exit_zero"]) == 1
    assert State.FAILED in {d.state for d in SQLiteInbox(db).deliveries()}


def test_replay_exits_1_while_anything_is_left_waiting(tmp_path: Path) -> None:
    """Nothing waiting but a dismissed delivery: exit 0; a dead event that fails its replay again: exit 1."""
    path = tmp_path / "inbox.sqlite3"
    inbox = SQLiteInbox(path)
    inbox.record(b"junk")
    inbox.reject(1, "json_invalid")
    inbox.dismiss(1)
    assert run("inbox", str(path), "replay", "--handler", "tests.cli.test_inbox:record")[0] == 0
    inbox.enqueue(inbox.record(body(id="evt_dead")), "evt_dead")
    inbox.finish(inbox.take("evt_dead"), "E", dead=True)
    status, out, _ = run("inbox", str(path), "replay", "--handler", "tests.cli.test_inbox:refuse")
    assert status == 1
    assert "'evt_dead' failed again (500)" in out


def test_a_handling_event_past_its_lease_fails_the_health_check(tmp_path: Path) -> None:
    """Handling within its lease is work under way (0); past it, its worker died: exit 1, with the lease shown."""
    path = tmp_path / "inbox.sqlite3"
    inbox = SQLiteInbox(path, lease=0.05)
    inbox.claim(inbox.record(body()), "evt_1")
    SQLiteInbox(path, lease=3600).claim(inbox.record(body(id="evt_2")), "evt_2")
    time.sleep(0.1)
    status, out, _ = run("inbox", str(path))
    assert status == 1
    assert re.search(r"handling 'evt_1' attempts 1 lease until \S+Z$", out.splitlines()[1])
    inbox.finish(inbox.take("evt_1"), None)
    assert run("inbox", str(path))[0] == 0


def test_purge_exits_1_when_a_reader_keeps_the_wal(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader holding the WAL keeps the checkpoint from completing: purge says so and exits 1."""
    # The command waits for readers up to the inbox's timeout (30 s); a short one here.
    monkeypatch.setattr(commands, "SQLiteInbox", functools.partial(SQLiteInbox, timeout=0.2))
    reader = sqlite3.connect(db)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM deliveries").fetchone()
        SQLiteInbox(db).record(b"more")  # a write the reader's snapshot keeps in the WAL
        status, out, _ = run("inbox", str(db), "purge", "--older-than", "0")
    finally:
        reader.close()
    assert status == 1
    assert "pages of deleted bodies may remain on disk; run purge again" in out
    assert run("inbox", str(db), "purge", "--older-than", "0")[0] == 0


def test_the_listing_and_a_replay_hold_no_more_than_one_body(tmp_path: Path) -> None:
    """Listing 16 rejected 1 MB bodies reads none of them, and replaying them holds one at a time: a few MB at most."""
    path = tmp_path / "inbox.sqlite3"
    with SQLiteInbox(path) as inbox:
        for index in range(16):
            inbox.reject(inbox.record(b"%d" % index + b"x" * 1_000_000), "json_invalid")
    peaks = []
    for argv in [(str(path),), (str(path), "replay", "--handler", f"{__name__}:record")]:
        tracemalloc.start()
        try:
            status, out, _ = run("inbox", *argv)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert status == 1
        assert "16 deliveries" in out or "replayed 16 deliveries" in out
    assert max(peaks) < 4_000_000  # all bodies at once: 16 MB
