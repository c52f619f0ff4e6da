"""The example receiver, end to end over real HTTP on 127.0.0.1."""

from __future__ import annotations

import http.client
import importlib.util
import json
import logging
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIServer, make_server

import pytest

import plenty_events
from helpers import PERSONAL
from plenty_events.testing import sample_payload, to_json

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType

RECEIVER = Path(__file__).resolve().parent.parent / "examples" / "receiver.py"
TOKEN = "s3cret-Token_0123456789abcdef"  # noqa: S105 -- a test token
PATH = f"/webhooks/{TOKEN}"
TIMEOUT = 10


def _load_receiver() -> ModuleType:
    spec = importlib.util.spec_from_file_location("plenty_receiver_example", RECEIVER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


receiver = _load_receiver()


class _QuietHandler(receiver.MaskingRequestHandler):  # type: ignore[name-defined,misc]
    def log_message(self, format: str, *args: object) -> None:
        pass


class Server:
    """A running receiver and the events its handler got."""

    def __init__(self, **options: Any) -> None:
        """Build the app around a recording handler; start the thread separately."""
        self.handled: list[Any] = []
        self.fail_next = False
        self.app = receiver.make_app(TOKEN, self.handle, **options)
        self.httpd: WSGIServer = make_server("127.0.0.1", 0, self.app, handler_class=_QuietHandler)
        self.port = self.httpd.server_port
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def handle(self, event: Any) -> None:
        """Record the event, or fail once when asked to."""
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("the queue is down")
        self.handled.append(event)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], Any]:
        """Send one request with http.client; return status, headers and the JSON body."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            raw = response.read()
            return (
                response.status,
                dict(response.getheaders()),
                json.loads(raw) if raw else None,
            )
        finally:
            connection.close()

    def post(self, body: bytes, path: str = PATH) -> tuple[int, dict[str, str], Any]:
        """POST ``body`` as JSON to ``path``."""
        return self.request("POST", path, body, {"Content-Type": "application/json"})


@pytest.fixture
def server() -> Iterator[Server]:
    """A receiver running in a thread on 127.0.0.1, on a free port."""
    running = Server()
    running.thread.start()
    try:
        yield running
    finally:
        running.httpd.shutdown()
        running.httpd.server_close()
        running.thread.join(TIMEOUT)


def body(**changes: Any) -> bytes:
    """Return the example as JSON bytes, with top-level keys changed."""
    payload = sample_payload()
    payload.update(changes)
    return to_json(payload)


def test_good_delivery_is_accepted_and_handled(server: Server) -> None:
    """A valid delivery is answered 202 and handed to the handler once, decoded."""
    status, headers, answer = server.post(body())
    assert status == 202
    assert headers["Content-Type"] == "application/json"
    assert answer == {
        "status": "accepted",
        "id": "evt_553ea8a294e2d3a75d5086a06fb53f5a",
    }
    (event,) = server.handled
    assert event == plenty_events.decode(body(), strict=True)


def test_duplicate_delivery_is_acknowledged_but_handled_once(server: Server) -> None:
    """The same event id delivered twice is answered 200 the second time and not handled again."""
    assert server.post(body())[0] == 202
    status, _, answer = server.post(body())
    assert (status, answer["status"]) == (200, "duplicate")
    assert len(server.handled) == 1
    assert server.post(body(id="evt_other"))[0] == 202
    assert len(server.handled) == 2


def test_failed_handling_lets_a_redelivery_retry(server: Server) -> None:
    """When the handler raises, the answer is 500 and the redelivery is handled."""
    server.fail_next = True
    assert server.post(body())[0] == 500
    assert server.post(body())[0] == 202
    assert len(server.handled) == 1


@pytest.mark.parametrize(
    "path",
    [
        "/webhooks/wrong-token",
        f"/webhooks/{TOKEN[:-1]}",
        f"/webhooks/{TOKEN}x",
        f"/webhooks/{TOKEN}/",
        "/webhooks/",
        "/",
        "/other",
        f"/other/{TOKEN}",
    ],
)
def test_bad_token_or_path_is_404(server: Server, path: str) -> None:
    """A wrong token and an unknown path get the same 404, and nothing is handled."""
    status, _, answer = server.post(body(), path=path)
    assert (status, answer) == (404, {"error": "not found"})
    assert server.request("GET", path)[0] == 404
    assert server.handled == []


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "HEAD"])
def test_wrong_method_is_405(server: Server, method: str) -> None:
    """Any method but POST on the right path is 405 with Allow: POST."""
    status, headers, _ = server.request(method, PATH)
    assert status == 405
    assert headers["Allow"] == "POST"
    assert server.handled == []


def test_body_over_the_limit_is_413_without_reading_it(server: Server) -> None:
    """A Content-Length over 1 MiB is refused with 413 before the body is read."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        connection.putrequest("POST", PATH)
        connection.putheader("Content-Length", str(receiver.MAX_BODY + 1))
        connection.endheaders()  # and no body: the server must not wait for it
        response = connection.getresponse()
        assert response.status == 413
        assert "error" in json.loads(response.read())
    finally:
        connection.close()
    assert server.handled == []


def test_body_at_the_limit_is_read(server: Server) -> None:
    """A body of exactly 1 MiB is read and judged: 1 MiB of spaces is not JSON, 400."""
    status, _, answer = server.post(b" " * receiver.MAX_BODY)
    assert status == 400
    assert answer["errors"][0]["code"] == "json_invalid"


def test_missing_content_length_is_411(server: Server) -> None:
    """A POST without Content-Length is 411: the receiver never reads an unbounded stream."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        connection.putrequest("POST", PATH)
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 411
        response.read()
    finally:
        connection.close()


def test_body_shorter_than_its_content_length_is_400(server: Server) -> None:
    """A body that ends before its Content-Length is 400."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        connection.putrequest("POST", PATH)
        connection.putheader("Content-Length", "100")
        connection.endheaders(b"{}")
        assert connection.sock is not None
        connection.sock.shutdown(1)  # SHUT_WR: the body ends here
        response = connection.getresponse()
        assert response.status == 400
        response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"not json", "json_invalid"),
        (b"", "json_invalid"),
        (b'{"id": 1', "json_invalid"),
        (b"[" * 100_000 + b"]" * 100_000, "json_depth"),
        (b"\xff\xfe{\x00}\x00", "json_invalid"),
    ],
    ids=["text", "empty", "truncated", "nested-100k", "utf16"],
)
def test_invalid_json_is_400_with_the_error_list(server: Server, data: bytes, code: str) -> None:
    """A body that is not JSON is 400 with {"errors": [...]}, each rooted at $."""
    status, _, answer = server.post(data)
    assert status == 400
    assert answer["errors"][0]["code"] == code
    assert all(error["path"].startswith("$") for error in answer["errors"])
    assert server.handled == []


def test_wrong_payload_is_422_with_the_error_list(server: Server) -> None:
    """JSON that breaks the wire format is 422 with every error and its path."""
    payload = sample_payload()
    payload["resource"]["order"]["orderItems"][0]["quantity"] = "many"
    del payload["createdAt"]
    status, _, answer = server.post(to_json(payload))
    assert status == 422
    assert {(error["path"], error["code"]) for error in answer["errors"]} == {
        ("$.createdAt", "missing"),
        ("$.resource.order.orderItems[0].quantity", "number_type"),
    }
    assert server.handled == []


def test_logs_carry_repairs_in_one_line_without_personal_data(server: Server, caplog: pytest.LogCaptureFixture) -> None:
    """A repaired delivery logs its repairs in one line; no log line holds a personal value."""
    payload = sample_payload()
    payload["resource"]["address"]["country"] = "deu"
    payload["resource"]["contact"]["gender"] = "Male"
    payload["extra"] = "John Doe"
    bad = sample_payload()
    bad["resource"]["contact"]["email"] = 42
    with caplog.at_level(logging.INFO, logger="plenty_events.receiver"):
        assert server.post(to_json(payload))[0] == 202
        assert server.post(to_json(bad))[0] == 422
    lines = [record.getMessage() for record in caplog.records]
    (repairs,) = [line for line in lines if "repairs" in line]
    assert "\n" not in repairs
    assert "country_alpha3" in repairs
    assert "gender_case" in repairs
    assert "key_kept" in repairs
    for line in lines:
        for value in PERSONAL:
            assert value not in line


def test_unknown_event_type_is_accepted_for_the_handler(server: Server) -> None:
    """An event type without a model is decoded leniently and handed over as an UnknownEvent."""
    assert server.post(body(type="SERVICE.PLUGIN.REFUND"))[0] == 202
    (event,) = server.handled
    assert isinstance(event, plenty_events.UnknownEvent)


def test_token_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a token argument the app reads PLENTY_WEBHOOK_TOKEN, and refuses to start without one."""
    monkeypatch.delenv("PLENTY_WEBHOOK_TOKEN", raising=False)
    with pytest.raises(ValueError, match="PLENTY_WEBHOOK_TOKEN"):
        receiver.make_app(None, print)
    monkeypatch.setenv("PLENTY_WEBHOOK_TOKEN", TOKEN)
    assert callable(receiver.make_app(None, print))


def test_memory_store_is_bounded() -> None:
    """The in-memory store forgets its oldest ids past its size."""
    store = receiver.MemoryStore(max_keys=2)
    assert store.claim("a")
    assert store.claim("b")
    assert not store.claim("a")
    assert store.claim("c")
    assert store.claim("a")  # forgotten: the oldest of three
    store.release("a")
    assert store.claim("a")


def test_access_log_masks_the_token(caplog: pytest.LogCaptureFixture) -> None:
    """The example's access log shows the webhook path with the token masked."""
    handler = receiver.MaskingRequestHandler.__new__(receiver.MaskingRequestHandler)
    handler.client_address = ("127.0.0.1", 1)
    with caplog.at_level(logging.INFO, logger="plenty_events.receiver"):
        handler.log_message('"%s" %s %s', f"POST {PATH} HTTP/1.1", "202", "-")
    (line,) = [record.getMessage() for record in caplog.records]
    assert TOKEN not in line
    assert "/webhooks/***" in line
