"""plenty_events.receiver.flask: the blueprint, through Flask's test client."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from flask import Flask

from plenty_events.receiver import MemoryInbox, Receiver, State
from plenty_events.receiver.flask import blueprint
from tests.receiving import BODY, BROKEN_ANSWER, BROKEN_BODY, PATH, TOKEN, Handler, Stream

if TYPE_CHECKING:
    from flask.testing import FlaskClient


@pytest.fixture
def handler() -> Handler:
    """A recording handler."""
    return Handler()


@pytest.fixture
def inbox() -> MemoryInbox:
    """An empty inbox."""
    return MemoryInbox()


@pytest.fixture
def app(handler: Handler, inbox: MemoryInbox) -> Flask:
    """A Flask app with the blueprint at /webhooks, a 4 KiB body limit."""
    flask_app = Flask("shop")
    flask_app.register_blueprint(blueprint(Receiver(tokens=TOKEN, handler=handler, inbox=inbox, max_body=4096)))
    return flask_app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Flask's test client for the app."""
    return app.test_client()


def test_a_delivery_is_handled_once_and_a_redelivery_is_200(client: FlaskClient, handler: Handler, inbox) -> None:
    """POST to the token URL is 202 and handled; the same event again is 200 and not handled again."""
    first = client.post(PATH, data=BODY, content_type="application/json")
    assert (first.status_code, first.json, first.content_type) == (
        202,
        {"status": "accepted", "id": "evt_553ea8a294e2d3a75d5086a06fb53f5a"},
        "application/json",
    )
    again = client.post(PATH, data=BODY)
    assert (again.status_code, again.json["status"]) == (200, "already handled")
    assert len(handler.events) == 1
    assert [d.body for d in inbox.deliveries()] == [BODY, BODY]


@pytest.mark.parametrize("method", ["POST", "GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_an_unknown_token_is_answered_as_an_unknown_path(client: FlaskClient, inbox: MemoryInbox, method) -> None:
    """A wrong token gets Flask's own 404, the same status, headers and body as a path that is not there."""
    guessed = client.open("/webhooks/a-guessed-token-0123456", method=method, data=BODY)
    nowhere = client.open("/nowhere/a-guessed-token-0123456", method=method, data=BODY)
    assert guessed.status_code == nowhere.status_code == 404
    assert guessed.headers.to_wsgi_list() == nowhere.headers.to_wsgi_list()
    assert guessed.data == nowhere.data
    assert inbox.deliveries() == []


def test_an_unknown_token_goes_through_the_apps_404_handler(app: Flask) -> None:
    """The app's own 404 handler answers a wrong token too, as it answers any unknown path."""
    app.register_error_handler(404, lambda _exc: ("nothing here", 404))
    answer = app.test_client().post("/webhooks/a-guessed-token-0123456", data=BODY)
    assert (answer.status_code, answer.text) == (404, "nothing here")


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_other_methods_are_405_with_allow(client: FlaskClient, method: str) -> None:
    """Any method but POST on a token URL is 405 with Allow: POST, OPTIONS included."""
    answer = client.open(PATH, method=method)
    assert (answer.status_code, answer.headers["Allow"], answer.json) == (405, "POST", {"error": "use POST"})


def test_head_is_405_without_a_body(client: FlaskClient) -> None:
    """HEAD on a token URL is 405 with no body."""
    answer = client.head(PATH)
    assert (answer.status_code, answer.data, answer.headers["Allow"]) == (405, b"", "POST")


@pytest.mark.parametrize(
    ("length", "status"),
    [("", 411), ("²", 400), ("-1", 400), ("0x10", 400), ("4097", 413), ("9" * 5000, 413)],
)
def test_content_length_is_checked_before_reading(client: FlaskClient, inbox, length: str, status: int) -> None:
    """A missing, non-numeric or too large Content-Length is refused before a byte of the body is read."""
    stream = Stream(BODY, stall=True)
    answer = client.post(PATH, environ_overrides={"CONTENT_LENGTH": length, "wsgi.input": stream})
    assert answer.status_code == status
    assert "error" in answer.json
    assert stream.taken == 0
    assert inbox.deliveries() == []


def test_a_body_shorter_than_its_length_is_400_and_not_stored(client: FlaskClient, inbox: MemoryInbox) -> None:
    """A body that stalls before its Content-Length is refused as incomplete; nothing is stored."""
    stream = Stream(BODY[:100], stall=True)
    answer = client.post(PATH, environ_overrides={"CONTENT_LENGTH": str(len(BODY)), "wsgi.input": stream})
    assert answer.status_code == 400
    assert answer.json == {"error": "the body does not have the length its Content-Length gives"}
    assert inbox.deliveries() == []


def test_only_content_length_bytes_are_read(client: FlaskClient, inbox: MemoryInbox) -> None:
    """A stream longer than its Content-Length is read only that far."""
    stream = Stream(BODY + b"trailing bytes of another request", stall=True)
    answer = client.post(PATH, environ_overrides={"CONTENT_LENGTH": str(len(BODY)), "wsgi.input": stream})
    assert answer.status_code == 202
    assert stream.taken == len(BODY)
    assert [d.body for d in inbox.deliveries()] == [BODY]


def test_the_receivers_bound_applies_whatever_max_content_length(app: Flask, inbox: MemoryInbox) -> None:
    """The blueprint's bound is max_body: a smaller MAX_CONTENT_LENGTH does not refuse a delivery within it."""
    app.config["MAX_CONTENT_LENGTH"] = 100
    answer = app.test_client().post(PATH, data=BODY)
    assert answer.status_code == 202
    app.config["MAX_CONTENT_LENGTH"] = 1 << 30
    assert app.test_client().post(PATH, data=b"x" * 5000).status_code == 413
    assert len(inbox.deliveries()) == 1


def test_not_json_is_400_and_broken_rules_are_422_with_errors(client: FlaskClient, inbox: MemoryInbox) -> None:
    """400 for a body that is not JSON, 422 with the errors for JSON that breaks the rules; both stored."""
    assert client.post(PATH, data=b"not json").status_code == 400
    answer = client.post(PATH, data=BROKEN_BODY)
    assert (answer.status_code, answer.json) == (422, BROKEN_ANSWER)
    assert [d.state for d in inbox.deliveries()] == [State.REJECTED, State.REJECTED]


def test_a_failing_handler_is_500_and_handled_on_redelivery(client: FlaskClient, handler: Handler) -> None:
    """A handler that raises gives 500; the redelivery runs it again."""
    handler.fail_id = "evt_553ea8a294e2d3a75d5086a06fb53f5a"
    assert client.post(PATH, data=BODY).status_code == 500
    handler.fail_id = ""
    assert client.post(PATH, data=BODY).status_code == 202
    assert len(handler.events) == 1


def test_name_and_prefix_can_be_chosen(inbox: MemoryInbox) -> None:
    """The blueprint's name sets its endpoint; the prefix moves its URLs."""
    flask_app = Flask("shop")
    flask_app.register_blueprint(
        blueprint(Receiver(tokens=TOKEN, handler=print, inbox=inbox), name="hooks", url_prefix="/in")
    )
    with flask_app.test_request_context():
        from flask import url_for  # noqa: PLC0415 -- needs the request context

        assert url_for("hooks.receive", token=TOKEN) == f"/in/{TOKEN}"
    assert flask_app.test_client().post(f"/in/{TOKEN}", data=BODY).status_code == 202
