"""The example receiver, end to end over real HTTP on 127.0.0.1, and the findings about its predecessor."""

from __future__ import annotations

import contextlib
import http.client
import importlib.util
import json
import logging
import select
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import plenty_events
from plenty_events.receiver import MemoryInbox, Receiver, SQLiteInbox, State
from plenty_events.testing import sample_payload, to_json
from tests.helpers import PERSONAL
from tests.receiving import PATH, TOKEN

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import ModuleType

RECEIVER = Path(__file__).resolve().parents[2] / "examples" / "receiver.py"
TIMEOUT = 10


@pytest.fixture(scope="module")
def example() -> ModuleType:
    """The example, imported from its file."""
    spec = importlib.util.spec_from_file_location("plenty_receiver_example", RECEIVER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class Running:
    """The example's server around a receiver, serving in a thread on a free port."""

    def __init__(self, example: ModuleType, *, timeout: float = 10, inbox: Any = None, **bounds: float) -> None:
        """Build the receiver around a handler the test can steer, and start serving."""
        self.handled: list[Any] = []
        self.behaviour: Callable[[Any], None] | None = None
        self.inbox = MemoryInbox() if inbox is None else inbox
        self.receiver = Receiver(tokens=TOKEN, handler=self.handle, inbox=self.inbox)
        self.server = example.make_server("127.0.0.1", 0, self.receiver, timeout=timeout, **bounds)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05})
        self.thread.start()

    def handle(self, event: Any) -> None:
        """Run the test's behaviour, if any, then record the event."""
        if self.behaviour is not None:
            self.behaviour(event)
        self.handled.append(event)

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(TIMEOUT)

    def request(self, method: str, path: str = PATH, body: bytes | None = None, headers: Any = None) -> Any:
        """Send one request; return status, headers and the JSON body (or None)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            raw = response.read()
            headers = dict(response.getheaders())
            is_json = headers.get("Content-Type") == "application/json"
            return response.status, headers, json.loads(raw) if is_json and raw else None
        finally:
            connection.close()

    def post(self, body: bytes, path: str = PATH) -> Any:
        """POST ``body`` as JSON to ``path``."""
        return self.request("POST", path, body, {"Content-Type": "application/json"})

    def raw(self, data: bytes) -> bytes:
        """Send raw bytes, half-close, and return everything the server sends until it closes."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT) as sock:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
            return b"".join(chunks)


@pytest.fixture
def server(example: ModuleType, caplog: pytest.LogCaptureFixture) -> Iterator[Running]:
    """The example serving a receiver with an in-memory inbox."""
    caplog.set_level(logging.INFO)
    running = Running(example)
    try:
        yield running
    finally:
        running.stop()


def body(**changes: Any) -> bytes:
    """The example payload as JSON bytes, with top-level keys changed."""
    payload = sample_payload()
    payload.update(changes)
    return to_json(payload)


def test_a_good_delivery_is_accepted_and_handled(server: Running) -> None:
    """A valid delivery is answered 202 and handed to the handler once, decoded."""
    status, headers, answer = server.post(body())
    assert (status, headers["Content-Type"]) == (202, "application/json")
    assert answer == {"status": "accepted", "id": "evt_553ea8a294e2d3a75d5086a06fb53f5a"}
    assert server.handled == [plenty_events.decode(body(), strict=True)]
    assert server.post(body())[:3:2] == (200, {"status": "already handled", "id": answer["id"]})
    assert len(server.handled) == 1


@pytest.mark.parametrize("path", ["/webhooks/wrong-token-0123456789", f"{PATH}/", "/webhooks/", "/", f"/x/{TOKEN}"])
def test_a_bad_token_or_path_is_404(server: Running, path: str) -> None:
    """A wrong token and an unknown path get the same 404, and nothing is handled."""
    assert server.post(body(), path=path)[::2] == (404, {"error": "not found"})
    assert server.handled == []


def test_an_invalid_body_is_400_or_422_and_kept(server: Running) -> None:
    """Not JSON is 400, a broken payload 422, each with the error list; both bodies are in the inbox."""
    assert server.post(b"not json")[0] == 400
    status, _, answer = server.post(body(createdAt=None))
    assert (status, answer["errors"][0]["path"]) == (422, "$.createdAt")
    assert [d.state for d in server.inbox.deliveries()] == [State.REJECTED, State.REJECTED]


def test_a_body_over_the_limit_is_413_without_reading_it(server: Running) -> None:
    """A Content-Length over 1 MiB is refused with 413 before the body is sent."""
    answer = server.raw(f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.0 413 ")


def test_a_post_without_content_length_is_411(server: Running) -> None:
    """A POST without Content-Length is 411: the receiver never reads a stream of unknown length."""
    assert server.raw(f"POST {PATH} HTTP/1.1\r\nHost: x\r\n\r\n{{}}".encode()).startswith(b"HTTP/1.0 411 ")


# The findings about the example before plenty_events.receiver: each test fails on it.


def test_a_redelivery_while_the_first_attempt_runs_is_not_acknowledged(server: Running) -> None:
    """The first attempt fails after a redelivery arrived: the redelivery got 503, and a later one is handled.

    The old example claimed the id before handling: the redelivery got
    ``200 duplicate``, the first attempt then failed, and the event was lost.
    """
    answers: list[Any] = []

    def first_attempt(_event: Any) -> None:
        server.behaviour = None
        answers.append(server.post(body()))  # the redelivery, while this attempt still runs
        raise RuntimeError("the queue is down")

    server.behaviour = first_attempt
    assert server.post(body())[0] == 500
    ((status, headers, _),) = answers
    assert status == 503
    assert int(headers["Retry-After"]) > 0
    assert server.handled == []
    assert server.post(body())[0] == 202
    assert len(server.handled) == 1


def test_a_handler_dying_with_system_exit_does_not_keep_the_id(server: Running) -> None:
    """A handler ended by SystemExit (a worker timeout) leaves the event failed: the redelivery handles it.

    The old example never released the id: every redelivery was acknowledged and dropped.
    """

    def die(_event: Any) -> None:
        server.behaviour = None
        raise SystemExit(1)

    server.behaviour = die
    try:
        status = server.post(body())[0]
    except (http.client.RemoteDisconnected, ConnectionError):
        status = None
    assert status in {500, None}  # wsgiref answers 500 to any exception; a server may close instead
    assert server.post(body())[0] == 202
    assert len(server.handled) == 1


def test_a_slow_handler_does_not_stall_other_deliveries(server: Running) -> None:
    """While one handler call blocks, another delivery is answered.

    The old example's server was single-threaded: the second delivery waited for the first.
    """
    release = threading.Event()
    answered = threading.Event()

    def block(event: Any) -> None:
        if event.id == "evt_slow":
            assert answered.wait(TIMEOUT)  # only the other delivery, answered meanwhile, releases it
            release.set()

    server.behaviour = block
    slow = threading.Thread(target=server.post, args=(body(id="evt_slow"),))
    slow.start()
    try:
        assert server.post(body(id="evt_quick"))[0] == 202
        answered.set()
    finally:
        slow.join(TIMEOUT)
    assert release.is_set()
    assert {event.id for event in server.handled} == {"evt_slow", "evt_quick"}


@pytest.mark.parametrize(
    "stall",
    [b"", b"POST /webh", f"POST {PATH} HTTP/1.1\r\nContent-Length: 100\r\n\r\n{{}}".encode()],
    ids=["idle", "partial-request-line", "short-content-length"],
)
def test_a_stalled_connection_neither_blocks_others_nor_stays_open(example: ModuleType, stall: bytes) -> None:
    """An idle connection, a partial request line or a short body do not delay a delivery, and time out.

    The old example had no socket timeout and one thread: any of them blocked every other delivery.
    """
    running = Running(example, timeout=0.5)
    try:
        with socket.create_connection(("127.0.0.1", running.port), timeout=TIMEOUT) as stalled:
            stalled.sendall(stall)
            assert running.post(body())[0] == 202
            answer = b""
            while chunk := stalled.recv(65536):  # the server answers or closes it by itself
                answer += chunk
        assert answer == b"" or answer.startswith(b"HTTP/1.0 400 ")
    finally:
        running.stop()


def test_the_listen_backlog_holds_a_burst(example: ModuleType, server: Running) -> None:
    """The server listens with a backlog of 256, not socketserver's 5 (see the load test for 200 at once)."""
    assert server.server.request_queue_size >= 200
    assert isinstance(server.server, example.Server)


@pytest.mark.parametrize("length", ["²", "١٢", "+2", "0x2"])
def test_a_content_length_that_is_no_number_is_400(server: Running, length: str) -> None:
    """A Content-Length of '²' (which str.isdigit accepts) is 400 with a JSON body, not a 500 and a traceback."""
    data = f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n{{}}".encode()
    answer = server.raw(data)
    assert answer.startswith(b"HTTP/1.0 400 ")
    assert answer.endswith(b'{"error":"the Content-Length is not a number of bytes"}')


def test_an_id_with_a_newline_does_not_forge_a_log_line(server: Running, caplog: pytest.LogCaptureFixture) -> None:
    """An event id holding a newline is logged escaped, on one line; no log line holds a personal value."""
    forged = "evt_1\n2024-05-01 12:00:00 INFO receiver handled evt_forged"
    assert server.post(body(id=forged))[0] == 202
    assert server.post(body(id=forged))[0] == 200
    assert server.post(b'{"id": "x\\ny"}')[0] == 422
    server.raw(f"GET /webhooks/{TOKEN}\x1b[31m HTTP/1.1\r\n\r\n".encode())
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) >= 6
    for line in lines:
        assert "\n" not in line
        assert "\x1b" not in line
        assert TOKEN not in line
        for value in PERSONAL:
            assert value not in line


def test_head_is_405_without_a_body(server: Running) -> None:
    """HEAD on the webhook URL is 405 with Allow: POST and nothing after the headers.

    The old example sent a JSON body after the headers of its HEAD answer.
    """
    answer = server.raw(f"HEAD {PATH} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    head, _, rest = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 405 ")
    assert b"\r\nAllow: POST" in head
    assert rest == b""


def test_a_request_the_server_cannot_parse_gets_a_json_error(server: Running) -> None:
    """A request the server itself refuses (here a 70 KB header line) gets a JSON error, not HTML."""
    answer = server.raw(b"POST /x HTTP/1.1\r\nX: " + b"a" * 70_000 + b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.0 431 ")
    assert b"Content-Type: application/json" in answer
    assert answer.endswith(b'{"error": "the request could not be read", "status": 431}')


def test_the_access_log_masks_the_token_and_escapes_the_line(example: ModuleType, caplog) -> None:
    """The access log shows the webhook path with the token masked and control characters escaped."""
    handler = example.RequestHandler.__new__(example.RequestHandler)
    handler.client_address = ("127.0.0.1", 1)
    with caplog.at_level(logging.INFO, logger="receiver"):
        handler.log_message('"%s" %s %s', f"POST {PATH} HTTP/1.1", "202", "-")
        handler.log_message('"%s" %s %s', f"POST {PATH}", "400", "-")
        handler.log_message("code %d, message %s", 400, "bad\nline")
    lines = [record.getMessage() for record in caplog.records]
    assert lines == [
        '127.0.0.1 "POST /webhooks/*** HTTP/1.1" 202 -',
        '127.0.0.1 "POST /webhooks/***" 400 -',
        "127.0.0.1 code 400, message bad\\nline",
    ]


def test_main_serves_with_an_sqlite_inbox_and_needs_a_token(example: ModuleType, monkeypatch, tmp_path) -> None:
    """main() reads the tokens from PLENTY_WEBHOOK_TOKENS, refuses to start without, and serves the inbox."""
    monkeypatch.delenv("PLENTY_WEBHOOK_TOKENS", raising=False)
    with pytest.raises(SystemExit):
        example.main(["--port", "0"])
    monkeypatch.setenv("PLENTY_WEBHOOK_TOKENS", f"{TOKEN},other-token-0123456789")
    served: list[Any] = []

    def serve_forever(self: Any) -> None:
        served.append(self)
        raise KeyboardInterrupt

    monkeypatch.setattr(example.Server, "serve_forever", serve_forever)
    example.main(["--port", "0", "--inbox", str(tmp_path / "inbox.sqlite3")])
    (server,) = served
    assert server.server_address[0] == "127.0.0.1"
    assert (tmp_path / "inbox.sqlite3").exists()


def test_the_handler_logs_events_redacted(example: ModuleType, caplog: pytest.LogCaptureFixture) -> None:
    """The stand-in handler logs a purchase redacted, and an unknown event as it is."""
    with caplog.at_level(logging.INFO, logger="receiver"):
        example.handle(plenty_events.decode(body()))
        example.handle(plenty_events.decode(body(type="SERVICE.PLUGIN.REFUND")))
    first, second = (record.getMessage() for record in caplog.records)
    assert "'***'" in first
    assert "UnknownEvent" in second
    for value in PERSONAL:
        assert value not in first


def test_a_worker_handling_with_the_sqlite_inbox_survives_a_restart(example: ModuleType, tmp_path: Path) -> None:
    """A server over an SQLite inbox, stopped and started again, still knows what it handled."""
    path = tmp_path / "inbox.sqlite3"
    first = Running(example, inbox=SQLiteInbox(path))
    try:
        assert first.post(body())[0] == 202
    finally:
        first.stop()
    second = Running(example, inbox=SQLiteInbox(path))
    try:
        assert second.post(body())[0] == 200
        assert second.handled == []
    finally:
        second.stop()


# Slow clients, one Content-Length, and closing: the example made fit to face the internet.


def trickle(port: int, head: bytes, *, every: float = 0.5, limit: float = TIMEOUT) -> tuple[bytes, float]:
    """Send ``head``, then a byte every ``every`` seconds until the server answers or closes; what it sent, when."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(head)
        while time.monotonic() - started < limit:
            readable, _, _ = select.select([sock], [], [], every)
            if readable:
                break
            try:
                sock.sendall(b" ")
            except OSError:  # closed by the server
                break
        answer = b""
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                answer += chunk
    return answer, time.monotonic() - started


@pytest.mark.parametrize(
    ("head", "answered"),
    [
        (f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n".encode(), b"HTTP/1.0 400 "),
        (f"POST {PATH} HTTP/1.1\r\nHost: x\r\nX-Slow: ".encode(), b""),
    ],
    ids=["body", "headers"],
)
def test_a_trickling_client_is_cut_off_after_the_request_bound(example: ModuleType, head: bytes, answered) -> None:
    """A client sending a byte every 0.5 s, never silent long enough for the socket timeout, is cut off after 2 s."""
    running = Running(example, timeout=5, request_timeout=2)
    try:
        answer, took = trickle(running.port, head)
    finally:
        running.stop()
    assert answer.startswith(answered)
    assert 2 <= took < 2 + 3  # the old example read it for ever (the test's limit: 10 s)


def test_slow_clients_cannot_lock_out_a_delivery(tmp_path: Path) -> None:
    """80 clients trickling for ever at a descriptor limit of 64 cannot keep a real delivery from its 202.

    The server holds at most 32 connections; the others wait in the backlog, and each is cut off after
    the request bound (1 s here), also when it comes back at once. The old example took them all, ran
    out of descriptors, and the delivery timed out.
    """
    script = tmp_path / "serve.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import importlib.util, resource, sys
            resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
            spec = importlib.util.spec_from_file_location("example", {str(RECEIVER)!r})
            example = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(example)
            from plenty_events.receiver import Receiver
            receiver = Receiver(tokens={TOKEN!r}, handler=lambda event: None)
            server = example.make_server("127.0.0.1", 0, receiver, request_timeout=1, max_connections=32)
            print(server.server_port, flush=True)
            server.serve_forever()
            """
        )
    )
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    stop = threading.Event()
    head = f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n".encode()

    def slow_client(port: int) -> None:
        while not stop.is_set():  # back at once after each cut
            with contextlib.suppress(OSError):
                trickle(port, head, limit=3)

    clients: list[threading.Thread] = []
    assert process.stdout is not None
    try:
        port = int(process.stdout.readline())
        clients += [threading.Thread(target=slow_client, args=(port,)) for _ in range(80)]
        for client in clients:
            client.start()
        time.sleep(1)  # every slot is taken, and the backlog holds the rest
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("POST", PATH, body=body(), headers={"Content-Type": "application/json"})
        status = connection.getresponse().status
        took = time.monotonic() - started
        connection.close()
        assert status == 202
        assert took < 15
    finally:
        stop.set()
        process.terminate()
        process.wait(TIMEOUT)
        process.stdout.close()
        for client in clients:
            client.join(TIMEOUT)


def test_the_bounds_default_to_what_the_docs_say(example: ModuleType) -> None:
    """32 connections at once, 10 s of silence, 10 s for the whole request, a backlog of 256."""
    with example.make_server("127.0.0.1", 0, Receiver(tokens=TOKEN, handler=print)) as server:
        handler = server.RequestHandlerClass
        assert (server.max_connections, handler.timeout, handler.request_timeout) == (32, 10, 10)
        assert server.request_queue_size == 256


def test_two_different_content_lengths_are_400(server: Running) -> None:
    """Two Content-Length fields that disagree are refused with 400 and a closed connection, not guessed between."""
    answer = server.raw(
        f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 20\r\n\r\n{{}}".encode()
    )
    assert answer.startswith(b"HTTP/1.0 400 ")
    assert b"\r\nConnection: close\r\n" in answer
    assert server.handled == []
    assert server.inbox.deliveries() == []


@pytest.mark.parametrize(
    ("request_head", "status"),
    [
        (f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: {{length}}\r\n\r\n", b"202"),
        (f"POST {PATH} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", b"411"),
        (f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n", b"413"),
        ("POST /webhooks/wrong-token-0123456789 HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n", b"404"),
        (f"GET {PATH} HTTP/1.1\r\nHost: x\r\n\r\n", b"405"),
    ],
)
def test_every_answer_says_connection_close_and_closes(server: Running, request_head: str, status: bytes) -> None:
    """Every answer, early or not, says Connection: close, and the server closes: an unread body is never a request."""
    payload = body()
    data = request_head.format(length=len(payload)).encode() + payload
    answer = server.raw(data)  # returns once the server has closed the connection
    head = answer.partition(b"\r\n\r\n")[0]
    assert head.startswith(b"HTTP/1.0 " + status + b" ")
    assert b"\r\nConnection: close" in head
    assert answer.count(b"HTTP/1.0 ") == 1  # the rest of the body was not read as a second request
