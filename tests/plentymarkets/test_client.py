"""The plentymarkets Client: both logins, the token's life, call limits, and how failures are classified."""

import importlib
import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import attrs
import httpx
import pytest

from plenty_events import plentymarkets, testing
from plenty_events.plentymarkets import (
    Client,
    FakePlenty,
    PlentyConfig,
    Request,
    TicketHandler,
    UserLogin,
    find_contact,
)
from plenty_events.receiver import Permanent, RetryLater
from plenty_events.testing import sample_event

FIND = find_contact(sample_event())


class Clock:
    """A monotonic clock the test moves, and a sleep that moves it."""

    def __init__(self):
        """Start at 1000 s, not slept."""
        self.now = 1000.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def client_of(fake, clock=None, **config):
    clock = clock or Clock()
    return Client(fake.config(**config), transport=fake, sleep=clock.sleep, clock=clock)


def answering(*responses):
    """A config and a transport that logs in, then gives the responses in order."""
    queue = list(responses)

    def handle(request):
        if request.url.path == "/rest/login":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return httpx.MockTransport(handle)


def config():
    return PlentyConfig(
        url="https://shop.example",
        credentials=UserLogin("api", "pw"),
        plenty_id=1,
        ticket_type_id=1,
        ticket_status_id=1,
        ticket_role_id=1,
        owner_user_ids=(1,),
    )


@pytest.mark.parametrize("keys", ["snake", "camel"])
def test_the_user_login_reads_either_spelling_of_the_token_answer(keys):
    """The back-end login works with access_token/expires_in and with accessToken/expiresIn."""
    fake = FakePlenty(token_keys=keys)
    client = client_of(fake)
    assert client.send(FIND) == {"page": 1, "totalsCount": 0, "isLastPage": True, "entries": []}
    assert fake.calls == ["login", "find_contact"]


def test_the_app_client_logs_in_with_client_credentials():
    """The app client posts the client-credentials form to its token URL, then calls with the token."""
    fake = FakePlenty()
    client = client_of(fake, app=True)
    client.send(FIND)
    assert fake.calls == ["app_login", "find_contact"]


def test_the_token_is_kept_until_shortly_before_it_expires():
    """Calls within the token's life log in once; past it (less a margin) the client logs in again."""
    fake, clock = FakePlenty(token_lifetime=3600), Clock()
    client = client_of(fake, clock)
    client.send(FIND)
    clock.now += 3000
    client.send(FIND)
    assert client.logins == 1
    clock.now += 600
    client.send(FIND)
    assert client.logins == 2


def test_a_401_logs_in_again_once_and_retries():
    """An expired token answered 401 gives one fresh login and the same call again."""
    fake = FakePlenty()
    client = client_of(fake)
    client.send(FIND)
    fake.expire_tokens()
    client.send(FIND)
    assert fake.calls == ["login", "find_contact", "find_contact", "login", "find_contact"]


def test_a_second_401_is_permanent():
    """A 401 after a fresh login is Permanent, naming the step."""
    fake = FakePlenty()
    fake.fail("find_contact", 401, times=2)
    with pytest.raises(Permanent, match="find_contact: plentymarkets answered 401 after a fresh login"):
        client_of(fake).send(FIND)


def test_wrong_credentials_are_permanent_without_the_password():
    """A login answered 401 is Permanent; the reason holds neither the user name nor the password."""
    fake = FakePlenty()
    client = Client(fake.config(credentials=UserLogin("who", "wr0ng-pass")), transport=fake)
    with pytest.raises(Permanent) as caught:
        client.send(FIND)
    assert caught.value.reason == "login: plentymarkets answered 401"
    assert "wr0ng-pass" not in repr(client)
    assert repr(client) == "<Client https://plenty.fake>"


@pytest.mark.parametrize(
    "answer",
    [[], {"access_token": ""}, {"token_type": "Bearer"}],
)
def test_a_login_answer_without_a_token_is_permanent(answer):
    """A login answer that is not an object, or holds no token, is Permanent."""

    def handle(_request):
        return httpx.Response(200, json=answer)

    with pytest.raises(Permanent, match="login: the answer holds no token"):
        Client(config(), transport=httpx.MockTransport(handle)).send(FIND)


def test_a_token_without_a_usable_lifetime_lives_an_hour():
    """A lifetime that is not a number is taken as an hour."""
    clock = Clock()

    def handle(request):
        if request.url.path == "/rest/login":
            return httpx.Response(200, json={"accessToken": "t", "expiresIn": "soon"})
        return httpx.Response(200, json={"entries": []})

    client = Client(config(), transport=httpx.MockTransport(handle), clock=clock, sleep=clock.sleep)
    client.send(FIND)
    clock.now += 3500
    client.send(FIND)
    assert client.logins == 1
    clock.now += 100
    client.send(FIND)
    assert client.logins == 2


@pytest.mark.parametrize(
    ("retry_after", "seconds"),
    [
        ("7", 7.0),
        (None, 60.0),
        ("soon", 60.0),
        ("Wed, 21 Oct 2015 07:28:00 -0000", 60.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
    ],
)
def test_429_asks_for_a_retry_after_the_servers_delay(retry_after, seconds):
    """429 is RetryLater: Retry-After in seconds, a past date as now, and without a usable one 60 s."""
    fake = FakePlenty()
    fake.fail("find_contact", 429, retry_after=retry_after)
    with pytest.raises(RetryLater) as caught:
        client_of(fake).send(FIND)
    assert caught.value.seconds == seconds
    assert caught.value.reason == "find_contact: plentymarkets answered 429"


def test_a_future_http_date_in_retry_after_is_honoured():
    """Retry-After as an HTTP date in the future gives the seconds until then."""
    fake = FakePlenty()
    fake.fail("find_contact", 429, retry_after=format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True))
    with pytest.raises(RetryLater) as caught:
        client_of(fake).send(FIND)
    assert 100 < caught.value.seconds <= 120


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_asks_for_a_retry(status):
    """A 5xx is RetryLater, naming the step and the status."""
    fake = FakePlenty()
    fake.fail("find_contact", status)
    with pytest.raises(RetryLater, match=f"find_contact: plentymarkets answered {status}"):
        client_of(fake).send(FIND)


@pytest.mark.parametrize("status", [400, 403, 404, 409, 422])
def test_other_4xx_are_permanent_without_personal_values(status):
    """Another 4xx is Permanent; the reason names the step and the status, not the e-mail it was about."""
    fake = FakePlenty()
    fake.fail("find_contact", status)
    with pytest.raises(Permanent) as caught:
        client_of(fake).send(FIND)
    assert caught.value.reason == f"find_contact: plentymarkets answered {status}"


def test_a_timeout_asks_for_a_retry():
    """A call that times out is RetryLater."""
    fake = FakePlenty()
    fake.time_out("find_contact")
    with pytest.raises(RetryLater, match="find_contact: plentymarkets did not answer in time"):
        client_of(fake).send(FIND)


def test_a_connection_error_asks_for_a_retry():
    """A connection that fails is RetryLater, naming the error's class."""
    transport = answering(httpx.ConnectError("refused"))
    with pytest.raises(RetryLater, match=r"find_contact: no connection to plentymarkets \(ConnectError\)"):
        Client(config(), transport=transport).send(FIND)


def test_every_call_has_a_timeout():
    """The client's calls carry the configured timeout."""
    seen = []

    def handle(request):
        seen.append(request.extensions["timeout"])
        return httpx.Response(200, json={"access_token": "t", "entries": []})

    Client(attrs.evolve(config(), timeout=2.5), transport=httpx.MockTransport(handle)).send(FIND)
    assert seen == [{"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}] * 2


def test_an_answer_that_is_not_json_is_permanent_and_an_empty_one_is_none():
    """A 2xx body that is not JSON is Permanent; an empty body reads as None."""
    transport = answering(httpx.Response(200, content=b"<html>"), httpx.Response(204))
    client = Client(config(), transport=transport)
    with pytest.raises(Permanent, match="find_contact: plentymarkets answered 200 with a body that is not JSON"):
        client.send(FIND)
    assert client.send(FIND) is None


def test_a_redirect_is_permanent():
    """A 3xx is not followed: Permanent."""
    with pytest.raises(Permanent, match="find_contact: plentymarkets answered 302"):
        Client(config(), transport=answering(httpx.Response(302))).send(FIND)


def test_the_client_waits_before_the_last_call_of_a_period():
    """When the headers say one call is left, the next call waits for the period's decay; never a 429."""
    fake, clock = FakePlenty(calls_per_period=3, decay=20), Clock()
    client = client_of(fake, clock)

    def sleep(seconds):
        clock.sleep(seconds)
        fake.new_period()

    client._sleep = sleep
    for _ in range(5):
        client.send(FIND)
    assert clock.slept == [20.0, 20.0]
    assert "429" not in str(fake.calls)


def test_a_limit_longer_than_max_pause_asks_for_a_retry():
    """A wait longer than max_pause (a daily limit) is RetryLater instead of sleeping."""
    headers = {"X-Plenty-Global-Long-Period-Calls-Left": "0", "X-Plenty-Global-Long-Period-Decay": "3600"}
    transport = answering(httpx.Response(200, json={}, headers=headers))
    clock = Clock()
    client = Client(config(), transport=transport, clock=clock, sleep=clock.sleep, max_pause=30)
    client.send(FIND)
    with pytest.raises(RetryLater, match="find_contact: plentymarkets' call limit is reached for 3600 s") as caught:
        client.send(FIND)
    assert caught.value.seconds == 3600
    assert clock.slept == []


def test_limit_headers_that_are_not_numbers_are_ignored():
    """Malformed X-Plenty-* values do not make the client wait."""
    headers = {
        "X-Plenty-Route-Calls-Left": "none",
        "X-Plenty-Route-Decay": "60",
        "X-Plenty-Global-Short-Period-Calls-Left": "0",
    }
    transport = answering(httpx.Response(200, json={}, headers=headers), httpx.Response(200, json={}))
    clock = Clock()
    client = Client(config(), transport=transport, clock=clock, sleep=clock.sleep)
    client.send(FIND)
    client.send(FIND)
    assert clock.slept == []


def test_the_client_closes_with_its_block():
    """Leaving the with block closes the HTTP client."""
    with Client(config(), transport=answering()) as client:
        pass
    assert client._http.is_closed


def test_a_handler_without_a_client_makes_one_of_its_config():
    """TicketHandler(config) makes a Client of the config itself."""
    handler = TicketHandler(config())
    assert isinstance(handler.client, Client)
    assert handler.client.config is handler.config
    assert repr(handler) == "<TicketHandler https://shop.example>"


def test_without_httpx_only_the_client_fails_and_says_which_extra(monkeypatch):
    """Without httpx the builders still import; asking for the Client raises ImportError naming the extra."""
    monkeypatch.setitem(sys.modules, "httpx", None)
    monkeypatch.delitem(sys.modules, "plenty_events.plentymarkets._client")
    assert plentymarkets.find_contact(sample_event()).operation == "find_contact"
    with pytest.raises(ImportError, match=r"pip install 'plenty-events\[plentymarkets\]'"):
        _ = plentymarkets.Client
    monkeypatch.undo()
    assert importlib.import_module("plenty_events.plentymarkets._client").Client is not None


def test_unknown_names_raise_attribute_error():
    """The lazy lookup of the httpx-based names leaves others to AttributeError."""
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = plentymarkets.nope
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = testing.nope
    assert testing.FakePlenty is FakePlenty


def test_a_request_with_any_method_is_sent_as_built():
    """The client sends the request's method, path, query and JSON body as they are."""
    seen = []

    def handle(request):
        seen.append((request.method, request.url.path, dict(request.url.params), request.content))
        return httpx.Response(200, json={"access_token": "t"})

    request = Request("erase", "PUT", "/rest/accounts/contacts/5/anonymize", (("a", "1"),), {"x": 1})
    Client(config(), transport=httpx.MockTransport(handle)).send(request)
    assert seen[1] == ("PUT", "/rest/accounts/contacts/5/anonymize", {"a": "1"}, b'{"x":1}')
