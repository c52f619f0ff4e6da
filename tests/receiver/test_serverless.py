"""The serverless recipe (examples/serverless.py): API Gateway events, Mangum, a PostgresInbox, a scheduled worker."""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from plenty_events.receiver import State
from plenty_events.testing import sample_payload, to_json
from tests.conftest import postgres_url
from tests.receiving import TOKEN

if TYPE_CHECKING:
    from types import ModuleType

pytest.importorskip("mangum")
psycopg = pytest.importorskip("psycopg")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The example, imported from its file with its environment set: a fresh cold start over an empty database."""
    monkeypatch.setenv("PLENTY_EVENTS_POSTGRES_DSN", postgres_url(tmp_path))
    monkeypatch.setenv("PLENTY_WEBHOOK_TOKENS", f"an-older-token-0123456789,{TOKEN}")
    # Mangum runs the app on the thread's event loop, which lives as long as
    # a Lambda instance does: here, one the test sets, and closes.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    spec = importlib.util.spec_from_file_location("plenty_serverless_example", ROOT / "examples" / "serverless.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        yield module
        module.inbox.close()
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def rest_api_event(path: str, body: bytes) -> dict[str, Any]:
    """A POST as an API Gateway REST API (payload 1.0) proxy integration hands it to Lambda."""
    headers = {"Content-Type": "application/json", "Content-Length": str(len(body)), "Host": "abc.example.com"}
    return {
        "resource": "/webhooks/{token}",
        "path": path,
        "httpMethod": "POST",
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"token": path.rsplit("/", 1)[1]},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/webhooks/{token}",
            "httpMethod": "POST",
            "path": f"/prod{path}",
            "stage": "prod",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "203.0.113.7"},
        },
        "body": base64.b64encode(body).decode(),
        "isBase64Encoded": True,
    }


def http_api_event(path: str, body: bytes) -> dict[str, Any]:
    """A POST as an API Gateway HTTP API (payload 2.0) hands it to Lambda."""
    return {
        "version": "2.0",
        "routeKey": "POST /webhooks/{token}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "content-length": str(len(body)), "host": "abc.example.com"},
        "requestContext": {
            "http": {"method": "POST", "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7"},
            "requestId": str(uuid.uuid4()),
            "routeKey": "POST /webhooks/{token}",
            "stage": "$default",
        },
        "pathParameters": {"token": path.rsplit("/", 1)[1]},
        "body": base64.b64encode(body).decode(),
        "isBase64Encoded": True,
    }


def body(event_id: str) -> bytes:
    payload = sample_payload()
    payload["id"] = event_id
    return to_json(payload)


def headers(answer: dict[str, Any]) -> dict[str, str]:
    return {name.lower(): value for name, value in answer.get("headers", {}).items()}


@pytest.mark.parametrize("shape", [rest_api_event, http_api_event], ids=["rest-api", "http-api"])
def test_a_delivery_through_api_gateway_is_stored_then_handled_by_the_scheduled_worker(
    app: ModuleType, shape: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """202 once the body is in PostgreSQL; the handler runs in the scheduled job, once; a redelivery is 200."""
    answer = app.receive(shape(f"/webhooks/{TOKEN}", body("evt_1")), None)
    assert answer["statusCode"] == 202
    assert [(d.state, d.event_id) for d in app.inbox.deliveries()] == [(State.PENDING, "evt_1")]
    assert capsys.readouterr().out == ""  # nothing handled in the request
    assert app.work({"source": "aws.events"}, None) == {"handled": 1, "failed": 0, "dead": 0, "lost": 0}
    assert capsys.readouterr().out == "handling evt_1\n"
    assert app.receive(shape(f"/webhooks/{TOKEN}", body("evt_1")), None)["statusCode"] == 200
    assert app.work({}, None)["handled"] == 0
    assert app.receive(shape("/webhooks/not-the-token-0123456789", body("evt_2")), None)["statusCode"] == 404


def test_a_lost_database_connection_answers_503_with_retry_after(app: ModuleType) -> None:
    """When the database connection is gone, API Gateway gets 503 with Retry-After, never a 2xx; then it recovers."""
    with psycopg.connect(app.inbox._dsn, autocommit=True) as admin:
        for db in app.inbox._pool.idle:
            admin.execute("SELECT pg_terminate_backend(%s, 5000)", (db.info.backend_pid,))
    answer = app.receive(http_api_event(f"/webhooks/{TOKEN}", body("evt_1")), None)
    assert answer["statusCode"] == 503
    assert headers(answer)["retry-after"] == "60"
    assert app.inbox.deliveries() == []
    assert app.receive(http_api_event(f"/webhooks/{TOKEN}", body("evt_1")), None)["statusCode"] == 202
