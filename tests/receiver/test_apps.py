"""Receiver.wsgi_app and Receiver.asgi_app: paths, methods, lengths, bounded bodies, HEAD, off-loop handling."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import pytest

from plenty_events.receiver import MemoryInbox, Receiver, State
from tests.receiving import BODY, PATH, TOKEN, Stream

TIMEOUT = 20


@pytest.fixture
def handled() -> list[Any]:
    """The events the handler got."""
    return []


@pytest.fixture
def receiver(handled: list[Any]) -> Receiver:
    """A receiver with a small body limit, recording into ``handled``."""
    return Receiver(tokens=TOKEN, handler=handled.append, inbox=MemoryInbox(), max_body=4096)


def wsgi(app: Any, method: str = "POST", path: str = PATH, body: bytes = BODY, **environ: Any) -> Any:
    """Call a WSGI app; return status, headers and the joined body."""
    env: dict[str, Any] = {"REQUEST_METHOD": method, "PATH_INFO": path, "wsgi.input": Stream(body)}
    env["CONTENT_LENGTH"] = str(len(body))
    env.update(environ)
    if env["CONTENT_LENGTH"] is None:
        del env["CONTENT_LENGTH"]
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], _exc_info: object = None) -> Any:
        seen.update(status=status, headers=dict(headers))
        return seen.setdefault("written", []).append

    data = b"".join(app(env, start_response))
    return seen["status"], seen["headers"], data


def test_wsgi_serves_a_delivery(receiver: Receiver, handled: list[Any]) -> None:
    """POST {prefix}{token} with a good body is 202 Accepted, and handled."""
    status, headers, data = wsgi(receiver.wsgi_app())
    assert (status, headers["Content-Type"]) == ("202 Accepted", "application/json")
    assert json.loads(data)["status"] == "accepted"
    assert len(handled) == 1


@pytest.mark.parametrize("path", ["/webhooks/wrong-token-012345678", f"{PATH}/", "/webhooks/", "/", f"/other/{TOKEN}"])
@pytest.mark.parametrize("method", ["POST", "GET"])
def test_wsgi_answers_404_outside_its_token_urls(receiver: Receiver, path: str, method: str) -> None:
    """A wrong token and an unknown path get the same 404, whatever the method."""
    status, _, data = wsgi(receiver.wsgi_app(), method, path)
    assert (status, json.loads(data)) == ("404 Not Found", {"error": "not found"})


def test_wsgi_takes_a_path_prefix(receiver: Receiver) -> None:
    """wsgi_app(path_prefix) serves under that prefix only; a prefix must start and end with '/'."""
    app = receiver.wsgi_app("/hooks/plenty/")
    assert wsgi(app, path=f"/hooks/plenty/{TOKEN}")[0] == "202 Accepted"
    assert wsgi(app)[0] == "404 Not Found"
    with pytest.raises(ValueError, match="prefix"):
        receiver.wsgi_app("/hooks")


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
def test_wsgi_answers_405_to_other_methods_and_head_without_a_body(receiver: Receiver, method: str) -> None:
    """Any method but POST is 405 with Allow: POST; the answer to HEAD carries no body."""
    status, headers, data = wsgi(receiver.wsgi_app(), method)
    assert (status, headers["Allow"]) == ("405 Method Not Allowed", "POST")
    assert data == (b"" if method == "HEAD" else b'{"error":"use POST"}')
    assert int(headers["Content-Length"]) == len(b'{"error":"use POST"}')


@pytest.mark.parametrize("length", [None, ""])
def test_wsgi_needs_a_content_length(receiver: Receiver, length: str | None) -> None:
    """Without Content-Length the answer is 411 and the body is not read."""
    stream = Stream(BODY)
    assert wsgi(receiver.wsgi_app(), CONTENT_LENGTH=length, **{"wsgi.input": stream})[0] == "411 Length Required"
    assert stream.taken == 0


@pytest.mark.parametrize(("length", "status"), [("²", "400 Bad Request"), ("4097", "413 Content Too Large")])
def test_wsgi_refuses_a_bad_length_before_reading(receiver: Receiver, length: str, status: str) -> None:
    """A Content-Length that is no number (400) or over the limit (413) is refused unread."""
    stream = Stream(BODY)
    assert wsgi(receiver.wsgi_app(), CONTENT_LENGTH=length, **{"wsgi.input": stream})[0] == status
    assert stream.taken == 0


@pytest.mark.parametrize("stall", [False, True], ids=["ends", "stalls"])
def test_wsgi_answers_400_when_the_body_is_short(receiver: Receiver, stall: bool) -> None:
    """A body that ends, or stalls into a socket timeout, before its Content-Length is 400, not stored."""
    stream = Stream(BODY[:10], stall=stall)
    status, _, data = wsgi(receiver.wsgi_app(), CONTENT_LENGTH=str(len(BODY)), **{"wsgi.input": stream})
    assert status == "400 Bad Request"
    assert "Content-Length" in json.loads(data)["error"]
    assert receiver.inbox.deliveries() == []


def test_wsgi_reads_the_body_by_its_length_only(receiver: Receiver) -> None:
    """The app reads exactly Content-Length bytes, never what follows."""
    stream = Stream(BODY + b"trailing bytes the app must not read")
    assert wsgi(receiver.wsgi_app(), **{"wsgi.input": stream})[0] == "202 Accepted"
    assert stream.taken == len(BODY)


def test_wsgi_reads_a_large_body_in_chunks(handled: list[Any]) -> None:
    """A body larger than one read chunk is read whole."""
    receiver = Receiver(tokens=TOKEN, handler=handled.append, max_body=1 << 20)
    padded = BODY[:-1] + b" " * 200_000 + b"}"
    assert wsgi(receiver.wsgi_app(), body=padded)[0] == "202 Accepted"


# ASGI: the app is called as a server calls it, with receive and send.


class Client:
    """One ASGI request: the messages the app will receive, and those it sent."""

    def __init__(self, chunks: list[bytes], *, disconnect: bool = False) -> None:
        """Offer ``chunks`` as http.request messages, then an http.disconnect if asked."""
        self.messages: list[dict[str, Any]] = [
            {"type": "http.request", "body": chunk, "more_body": disconnect or n < len(chunks) - 1}
            for n, chunk in enumerate(chunks)
        ]
        if disconnect:
            self.messages.append({"type": "http.disconnect"})
        self.received = 0
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        self.received += 1
        return self.messages.pop(0)

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)


def asgi(
    app: Any,
    method: str = "POST",
    path: str = PATH,
    *,
    chunks: list[bytes] | None = None,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> Client:
    """Run one request through an ASGI app."""
    chunks = [BODY] if chunks is None else chunks
    if headers is None:
        headers = [(b"content-length", str(sum(map(len, chunks))).encode())]
    client = Client(chunks, disconnect=chunks == [b"{"])
    scope = {"type": "http", "method": method, "path": path, "headers": [(b"host", b"x"), *headers]}
    asyncio.run(app(scope, client.receive, client.send))
    return client


def answer(client: Client) -> tuple[int, dict[bytes, bytes], bytes]:
    start, body = client.sent
    assert (start["type"], body["type"]) == ("http.response.start", "http.response.body")
    return start["status"], dict(start["headers"]), body["body"]


def test_asgi_serves_a_delivery_sent_in_chunks(receiver: Receiver, handled: list[Any]) -> None:
    """A body streamed in several messages is joined, handled, and answered 202."""
    client = asgi(receiver.asgi_app(), chunks=[BODY[:100], b"", BODY[100:]])
    status, headers, data = answer(client)
    assert (status, headers[b"content-type"]) == (202, b"application/json")
    assert json.loads(data)["status"] == "accepted"
    assert len(handled) == 1


def test_asgi_runs_decoding_and_the_handler_off_the_event_loop(receiver: Receiver) -> None:
    """The handler runs in another thread than the event loop's."""
    threads: list[threading.Thread] = []
    receiver._core.handler = lambda _event: threads.append(threading.current_thread())
    loop_thread: list[threading.Thread] = []
    app = receiver.asgi_app()

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        loop_thread.append(threading.current_thread())
        await app(scope, receive, send)

    assert answer(asgi(wrapped))[0] == 202
    assert threads
    assert threads[0] is not loop_thread[0]


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("POST", "/webhooks/wrong-token-0123456789", None, 404),
        ("GET", "/elsewhere", None, 404),
        ("GET", PATH, None, 405),
        ("POST", PATH, [], 411),
        ("POST", PATH, [(b"content-length", b"\xc2\xb2")], 400),
        ("POST", PATH, [(b"Content-Length", b"5"), (b"content-length", b"6")], 400),
        ("POST", PATH, [(b"content-length", b"4097")], 413),
    ],
)
def test_asgi_refuses_before_reading(receiver: Receiver, method, path, headers, status) -> None:
    """Token, method and declared length are checked before a byte of the body is received."""
    client = asgi(receiver.asgi_app(), method, path, headers=headers)
    assert answer(client)[0] == status
    assert answer(client)[1][b"connection"] == b"close"  # the unread body must not be parsed as a request
    assert client.received == 0


def test_asgi_stops_reading_a_body_longer_than_declared(receiver: Receiver) -> None:
    """A stream that passes its Content-Length is cut off at once with 400; the rest is never received."""
    endless = [b"x" * 1000] * 50
    client = asgi(receiver.asgi_app(), chunks=endless, headers=[(b"content-length", b"4000")])
    assert answer(client)[0] == 400
    assert client.received == 5
    assert receiver.inbox.deliveries() == []


def test_asgi_answers_400_to_a_body_shorter_than_declared(receiver: Receiver) -> None:
    """A stream that ends before its Content-Length is 400."""
    client = asgi(receiver.asgi_app(), chunks=[b"{}"], headers=[(b"content-length", b"3")])
    assert answer(client)[0] == 400
    assert answer(client)[1][b"connection"] == b"close"


def test_asgi_keeps_the_connection_after_a_delivery(receiver: Receiver) -> None:
    """An answer to a body read whole leaves the connection to the server: no Connection header."""
    assert b"connection" not in answer(asgi(receiver.asgi_app()))[1]


def slow_client(receiver: Receiver, body_timeout: float, *, trickle: bool) -> tuple[Client, float]:
    """A client that sends a first chunk, then stalls, or trickles a byte every 0.05 s; the answer and its time."""

    class Slow(Client):
        async def receive(self) -> dict[str, Any]:
            self.received += 1
            if self.received == 1:
                return {"type": "http.request", "body": b"{", "more_body": True}
            await asyncio.sleep(0.05 if trickle else TIMEOUT)
            return {"type": "http.request", "body": b" ", "more_body": True}

    client = Slow([], disconnect=False)
    scope = {"type": "http", "method": "POST", "path": PATH, "headers": [(b"content-length", b"4000")]}
    app = receiver.asgi_app(body_timeout=body_timeout)
    started = time.monotonic()
    asyncio.run(app(scope, client.receive, client.send))
    return client, time.monotonic() - started


@pytest.mark.parametrize("trickle", [False, True])
def test_asgi_answers_a_stalled_or_trickled_body_400_within_its_timeout(receiver: Receiver, trickle: bool) -> None:
    """A body that stops, or comes a byte at a time, is answered 400 with Connection: close once body_timeout is up."""
    client, took = slow_client(receiver, 0.5, trickle=trickle)
    status, headers, _ = answer(client)
    assert (status, headers[b"connection"]) == (400, b"close")
    assert 0.5 <= took < 0.5 + 2
    assert receiver.inbox.deliveries() == []


@pytest.mark.parametrize("seconds", [0, -1, float("inf"), float("nan"), True, "10"])
def test_asgi_body_timeout_is_a_positive_finite_number(receiver: Receiver, seconds: Any) -> None:
    """A body_timeout that is not a positive, finite number is refused when the app is made."""
    with pytest.raises(ValueError, match="body_timeout must be a positive, finite number of seconds"):
        receiver.asgi_app(body_timeout=seconds)


def test_asgi_sends_nothing_when_the_client_disconnects(receiver: Receiver) -> None:
    """A client that goes away mid-body gets no answer, and nothing is stored."""
    # asgi() makes a Client that disconnects after this one chunk.
    client = asgi(receiver.asgi_app(), chunks=[b"{"], headers=[(b"content-length", b"10")])
    assert client.sent == []
    assert receiver.inbox.deliveries() == []


def test_asgi_answers_head_without_a_body(receiver: Receiver) -> None:
    """HEAD is 405 with Allow: POST and an empty body."""
    status, headers, data = answer(asgi(receiver.asgi_app(), "HEAD"))
    assert (status, headers[b"allow"], data) == (405, b"POST", b"")


def test_asgi_handles_the_lifespan_and_ignores_other_scopes(receiver: Receiver) -> None:
    """Lifespan startup and shutdown are acknowledged; a websocket scope gets nothing."""
    app = receiver.asgi_app()
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.other"}, {"type": "lifespan.shutdown"}]
    sent: list[Any] = []

    async def receive() -> Any:
        return messages.pop(0)

    async def send(message: Any) -> None:
        sent.append(message["type"])

    asyncio.run(app({"type": "lifespan"}, receive, send))
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    asyncio.run(app({"type": "websocket"}, receive, send))
    assert len(sent) == 2


def test_asgi_records_a_dying_handler_and_reraises(receiver: Receiver) -> None:
    """A handler's SystemExit in the worker thread is recorded as failed, then re-raised to the server."""

    def die(_event: Any) -> None:
        raise SystemExit(1)

    receiver._core.handler = die
    with pytest.raises(SystemExit):
        asgi(receiver.asgi_app())
    assert [d.state for d in receiver.inbox.deliveries()] == [State.FAILED]
