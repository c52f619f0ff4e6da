"""Several machines' worth of receivers and workers on one PostgreSQL database, under load, with a worker killed.

Bounded (2,000 deliveries, 127.0.0.1, every process stopped by the test). The
figures are logged at INFO on the ``load`` logger (``--log-cli-level=INFO``);
the assertions are about what was answered and handled, not how fast.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from plenty_events.receiver import PostgresInbox, State
from tests.conftest import postgres_url
from tests.receiver.test_load import body, describe, figures, post
from tests.receiving import TOKEN

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).resolve().parents[2]
EVENTS = 1_000  # each sent twice: 2,000 deliveries
CLIENTS = 16
LEASE = 2.0
#: The event whose first attempt hangs until its worker is killed.
VICTIM = "evt_300"

#: A receiver instance: the example's server, background mode, over the shared database.
_RECEIVER = """
import importlib.util, sys
from plenty_events.receiver import PostgresInbox, Receiver
example_path, url, token = sys.argv[1], sys.argv[2], sys.argv[3]
spec = importlib.util.spec_from_file_location("example", example_path)
example = importlib.util.module_from_spec(spec)
spec.loader.exec_module(example)
receiver = Receiver(tokens=token, handler=print, inbox=PostgresInbox(url), background=True)
server = example.make_server("127.0.0.1", 0, receiver)
print(server.server_port, flush=True)
server.serve_forever()
"""

#: A worker instance. Its handler appends the event id to handled.log; the
#: first attempt at VICTIM writes the worker's pid to "hanging" and hangs.
_WORKER = """
import os, signal, sys, time
from pathlib import Path
from plenty_events.receiver import PostgresInbox, Worker
url, here, victim, lease = sys.argv[1], Path(sys.argv[2]), sys.argv[3], float(sys.argv[4])
def handle(event):
    if event.id == victim:
        try:
            os.close(os.open(here / "first", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            pass
        else:
            (here / "hanging.tmp").write_text(str(os.getpid()))
            os.rename(here / "hanging.tmp", here / "hanging")
            time.sleep(600)
    with (here / "handled.log").open("a") as log:
        log.write(event.id + "\\n")
worker = Worker(PostgresInbox(url, lease=lease), handle, poll=0.05)
signal.signal(signal.SIGTERM, lambda *_: worker.stop())
worker.run()
"""


def start(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE, text=True)


def wait_until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds} s"
        time.sleep(0.05)


def test_two_receivers_and_two_workers_on_one_database_handle_each_event_once(tmp_path: Path) -> None:
    """2,000 deliveries (each event twice, to both receivers), a worker SIGKILLed mid-handling: each handled once."""
    url = postgres_url(tmp_path)
    inbox = PostgresInbox(url)  # creates the schema before the instances race to
    receivers = [start(_RECEIVER, str(ROOT / "examples" / "receiver.py"), url, TOKEN) for _ in range(2)]
    workers = [start(_WORKER, url, str(tmp_path), VICTIM, str(LEASE)) for _ in range(2)]
    processes = receivers + workers
    try:
        ports = []
        for receiver in receivers:
            assert receiver.stdout is not None
            ports.append(int(receiver.stdout.readline()))

        def client(first: int) -> list[tuple[int, float]]:
            # Each event to one instance, then again to the other.
            return [
                post(ports[(n + again) % 2], body(f"evt_{n}"))
                for n in range(first, EVENTS, CLIENTS)
                for again in (0, 1)
            ]

        killed: list[int] = []

        def kill_the_victims_worker() -> None:
            hanging = tmp_path / "hanging"
            wait_until(hanging.exists, 60, "the victim's handling")
            pid = int(hanging.read_text())
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

        killer = threading.Thread(target=kill_the_victims_worker)
        killer.start()
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            results = [result for share in pool.map(client, range(CLIENTS)) for result in share]
        wall = time.perf_counter() - started
        killer.join(60)
        assert len(killed) == 1
        wait_until(
            lambda: len(inbox.deliveries({State.HANDLED}, bodies=False)) == 2 * EVENTS, 60, "handling every event"
        )
        drained = time.perf_counter() - started
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM if process in workers else signal.SIGKILL)
        codes = [process.wait(30) for process in processes]
        for process in processes:
            assert process.stdout is not None
            process.stdout.close()
    statuses = Counter(status for status, _ in results)
    assert len(results) == 2 * EVENTS
    assert set(statuses) <= {200, 202}  # every delivery acknowledged: none lost
    handled = Counter((tmp_path / "handled.log").read_text().split())
    assert handled == Counter({f"evt_{n}": 1 for n in range(EVENTS)})  # each exactly once
    assert [a.attempt for a in inbox.attempts(VICTIM)] == [1, 2]  # the killed attempt, and the takeover
    survivor = next(worker for worker in workers if worker.pid not in killed)
    assert codes[processes.index(survivor)] == 0  # stopped cleanly by SIGTERM
    inbox.close()
    figures.info(
        "2 receivers + 2 workers on PostgreSQL, %d deliveries (%d events x 2) from %d clients: %s; answers %s; "
        "all handled once %.1f s after the first send, one worker SIGKILLed mid-handling (lease %.0f s)",
        2 * EVENTS,
        EVENTS,
        CLIENTS,
        describe("background", sorted(seconds for _, seconds in results), wall),
        dict(statuses),
        drained,
        LEASE,
    )
