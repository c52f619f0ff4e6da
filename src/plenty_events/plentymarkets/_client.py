"""A small synchronous client of the plentymarkets REST API over httpx, for exactly the handler's calls."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Final, Self, cast

try:
    import httpx
except ImportError as exc:
    raise ImportError(
        "plenty_events.plentymarkets.Client needs httpx: pip install 'plenty-events[plentymarkets]'"
    ) from exc

from plenty_events.receiver import Permanent, RetryLater

from ._settings import AppClient, Settings

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._requests import Request

log = logging.getLogger("plenty_events.plentymarkets")

#: Seconds to wait after a 429 or a 5xx that names no `Retry-After`.
DEFAULT_RETRY: Final = 60.0
#: A token is used until this many seconds before it expires.
TOKEN_MARGIN: Final = 60.0
#: Calls left at which the client waits for the period's decay.
CALLS_LEFT_MIN: Final = 1
_PERIODS: Final = ("X-Plenty-Global-Short-Period", "X-Plenty-Route", "X-Plenty-Global-Long-Period")


def _seconds(value: str | None) -> float | None:
    """Read `Retry-After`: seconds, or an HTTP date; `None` if neither."""
    if value is None:
        return None
    text = value.strip()
    if text.isdecimal() and len(text) <= 9:
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _integer(value: str | None) -> int | None:
    if value is None or not value.strip().isdecimal() or len(value) > 12:
        return None
    return int(value)


class Client:
    """Calls the plentymarkets REST API for a [TicketHandler][plenty_events.plentymarkets.TicketHandler].

    Logs in with the config's credentials (a back-end user, or an app
    client), keeps the token until shortly before it expires, and logs in
    once more when an answer is 401. It reads the `X-Plenty-*` call-limit
    headers and waits for the period to pass before the last call of a
    limit, or asks for a retry (`RetryLater`) when the wait would be longer
    than `max_pause`. Answers 429 and 5xx, time-outs and connection errors
    raise `plenty_events.receiver.RetryLater`; other 4xx
    `plenty_events.receiver.Permanent`. Each reason names the
    step and the status, never a personal value or the token.

    Args:
        config: The system and the credentials: a
            [PlentyConfig][plenty_events.plentymarkets.PlentyConfig].
        transport: The httpx transport, for instance
            [FakePlenty][plenty_events.plentymarkets.FakePlenty] in tests.
        sleep: How to wait; `time.sleep`.
        clock: A monotonic clock in seconds; `time.monotonic`.
        max_pause: The longest wait for a call limit, in seconds, before
            the client asks for a retry instead.

    Examples:
        >>> from plenty_events.plentymarkets import Client, FakePlenty, find_contact
        >>> from plenty_events.testing import sample_event
        >>> fake = FakePlenty()
        >>> with Client(fake.config(), transport=fake) as client:
        ...     client.send(find_contact(sample_event()))["entries"]
        []

    """

    def __init__(
        self,
        config: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], object] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        max_pause: float = 30.0,
    ) -> None:
        """Make a client; nothing is sent before the first call."""
        self.config = config
        self._http = httpx.Client(
            base_url=config.url,
            transport=transport,
            timeout=httpx.Timeout(config.timeout),
            headers={"Accept": "application/json"},
        )
        self._sleep = sleep
        self._clock = clock
        self._max_pause = max_pause
        self._token: str | None = None
        self._expires = 0.0
        self._pause_until = 0.0
        self.logins = 0
        """How many times the client logged in."""

    def __repr__(self) -> str:
        """Show the system, never the credentials or the token."""
        return f"<Client {self.config.url}>"

    def __enter__(self) -> Self:
        """Use the client in a `with` block, which closes it."""
        return self

    def __exit__(self, *_: object) -> None:
        """Close the client."""
        self.close()

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()

    def send(self, request: Request) -> Any:
        """Send `request`, and return the answer's JSON (`None` for an empty answer).

        Raises:
            RetryLater: 429, 5xx, a time-out, a connection error, or a call
                limit that needs a longer wait than `max_pause`.
            Permanent: Any other 4xx (401 after a fresh login), or an
                answer that is not JSON.

        """
        step = request.operation
        token = self._valid_token()
        response = self._call(step, request, token)
        if response.status_code == 401:
            self._token = None
            response = self._call(step, request, self._valid_token())
            if response.status_code == 401:
                raise Permanent(f"{step}: plentymarkets answered 401 after a fresh login")
        return self._json(step, response)

    def _call(self, step: str, request: Request, token: str) -> httpx.Response:
        self._wait(step)
        return self._exchange(
            step,
            lambda: self._http.request(
                request.method,
                request.path,
                params=list(request.query),
                json=request.body,
                headers={"Authorization": f"Bearer {token}"},
            ),
        )

    def _exchange(self, step: str, call: Callable[[], httpx.Response]) -> httpx.Response:
        try:
            response = call()
        except httpx.TimeoutException:
            raise RetryLater(DEFAULT_RETRY, f"{step}: plentymarkets did not answer in time") from None
        except httpx.TransportError as exc:
            raise RetryLater(DEFAULT_RETRY, f"{step}: no connection to plentymarkets ({type(exc).__name__})") from None
        self._note_limits(response)
        status = response.status_code
        if status == 429 or status >= 500:
            delay = _seconds(response.headers.get("Retry-After"))
            raise RetryLater(DEFAULT_RETRY if delay is None else delay, f"{step}: plentymarkets answered {status}")
        return response

    def _json(self, step: str, response: httpx.Response) -> Any:
        status = response.status_code
        if not 200 <= status < 300:
            raise Permanent(f"{step}: plentymarkets answered {status}")
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise Permanent(f"{step}: plentymarkets answered {status} with a body that is not JSON") from None

    def _wait(self, step: str) -> None:
        wait = self._pause_until - self._clock()
        if wait > self._max_pause:
            raise RetryLater(wait, f"{step}: plentymarkets' call limit is reached for {wait:.0f} s")
        if wait > 0:
            log.info("%s: waiting %.1f s for plentymarkets' call limit", step, wait)
            self._sleep(wait)

    def _note_limits(self, response: httpx.Response) -> None:
        headers = response.headers
        for period in _PERIODS:
            left = _integer(headers.get(f"{period}-Calls-Left"))
            decay = _integer(headers.get(f"{period}-Decay"))
            if left is not None and decay is not None and left <= CALLS_LEFT_MIN:
                self._pause_until = max(self._pause_until, self._clock() + decay)

    def _valid_token(self) -> str:
        if self._token is None or self._clock() >= self._expires:
            self._token, lifetime = self._login()
            self.logins += 1
            self._expires = self._clock() + max(0.0, lifetime - TOKEN_MARGIN)
        return self._token

    def _login(self) -> tuple[str, float]:
        credentials = self.config.credentials
        self._wait("login")
        if isinstance(credentials, AppClient):
            form = {
                "grant_type": "client_credentials",
                "client_id": credentials.client_id,
                "client_secret": credentials.client_secret,
            }
            response = self._exchange("login", lambda: self._http.post(credentials.token_url, data=form))
        else:
            body = {"username": credentials.username, "password": credentials.password}
            response = self._exchange("login", lambda: self._http.post("/rest/login", json=body))
        answer: object = self._json("login", response)
        if not isinstance(answer, dict):
            raise Permanent("login: the answer holds no token")
        answer = cast("dict[str, object]", answer)
        # The docs' example answers snake_case, the spec's TokenData camelCase.
        token = answer.get("access_token", answer.get("accessToken"))
        lifetime = answer.get("expires_in", answer.get("expiresIn", 3600))
        if not isinstance(token, str) or not token:
            raise Permanent("login: the answer holds no token")
        if not isinstance(lifetime, int | float) or isinstance(lifetime, bool):
            lifetime = 3600
        return token, float(lifetime)
