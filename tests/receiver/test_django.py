"""plenty_events.receiver.django: the view and its URL pattern, through Django's test client."""

from __future__ import annotations

import json
import types
from typing import TYPE_CHECKING, Any

import pytest

from plenty_events.receiver import MemoryInbox, Receiver, State
from tests.receiving import BODY, BROKEN_ANSWER, BROKEN_BODY, PATH, TOKEN, Handler, Stream

if TYPE_CHECKING:
    from collections.abc import Iterator

SECRET_KEY = "a-key-for-tests-only"  # noqa: S105 -- signs nothing that leaves the test
MIDDLEWARE = ["django.middleware.common.CommonMiddleware", "django.middleware.csrf.CsrfViewMiddleware"]


@pytest.fixture(scope="module", autouse=True)
def django_settings() -> None:
    """Django's settings, configured once for the process (no database, no installed apps)."""
    import django  # noqa: PLC0415 -- configured here, not at import
    from django.conf import settings  # noqa: PLC0415

    if not settings.configured:
        settings.configure(ALLOWED_HOSTS=["testserver"], SECRET_KEY=SECRET_KEY, USE_TZ=True)
        django.setup()


@pytest.fixture
def handler() -> Handler:
    """A recording handler."""
    return Handler()


@pytest.fixture
def inbox() -> MemoryInbox:
    """An empty inbox."""
    return MemoryInbox()


@pytest.fixture
def receiver(handler: Handler, inbox: MemoryInbox) -> Receiver:
    """A receiver with a 4 KiB body limit."""
    return Receiver(tokens=TOKEN, handler=handler, inbox=inbox, max_body=4096)


@pytest.fixture
def client(receiver: Receiver) -> Iterator[Any]:
    """Django's test client, enforcing CSRF checks, for a URLconf holding only urlpattern(receiver)."""
    from django.test import Client  # noqa: PLC0415 -- needs the settings
    from django.test.utils import override_settings  # noqa: PLC0415

    from plenty_events.receiver.django import urlpattern  # noqa: PLC0415

    urls = types.ModuleType("webhook_urls")
    urls.urlpatterns = [urlpattern(receiver)]
    with override_settings(ROOT_URLCONF=urls, MIDDLEWARE=MIDDLEWARE):
        yield Client(enforce_csrf_checks=True)


def test_a_delivery_is_handled_once_and_a_redelivery_is_200(client: Any, handler: Handler, inbox) -> None:
    """POST to the token URL, without a CSRF token, is 202 and handled; the same event again is 200."""
    first = client.post(PATH, data=BODY, content_type="application/json")
    assert (first.status_code, first.json(), first["Content-Type"]) == (
        202,
        {"status": "accepted", "id": "evt_553ea8a294e2d3a75d5086a06fb53f5a"},
        "application/json",
    )
    again = client.post(PATH, data=BODY, content_type="application/json")
    assert (again.status_code, again.json()["status"]) == (200, "already handled")
    assert len(handler.events) == 1
    assert [d.body for d in inbox.deliveries()] == [BODY, BODY]


@pytest.mark.parametrize("method", ["POST", "GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_an_unknown_token_is_answered_as_an_unknown_path(client: Any, inbox: MemoryInbox, method: str) -> None:
    """A wrong token gets Django's own 404, the same status, headers and body as a path that is not there."""
    guessed = client.generic(method, "/webhooks/a-guessed-token-0123456", BODY, content_type="application/json")
    nowhere = client.generic(method, "/nowhere/a-guessed-token-0123456", BODY, content_type="application/json")
    assert guessed.status_code == nowhere.status_code == 404
    assert list(guessed.headers.items()) == list(nowhere.headers.items())
    assert guessed.content == nowhere.content
    assert inbox.deliveries() == []


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_other_methods_are_405_with_allow(client: Any, method: str) -> None:
    """Any method but POST on a token URL is 405 with Allow: POST."""
    answer = client.generic(method, PATH)
    assert (answer.status_code, answer["Allow"], json.loads(answer.content)) == (405, "POST", {"error": "use POST"})


def test_head_is_405_without_a_body(client: Any, receiver: Receiver) -> None:
    """HEAD on a token URL is 405; the view itself answers it with no body, whatever the server does."""
    answer = client.head(PATH)
    assert (answer.status_code, answer["Allow"], answer.content) == (405, "POST", b"")
    from django.test import RequestFactory  # noqa: PLC0415 -- needs the settings

    from plenty_events.receiver.django import view  # noqa: PLC0415

    # The test client drops HEAD bodies itself; the view's own response must have none.
    direct = view(receiver)(RequestFactory().head(PATH), TOKEN)
    assert (direct.status_code, direct.content) == (405, b"")


@pytest.mark.parametrize(
    ("length", "status"),
    [("", 411), ("²", 400), ("-1", 400), ("0x10", 400), ("4097", 413), ("9" * 5000, 413)],
)
def test_content_length_is_checked_before_reading(client: Any, inbox, length: str, status: int) -> None:
    """A missing, non-numeric or too large Content-Length is refused before a byte of the body is read."""
    stream = Stream(BODY, stall=True)
    answer = client.generic("POST", PATH, CONTENT_LENGTH=length, **{"wsgi.input": stream})
    assert answer.status_code == status
    assert "error" in json.loads(answer.content)
    assert stream.taken == 0
    assert inbox.deliveries() == []


def test_a_body_shorter_than_its_length_is_400_and_not_stored(client: Any, inbox: MemoryInbox) -> None:
    """A body that stalls before its Content-Length is refused as incomplete; nothing is stored."""
    answer = client.generic(
        "POST", PATH, CONTENT_LENGTH=str(len(BODY)), **{"wsgi.input": Stream(BODY[:100], stall=True)}
    )
    assert answer.status_code == 400
    assert json.loads(answer.content) == {"error": "the body does not have the length its Content-Length gives"}
    assert inbox.deliveries() == []


def test_only_content_length_bytes_are_read(client: Any, inbox: MemoryInbox) -> None:
    """A stream longer than its Content-Length is read only that far."""
    stream = Stream(BODY + b"trailing bytes of another request", stall=True)
    answer = client.generic("POST", PATH, CONTENT_LENGTH=str(len(BODY)), **{"wsgi.input": stream})
    assert answer.status_code == 202
    assert stream.taken == len(BODY)
    assert [d.body for d in inbox.deliveries()] == [BODY]


def test_the_receivers_bound_applies_not_djangos(client: Any, inbox: MemoryInbox) -> None:
    """The body is bounded by max_body: DATA_UPLOAD_MAX_MEMORY_SIZE neither refuses nor admits a body."""
    from django.test.utils import override_settings  # noqa: PLC0415 -- needs the settings

    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100):
        assert client.post(PATH, data=BODY, content_type="application/json").status_code == 202
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1 << 30):
        assert client.post(PATH, data=b"x" * 5000, content_type="application/json").status_code == 413
    assert len(inbox.deliveries()) == 1


def test_not_json_is_400_and_broken_rules_are_422_with_errors(client: Any, inbox: MemoryInbox) -> None:
    """400 for a body that is not JSON, 422 with the errors for JSON that breaks the rules; both stored."""
    assert client.post(PATH, data=b"not json", content_type="application/json").status_code == 400
    answer = client.post(PATH, data=BROKEN_BODY, content_type="application/json")
    assert (answer.status_code, answer.json()) == (422, BROKEN_ANSWER)
    assert [d.state for d in inbox.deliveries()] == [State.REJECTED, State.REJECTED]


def test_a_failing_handler_is_500_and_handled_on_redelivery(client: Any, handler: Handler) -> None:
    """A handler that raises gives 500; the redelivery runs it again."""
    handler.fail_id = "evt_553ea8a294e2d3a75d5086a06fb53f5a"
    assert client.post(PATH, data=BODY, content_type="application/json").status_code == 500
    handler.fail_id = ""
    assert client.post(PATH, data=BODY, content_type="application/json").status_code == 202
    assert len(handler.events) == 1


def test_the_url_pattern_takes_a_prefix_and_a_name(receiver: Receiver) -> None:
    """urlpattern(prefix=, name=) routes <prefix><token> under that name."""
    from django.test import Client  # noqa: PLC0415 -- needs the settings
    from django.test.utils import override_settings  # noqa: PLC0415
    from django.urls import reverse  # noqa: PLC0415

    from plenty_events.receiver.django import urlpattern  # noqa: PLC0415

    urls = types.ModuleType("webhook_urls_prefixed")
    urls.urlpatterns = [urlpattern(receiver, prefix="in/hooks/", name="hooks")]
    with override_settings(ROOT_URLCONF=urls):
        assert reverse("hooks", kwargs={"token": TOKEN}) == f"/in/hooks/{TOKEN}"
        assert Client().post(f"/in/hooks/{TOKEN}", data=BODY, content_type="application/json").status_code == 202
