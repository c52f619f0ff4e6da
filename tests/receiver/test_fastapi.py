"""plenty_events.receiver.fastapi: the router, through FastAPI's TestClient and its OpenAPI document."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import TYPE_CHECKING, Any

import jsonschema
import pytest
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient

import plenty_events
from plenty_events.receiver import MemoryInbox, Receiver, State
from plenty_events.receiver import _answers as answers_module
from plenty_events.receiver.fastapi import router
from plenty_events.testing import sample_payload, to_json
from tests.receiving import BODY, BROKEN_ANSWER, BROKEN_BODY, PATH, TOKEN, Handler

if TYPE_CHECKING:
    from collections.abc import Iterator

TIMEOUT = 20


@pytest.fixture
def handler() -> Handler:
    """A recording handler."""
    return Handler()


@pytest.fixture
def inbox() -> MemoryInbox:
    """An empty inbox."""
    return MemoryInbox()


@pytest.fixture
def app(handler: Handler, inbox: MemoryInbox) -> FastAPI:
    """A FastAPI app with the router under /webhooks, a 4 KiB body limit."""
    api = FastAPI()
    api.include_router(router(Receiver(tokens=TOKEN, handler=handler, inbox=inbox, max_body=4096)), prefix="/webhooks")
    return api


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """FastAPI's TestClient for the app, sending real HTTP requests through it."""
    with TestClient(app) as client:
        yield client


def event_body(event_id: str) -> bytes:
    payload = sample_payload()
    payload["id"] = event_id
    return to_json(payload)


def test_a_delivery_is_handled_once_and_a_redelivery_is_200(client: TestClient, handler: Handler, inbox) -> None:
    """POST to the token URL is 202 and handled; the same event again is 200 and not handled again."""
    first = client.post(PATH, content=BODY, headers={"Content-Type": "application/json"})
    assert (first.status_code, first.json()["status"]) == (202, "accepted")
    assert first.headers["content-type"] == "application/json"
    again = client.post(PATH, content=BODY)
    assert (again.status_code, again.json()["status"]) == (200, "already handled")
    assert [event.id for event in handler.events] == ["evt_553ea8a294e2d3a75d5086a06fb53f5a"]
    assert [d.body for d in inbox.deliveries()] == [BODY, BODY]


@pytest.mark.parametrize("method", ["POST", "GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROBE"])
def test_an_unknown_token_is_answered_as_an_unknown_path(client: TestClient, inbox: MemoryInbox, method: str) -> None:
    """A wrong token gets FastAPI's own 404, the same status, headers and body as a path that is not there."""
    guessed = client.request(method, "/webhooks/a-guessed-token-0123456", content=BODY)
    nowhere = client.request(method, "/nowhere/a-guessed-token-0123456", content=BODY)
    assert guessed.status_code == nowhere.status_code == 404
    assert guessed.headers.multi_items() == nowhere.headers.multi_items()
    assert guessed.content == nowhere.content
    assert inbox.deliveries() == []


def test_an_unknown_token_goes_through_the_apps_404_handler(app: FastAPI) -> None:
    """The app's own 404 handler answers a wrong token too, as it answers any unknown path."""

    @app.exception_handler(404)
    async def not_here(_request: Any, _exc: Exception) -> PlainTextResponse:
        return PlainTextResponse("nothing here", status_code=404)

    with TestClient(app) as client:
        answer = client.post("/webhooks/a-guessed-token-0123456", content=BODY)
    assert (answer.status_code, answer.text) == (404, "nothing here")


@pytest.mark.parametrize(
    ("method", "headers", "chunks", "status"),
    [
        ("GET", [], [], 405),
        ("POST", [], [BODY], 411),
        ("POST", [(b"content-length", b"4097")], [], 413),
        ("POST", [(b"content-length", b"x")], [], 400),
        ("POST", [(b"content-length", b"5"), (b"content-length", b"6")], [], 400),
        ("POST", [(b"content-length", b"3")], [b"{}"], 400),  # the body ends before its length
    ],
)
def test_an_early_answer_closes_the_connection(app: FastAPI, method: str, headers, chunks, status) -> None:
    """An answer given before the body was read whole says Connection: close, so the rest is never parsed."""
    sent, _ = call_asgi(app, method, headers, chunks, disconnect=bool(chunks) and status == 400)
    assert sent[0]["status"] == status
    assert (b"connection", b"close") in sent[0]["headers"]


def test_a_delivery_leaves_the_connection_open(client: TestClient) -> None:
    """A delivery read whole is answered without Connection: close."""
    assert "connection" not in client.post(PATH, content=BODY).headers


@pytest.mark.parametrize("trickle", [False, True])
def test_a_stalled_or_trickled_body_is_400_within_its_timeout(inbox: MemoryInbox, trickle: bool) -> None:
    """A body that stops, or comes a byte every 0.05 s, is answered 400 with Connection: close after body_timeout."""
    api = FastAPI()
    receiver = Receiver(tokens=TOKEN, handler=Handler(), inbox=inbox, max_body=4096)
    api.include_router(router(receiver, body_timeout=0.5), prefix="/webhooks")
    sent: list[dict[str, Any]] = []
    calls = 0

    async def receive() -> dict[str, Any]:
        nonlocal calls
        calls += 1
        if calls > 1:
            await asyncio.sleep(0.05 if trickle else TIMEOUT)
        return {"type": "http.request", "body": b"{", "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": PATH,
        "headers": [(b"content-length", b"4000")],
        "query_string": b"",
    }
    started = time.monotonic()
    asyncio.run(api(scope, receive, send))
    took = time.monotonic() - started
    assert sent[0]["status"] == 400
    assert (b"connection", b"close") in sent[0]["headers"]
    assert 0.5 <= took < 0.5 + 2
    assert inbox.deliveries() == []


@pytest.mark.parametrize("seconds", [0, float("inf"), float("nan")])
def test_the_body_timeout_is_a_positive_finite_number(inbox: MemoryInbox, seconds: float) -> None:
    """A body_timeout that is not a positive, finite number is refused when the router is made."""
    receiver = Receiver(tokens=TOKEN, handler=Handler(), inbox=inbox)
    with pytest.raises(ValueError, match="body_timeout"):
        router(receiver, body_timeout=seconds)


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROBE"])
def test_other_methods_are_405_with_allow(client: TestClient, method: str) -> None:
    """Any method but POST on a token URL is 405 with Allow: POST."""
    answer = client.request(method, PATH)
    assert (answer.status_code, answer.headers["allow"], answer.json()) == (405, "POST", {"error": "use POST"})


def test_head_is_405_without_a_body(app: FastAPI) -> None:
    """HEAD on a token URL is 405, and the app sends no body at all."""
    sent, _ = call_asgi(app, "HEAD", [])
    assert sent[0]["status"] == 405
    assert [message.get("body", b"") for message in sent[1:]] == [b""]


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Content-Length": "²".encode()}, 400),
        ({"Content-Length": "-1"}, 400),
        ({"Content-Length": "4097"}, 413),
        ({"Content-Length": "9" * 5000}, 413),
        ({"Content-Length": str(len(BODY) + 10)}, 400),  # the body ends before its length
        ({"Content-Length": str(len(BODY) - 10)}, 400),  # the body goes on past its length
    ],
)
def test_content_length_is_checked(client: TestClient, inbox: MemoryInbox, headers: dict[str, Any], status) -> None:
    """A Content-Length that is not a number, over the limit, or not the body's length is refused, nothing stored."""
    answer = client.post(PATH, content=BODY, headers=headers)
    assert answer.status_code == status
    assert "error" in answer.json()
    assert inbox.deliveries() == []


def test_a_request_without_content_length_is_411(app: FastAPI, inbox: MemoryInbox) -> None:
    """No Content-Length (a chunked body) is 411, before the body is read."""
    sent, _ = call_asgi(app, "POST", [], [BODY])
    assert sent[0]["status"] == 411
    assert inbox.deliveries() == []


def test_two_different_content_lengths_are_400(app: FastAPI) -> None:
    """Two Content-Length fields that disagree are refused, not guessed between."""
    headers = [(b"content-length", str(len(BODY)).encode()), (b"content-length", b"5")]
    assert call_asgi(app, "POST", headers, [BODY])[0][0]["status"] == 400


def test_a_body_over_the_limit_is_413_and_not_read(app: FastAPI, inbox: MemoryInbox) -> None:
    """A declared length over max_body is 413 before any of the body is received."""
    sent, received = call_asgi(app, "POST", [(b"content-length", b"100000")], [b"x" * 100_000])
    assert sent[0]["status"] == 413
    assert received == []
    assert inbox.deliveries() == []


def test_the_body_is_read_as_it_streams_and_not_past_its_length(app: FastAPI, inbox: MemoryInbox) -> None:
    """A body sent in chunks is joined; reading stops at the first chunk past its declared length."""
    half = len(BODY) // 2
    sent, _ = call_asgi(app, "POST", [(b"content-length", str(len(BODY)).encode())], [BODY[:half], BODY[half:]])
    assert sent[0]["status"] == 202
    chunks = [BODY, b"more", b"and more"]
    sent, received = call_asgi(app, "POST", [(b"content-length", str(len(BODY)).encode())], chunks)
    assert sent[0]["status"] == 400
    assert len(received) == 2  # the third chunk was never asked for
    assert len(inbox.deliveries()) == 1


def test_a_client_that_disconnects_mid_body_stores_nothing(app: FastAPI, inbox: MemoryInbox) -> None:
    """A disconnect before the body is complete is refused as short; nothing is stored."""
    sent, _ = call_asgi(app, "POST", [(b"content-length", str(len(BODY)).encode())], [BODY[:10]], disconnect=True)
    assert sent[0]["status"] == 400
    assert inbox.deliveries() == []


def test_not_json_is_400_and_broken_rules_are_422_with_errors(client: TestClient, inbox: MemoryInbox) -> None:
    """The receiver's statuses, not FastAPI's: 400 for non-JSON, 422 {"errors": [...]} for rule violations."""
    assert client.post(PATH, content=b"not json").status_code == 400
    answer = client.post(PATH, content=BROKEN_BODY)
    assert (answer.status_code, answer.json()) == (422, BROKEN_ANSWER)
    assert [d.state for d in inbox.deliveries()] == [State.REJECTED, State.REJECTED]


def test_a_failing_handler_is_500_and_handled_on_redelivery(client: TestClient, handler: Handler) -> None:
    """A handler that raises gives 500; the redelivery runs it again."""
    handler.fail_id = "evt_553ea8a294e2d3a75d5086a06fb53f5a"
    assert client.post(PATH, content=BODY).status_code == 500
    handler.fail_id = ""
    assert client.post(PATH, content=BODY).status_code == 202
    assert len(handler.events) == 1


def test_a_slow_handler_does_not_block_the_event_loop(inbox: MemoryInbox) -> None:
    """While one delivery's handler blocks, another request on the same event loop is answered."""
    started, release = threading.Event(), threading.Event()
    handled: list[str] = []

    def slow(event: Any) -> None:
        if event.id == "evt_slow":
            started.set()
            release.wait(TIMEOUT)
        handled.append(event.id)

    api = FastAPI()
    api.include_router(router(Receiver(tokens=TOKEN, handler=slow, inbox=inbox)), prefix="/webhooks")
    answers: dict[str, int] = {}
    with TestClient(api) as client:
        slow_one = threading.Thread(
            target=lambda: answers.update(slow=client.post(PATH, content=event_body("evt_slow")).status_code)
        )
        slow_one.start()
        assert started.wait(TIMEOUT)
        answers["quick"] = client.post(PATH, content=event_body("evt_quick")).status_code
        assert slow_one.is_alive()  # answered while the slow handler still ran
        release.set()
        slow_one.join(TIMEOUT)
    assert answers == {"quick": 202, "slow": 202}
    assert handled == ["evt_quick", "evt_slow"]


def test_the_path_needs_a_token_parameter() -> None:
    """A route without {token} is refused when the router is made."""
    receiver = Receiver(tokens=TOKEN, handler=print)
    with pytest.raises(ValueError, match="token"):
        router(receiver, path="/hook")


def test_the_router_takes_a_path_and_tags(inbox: MemoryInbox) -> None:
    """The route and the OpenAPI tags can be chosen."""
    api = FastAPI()
    api.include_router(router(Receiver(tokens=TOKEN, handler=print, inbox=inbox), path="/in/{token}", tags=["hooks"]))
    with TestClient(api) as client:
        assert client.post(f"/in/{TOKEN}", content=BODY).status_code == 202
        assert client.get("/openapi.json").json()["paths"]["/in/{token}"]["post"]["tags"] == ["hooks"]


@pytest.fixture
def operation(client: TestClient) -> dict[str, Any]:
    """The POST operation of the token URL in the app's generated openapi.json."""
    document = client.get("/openapi.json").json()
    assert list(document["paths"]) == ["/webhooks/{token}"]
    assert list(document["paths"]["/webhooks/{token}"]) == ["post"]  # the 405 route is left out
    return document["paths"]["/webhooks/{token}"]["post"]


def test_openapi_shows_the_request_body_with_the_json_schema(operation: dict[str, Any]) -> None:
    """The request body is required application/json with plenty_events.json_schema(), inlined without $ref."""
    body = operation["requestBody"]
    assert body["required"] is True
    assert list(body["content"]) == ["application/json"]
    schema = body["content"]["application/json"]["schema"]
    assert "$ref" not in json.dumps(schema)
    assert schema["title"] == plenty_events.json_schema()["title"]
    validator = jsonschema.Draft202012Validator(schema)
    validator.validate(sample_payload())
    broken = sample_payload()
    broken["resource"]["address"]["town"] = None
    assert not validator.is_valid(broken)
    # The same verdicts as the library's own schema, on the documented example.
    original = jsonschema.Draft202012Validator(plenty_events.json_schema())
    assert (original.is_valid(sample_payload()), original.is_valid(broken)) == (True, False)


def test_openapi_shows_the_receivers_answers_not_fastapis(client: TestClient, operation: dict[str, Any]) -> None:
    """Every status the receiver gives is documented; 422 is {"errors": [...]}, with no HTTPValidationError."""
    responses = operation["responses"]
    assert sorted(responses) == sorted(str(status) for status in answers_module._REASONS)
    assert "HTTPValidationError" not in json.dumps(client.get("/openapi.json").json())
    errors = responses["422"]["content"]["application/json"]["schema"]
    jsonschema.Draft202012Validator(errors).validate(client.post(PATH, content=BROKEN_BODY).json())
    assert not jsonschema.Draft202012Validator(errors).is_valid({"detail": [{"loc": ["body"], "msg": "x"}]})
    for status, sent in [("202", BODY), ("200", BODY), ("400", b"not json"), ("400", b"")]:
        schema = responses[status]["content"]["application/json"]["schema"]
        jsonschema.Draft202012Validator(schema).validate(client.post(PATH, content=sent).json())
    schema = responses["404"]["content"]["application/json"]["schema"]
    jsonschema.Draft202012Validator(schema).validate(client.post("/webhooks/a-guessed-token-0123456").json())
    assert responses["405"]["headers"]["Allow"]["schema"] == {"type": "string"}
    assert "Retry-After" in responses["503"]["headers"]


def call_asgi(
    app: FastAPI,
    method: str,
    headers: list[tuple[bytes, bytes]],
    chunks: list[bytes] | None = None,
    *,
    disconnect: bool = False,
) -> tuple[list[dict[str, Any]], list[bytes]]:
    """Call the app as an ASGI server would, with the body in chunks; return what it sent and the chunks it took."""
    pending = list(chunks or [])
    taken: list[bytes] = []
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if pending:
            chunk = pending.pop(0)
            taken.append(chunk)
            return {"type": "http.request", "body": chunk, "more_body": bool(pending) or disconnect}
        if disconnect:
            return {"type": "http.disconnect"}
        await asyncio.sleep(TIMEOUT)  # a server waits for more; the app must not ask
        raise AssertionError("the app read past the end of the body")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": PATH,
        "raw_path": PATH.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    asyncio.run(app(scope, receive, send))
    return sent, taken
