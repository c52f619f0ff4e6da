"""Load and crash tests of the example receiver on 127.0.0.1: bounded in count and time, stopping by themselves.

The figures (answer times) are logged at INFO on the ``load`` logger; see
them with ``--log-cli-level=INFO``. The assertions are about what was
answered and handled, not about how fast.
"""

from __future__ import annotations

import http.client
import importlib.util
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from plenty_events.receiver import Receiver, SQLiteInbox, State
from plenty_events.testing import sample_payload, to_json
from tests.receiving import PATH, TOKEN

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 20
figures = logging.getLogger("load")


def body(event_id: str) -> bytes:
    payload = sample_payload()
    payload["id"] = event_id
    return to_json(payload)


def post(port: int, data: bytes) -> tuple[int, float]:
    """POST one delivery; return its status and how long the answer took."""
    start = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        connection.request("POST", PATH, body=data, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        return response.status, time.perf_counter() - start
    finally:
        connection.close()


def at_once(count: int, call: Any) -> list[Any]:
    """Run ``call(n)`` for n in range(count), all threads released together."""
    barrier = threading.Barrier(count)

    def run(n: int) -> Any:
        barrier.wait(TIMEOUT)
        return call(n)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


@pytest.fixture(scope="module")
def example() -> ModuleType:
    """The example, imported from its file."""
    spec = importlib.util.spec_from_file_location("plenty_receiver_example_load", ROOT / "examples" / "receiver.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Handled:
    """A thread-safe handler that counts events by id, optionally slow."""

    def __init__(self, delay: float = 0.0) -> None:
        """Count nothing yet; sleep ``delay`` seconds in each call."""
        self.delay = delay
        self.ids: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, event: Any) -> None:
        time.sleep(self.delay)
        with self.lock:
            self.ids.append(event.id)


@pytest.fixture
def serve(example: ModuleType, tmp_path: Path) -> Iterator[Any]:
    """Start the example's server over an SQLite inbox with a given handler; stop it afterwards."""
    servers: list[Any] = []

    def start(handler: Any) -> tuple[int, SQLiteInbox]:
        inbox = SQLiteInbox(tmp_path / "inbox.sqlite3")
        server = example.make_server("127.0.0.1", 0, Receiver(tokens=TOKEN, handler=handler, inbox=inbox))
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        servers.append((server, thread))
        return server.server_port, inbox

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(TIMEOUT)


def test_200_concurrent_deliveries_are_all_answered_and_handled(serve: Any) -> None:
    """200 deliveries sent at once are each answered 202 and handled once."""
    handled = Handled()
    port, inbox = serve(handled)
    start = time.perf_counter()
    results = at_once(200, lambda n: post(port, body(f"evt_{n}")))
    wall = time.perf_counter() - start
    assert [status for status, _ in results] == [202] * 200
    assert sorted(handled.ids) == sorted(f"evt_{n}" for n in range(200))
    assert len(inbox.deliveries({State.HANDLED})) == 200
    times = sorted(seconds for _, seconds in results)
    figures.info(
        "200 concurrent deliveries: all 202 in %.2f s; answer time median %.0f ms, p95 %.0f ms, max %.0f ms",
        wall,
        times[100] * 1000,
        times[190] * 1000,
        times[-1] * 1000,
    )


def test_a_stalled_client_does_not_delay_the_others(serve: Any) -> None:
    """With one client stalled mid-body, 50 deliveries are all answered before the server drops it."""
    port, _ = serve(Handled())
    baseline = [post(port, body(f"evt_base_{n}"))[1] for n in range(20)]
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as stalled:
        stalled.sendall(f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{{".encode())
        results = at_once(50, lambda n: post(port, body(f"evt_{n}")))
        stalled.settimeout(0)
        with pytest.raises(BlockingIOError):  # still open: the others did not wait for its timeout
            stalled.recv(1)
    assert [status for status, _ in results] == [202] * 50
    figures.info(
        "with a stalled client: 50 concurrent deliveries, max answer %.0f ms (20 sequential before it: max %.0f ms)",
        max(seconds for _, seconds in results) * 1000,
        max(baseline) * 1000,
    )


def test_20_concurrent_deliveries_of_one_event_are_handled_once(serve: Any) -> None:
    """20 threads delivering one id at once: handled exactly once; the others are 200 or a retryable 503."""
    handled = Handled(delay=0.2)
    port, inbox = serve(handled)
    results = at_once(20, lambda _: post(port, body("evt_same")))
    statuses = sorted(status for status, _ in results)
    assert handled.ids == ["evt_same"]
    assert statuses.count(202) == 1
    assert set(statuses) <= {200, 202, 503}
    assert {d.state for d in inbox.deliveries()} == {State.HANDLED}
    figures.info(
        "20 concurrent deliveries of one id (threads): handled 1 time; answers %s",
        {status: statuses.count(status) for status in set(statuses)},
    )


#: A process that delivers one body twice at once, from two threads, to a receiver over the shared SQLite file.
_DELIVER = """
import sys, threading, time
from plenty_events.receiver import Receiver, SQLiteInbox
db, log, start, body = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4].encode()
def handler(event):
    time.sleep(0.2)
    with open(log, "a") as file:
        file.write(event.id + "\\n")
receiver = Receiver(tokens="s3cret-Token_0123456789abcdef", handler=handler, inbox=SQLiteInbox(db))
time.sleep(max(0.0, start - time.time()))
def deliver():
    print(receiver.receive("s3cret-Token_0123456789abcdef", body).status, flush=True)
threads = [threading.Thread(target=deliver) for _ in range(2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
"""


def test_20_deliveries_of_one_event_from_10_processes_handle_it_once(tmp_path: Path) -> None:
    """10 processes of 2 threads, one SQLite file, one event at the same moment: handled exactly once."""
    db, log = tmp_path / "inbox.sqlite3", tmp_path / "handled.log"
    SQLiteInbox(db)
    start = time.time() + 3  # every process is up by then, on two busy cores
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _DELIVER, str(db), str(log), str(start), body("evt_same").decode()],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(10)
    ]
    statuses = sorted(int(line) for process in processes for line in process.communicate(timeout=60)[0].split())
    assert len(statuses) == 20
    assert log.read_text().splitlines() == ["evt_same"]
    assert statuses.count(202) == 1
    assert set(statuses) <= {200, 202, 503}
    figures.info(
        "20 concurrent deliveries of one id (10 processes x 2 threads): handled 1 time; answers %s",
        {status: statuses.count(status) for status in set(statuses)},
    )


#: A worker process: the example's server over the SQLite inbox, with a one-second lease.
#: Its handler writes the event id to a file, and first hangs when asked to.
_WORKER = """
import importlib.util, sys, time
from pathlib import Path
from plenty_events.receiver import Receiver, SQLiteInbox
example_path, db, log, hang = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4] == "hang"
spec = importlib.util.spec_from_file_location("example", example_path)
example = importlib.util.module_from_spec(spec)
spec.loader.exec_module(example)
def handler(event):
    if hang:
        (log.parent / "started").write_text(event.id)
        time.sleep(60)
    with log.open("a") as file:
        file.write(event.id + "\\n")
receiver = Receiver(tokens="s3cret-Token_0123456789abcdef", handler=handler, inbox=SQLiteInbox(db, lease=1))
server = example.make_server("127.0.0.1", 0, receiver)
print(server.server_port, flush=True)
server.serve_forever()
"""


class Worker:
    """A worker process serving the example; killed by the test."""

    def __init__(self, tmp_path: Path, *, hang: bool) -> None:
        """Start the worker and read the port it listens on."""
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _WORKER,
                str(ROOT / "examples" / "receiver.py"),
                str(tmp_path / "inbox.sqlite3"),
                str(tmp_path / "handled.log"),
                "hang" if hang else "run",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        self.port = int(self.process.stdout.readline())

    def kill(self) -> None:
        """SIGKILL the worker: no handler, finally or atexit runs."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(TIMEOUT)
        assert self.process.stdout is not None
        self.process.stdout.close()


def wait_for(path: Path) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.02)


def _deliver_expecting_no_answer(port: int, data: bytes) -> None:
    with pytest.raises(ConnectionError):  # the worker dies before it answers
        post(port, data)


def kill_while_handling(tmp_path: Path, event_id: str) -> float:
    """Deliver to a worker that hangs in the handler, SIGKILL it there; return when it died."""
    worker = Worker(tmp_path, hang=True)
    try:
        sender = threading.Thread(target=_deliver_expecting_no_answer, args=(worker.port, body(event_id)))
        sender.start()
        wait_for(tmp_path / "started")
    finally:
        worker.kill()
    sender.join(TIMEOUT)
    (tmp_path / "started").unlink()
    return time.monotonic()


def test_a_worker_killed_while_handling_loses_nothing_a_redelivery_handles_it(tmp_path: Path) -> None:
    """SIGKILL mid-handling: the event stays 'handling'; after the lease, the redelivery to a new worker handles it."""
    killed = kill_while_handling(tmp_path, "evt_killed")
    inbox = SQLiteInbox(tmp_path / "inbox.sqlite3")
    assert [(d.state, d.event_id) for d in inbox.deliveries()] == [(State.HANDLING, "evt_killed")]
    restarted = Worker(tmp_path, hang=False)
    try:
        statuses = []
        while (status := post(restarted.port, body("evt_killed"))[0]) == 503:  # within the lease: retry later
            statuses.append(status)
            time.sleep(0.2)
        recovered = time.monotonic() - killed
    finally:
        restarted.kill()
    assert status == 202
    assert (tmp_path / "handled.log").read_text().splitlines() == ["evt_killed"]
    assert {d.state for d in inbox.deliveries()} == {State.HANDLED}
    figures.info(
        "SIGKILL mid-handling, lease 1 s: %d redeliveries answered 503, then 202 %.2f s after the kill",
        len(statuses),
        recovered,
    )


def test_a_worker_killed_while_handling_loses_nothing_replay_handles_it(tmp_path: Path) -> None:
    """SIGKILL mid-handling, no redelivery: after the lease, plenty-events inbox replay handles the event."""
    kill_while_handling(tmp_path, "evt_killed")
    handlers = tmp_path / "shop_handlers.py"
    handlers.write_text(
        f"def handle(event):\n    with open({str(tmp_path / 'handled.log')!r}, 'a') as f:\n"
        "        f.write(event.id + '\\n')\n"
    )
    db = str(tmp_path / "inbox.sqlite3")
    command = [sys.executable, "-m", "plenty_events", "inbox", db, "replay", "--handler", "shop_handlers:handle"]
    early = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False, timeout=60)
    time.sleep(1.1)  # the lease of the killed worker's claim ends
    late = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False, timeout=60)
    # Within the lease the replay leaves the event alone, unless the machine was slow enough to end it.
    assert early.stdout.splitlines()[0] in {
        "#1 was handling: 'evt_killed' is being handled elsewhere (503)",
        "#1 was handling: handled 'evt_killed'",
    }
    assert late.returncode == 0
    assert (tmp_path / "handled.log").read_text().splitlines() == ["evt_killed"]
    assert [d.state for d in SQLiteInbox(db).deliveries()] == [State.HANDLED]
    figures.info("SIGKILL mid-handling, then replay after the lease: %s", late.stdout.splitlines()[0])


_FLAKY_HANDLER = """
import os
from pathlib import Path

HERE = Path(__file__).parent


def handle(event):
    # A third of the events fail their first attempt: the first process to
    # try one creates its marker, atomically, and fails.
    if int(event.id.rsplit("_", 1)[1]) % 3 == 0:
        try:
            os.close(os.open(HERE / "failed" / event.id, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            pass
        else:
            raise ConnectionError("the partner's API is down")
    with (HERE / "handled.log").open("a") as log:
        log.write(event.id + "\\n")
"""

LOAD_DELIVERIES = 2_000
LOAD_CLIENTS = 16


def send_all(port: int, count: int, clients: int) -> tuple[list[int], list[float], float]:
    """POST `count` distinct events from `clients` threads, each sending its share in turn."""

    def client(first: int) -> list[tuple[int, float]]:
        return [post(port, body(f"evt_{n}")) for n in range(first, count, clients)]

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = [result for share in pool.map(client, range(clients)) for result in share]
    wall = time.perf_counter() - start
    return [status for status, _ in results], sorted(seconds for _, seconds in results), wall


def describe(mode: str, times: list[float], wall: float) -> str:
    p50, p99 = times[len(times) // 2], times[len(times) * 99 // 100]
    return f"{mode}: {len(times) / wall:.0f} answers/s, p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms"


def test_2000_deliveries_in_background_mode_with_two_worker_processes(example: ModuleType, tmp_path: Path) -> None:
    """16 clients, 2,000 events, two `inbox work` processes, a third failing once: all 2xx, handled once, none dead.

    The same deliveries are then sent to an inline receiver, for the figures.
    """
    (tmp_path / "failed").mkdir()
    (tmp_path / "load_handler.py").write_text(_FLAKY_HANDLER)
    path = tmp_path / "inbox.sqlite3"
    inbox = SQLiteInbox(path)
    receiver = Receiver(tokens=TOKEN, handler=print, inbox=inbox, background=True)
    server = example.make_server("127.0.0.1", 0, receiver)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    argv = [sys.executable, "-m", "plenty_events", "inbox", str(path), "work", "--handler", "load_handler:handle"]
    workers = [subprocess.Popen([*argv, "--poll", "0.05"], cwd=tmp_path, stdout=subprocess.DEVNULL) for _ in range(2)]
    try:
        statuses, times, wall = send_all(server.server_port, LOAD_DELIVERIES, LOAD_CLIENTS)
        deadline = time.monotonic() + 60
        while len(inbox.deliveries({State.HANDLED})) < LOAD_DELIVERIES and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        codes = [worker.wait(TIMEOUT) for worker in workers]
        server.shutdown()
        server.server_close()
        thread.join(TIMEOUT)
    assert statuses == [202] * LOAD_DELIVERIES
    assert codes == [0, 0]
    handled = (tmp_path / "handled.log").read_text().split()
    assert sorted(handled) == sorted(f"evt_{n}" for n in range(LOAD_DELIVERIES))  # each exactly once
    assert len(list((tmp_path / "failed").iterdir())) == len(range(0, LOAD_DELIVERIES, 3))
    assert [d.state for d in inbox.deliveries()] == [State.HANDLED] * LOAD_DELIVERIES  # none dead
    background = describe("background", times, wall)

    inline_inbox = SQLiteInbox(tmp_path / "inline.sqlite3")
    counted = Handled()
    server = example.make_server("127.0.0.1", 0, Receiver(tokens=TOKEN, handler=counted, inbox=inline_inbox))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        statuses, times, wall = send_all(server.server_port, LOAD_DELIVERIES, LOAD_CLIENTS)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(TIMEOUT)
    assert statuses == [202] * LOAD_DELIVERIES
    assert len(counted.ids) == LOAD_DELIVERIES
    figures.info("%s; %s", background, describe("inline", times, wall))
