"""How handling ends: what a handler raises to steer its retries, the retry schedule, and the outcome records."""

from __future__ import annotations

import math
import random
from datetime import datetime
from typing import Literal

import attrs


class RetryLater(Exception):  # noqa: N818 -- named for what the handler asks, as `Permanent` is
    """Raised by a handler: this event failed for now; try it again in `seconds`.

    For an answer such as HTTP 429 with `Retry-After` from an API the handler
    calls. The event is retried no sooner than `seconds` from now.

    Args:
        seconds: The delay asked for, finite and not negative.
        reason: Why, for the inbox and the logs. It must hold no personal value.

    Examples:
        >>> from plenty_events.receiver import RetryLater
        >>> RetryLater(30, "plentymarkets answered 429")
        RetryLater(30.0, 'plentymarkets answered 429')

    """

    def __init__(self, seconds: float, reason: str = "") -> None:
        """Ask for a retry in `seconds`."""
        seconds = float(seconds)
        if not (math.isfinite(seconds) and seconds >= 0):
            msg = f"seconds must be finite and not negative, not {seconds!r}"
            raise ValueError(msg)
        super().__init__(seconds, reason)
        self.seconds = seconds
        self.reason = reason

    def __repr__(self) -> str:
        """Show the delay and the reason."""
        return f"RetryLater({self.seconds!r}, {self.reason!r})"


class Permanent(Exception):  # noqa: N818 -- the outcome it asks for, read as `raise Permanent(...)`
    """Raised by a handler: this event cannot succeed by retrying; stop now.

    Args:
        reason: Why, for the inbox, the logs and the dead-letter record. It
            must hold no personal value.

    Examples:
        >>> from plenty_events.receiver import Permanent
        >>> Permanent("plentymarkets answered 422 to the ticket")
        Permanent('plentymarkets answered 422 to the ticket')

    """

    def __init__(self, reason: str) -> None:
        """Say why the event cannot succeed."""
        super().__init__(reason)
        self.reason = reason

    def __repr__(self) -> str:
        """Show the reason."""
        return f"Permanent({self.reason!r})"


def _finite(name: str, value: float, low: float) -> float:
    value = float(value)
    if not (math.isfinite(value) and value >= low):
        msg = f"{name} must be a finite number of at least {low:g}, not {value!r}"
        raise ValueError(msg)
    return value


def _seconds(value: float) -> float:
    return _finite("a delay", value, 0)


def _factor(value: float) -> float:
    return _finite("factor", value, 1)


def _fraction(value: float) -> float:
    fraction = _finite("jitter", value, 0)
    if fraction > 1:
        raise ValueError("jitter must be from 0 to 1")
    return fraction


def _attempts(value: int) -> int:
    if isinstance(value, bool) or value < 1:
        raise ValueError("max_attempts must be a whole number of at least 1")
    return value


@attrs.frozen
class Backoff:
    """When a failed event is tried again, and how often before it is dead.

    Attempt `n` that fails is retried after `first * factor ** (n - 1)`
    seconds, at most `max_delay`, each delay shortened by a random part of
    up to `jitter` of it (so that events failed together do not all come
    back at once). After `max_attempts` attempts the event is *dead*.

    Attributes:
        first: The delay after the first failure, in seconds; 0 for tests.
        factor: How much each delay grows, at least 1.
        max_delay: The longest delay, in seconds.
        max_attempts: How many attempts an event gets, at least 1.
        jitter: The random part, from 0 (none) to 1 (a delay anywhere from 0 to its full length).

    Raises:
        ValueError: For a value out of its range, or not finite.

    Examples:
        >>> from plenty_events.receiver import Backoff
        >>> backoff = Backoff(first=10, factor=3, max_delay=60, max_attempts=5, jitter=0)
        >>> [backoff.delay(attempt) for attempt in (1, 2, 3)], backoff.gives_up(5)
        ([10.0, 30.0, 60.0], True)

    """

    first: float = attrs.field(default=1.0, converter=_seconds)
    factor: float = attrs.field(default=2.0, converter=_factor)
    max_delay: float = attrs.field(default=3600.0, converter=_seconds)
    max_attempts: int = attrs.field(default=10, converter=_attempts)
    jitter: float = attrs.field(default=0.25, converter=_fraction)

    def delay(self, attempt: int) -> float:
        """The seconds to wait after attempt number `attempt` (1 for the first) failed."""
        # Capped before it can overflow: factor ** attempt grows past any float.
        exponent = min(attempt - 1, 1024)
        try:
            full = min(self.max_delay, self.first * self.factor**exponent)
        except OverflowError:
            full = self.max_delay
        return full * (1 - self.jitter * random.random())  # noqa: S311 -- spreading retries, not a secret

    def gives_up(self, attempts: int) -> bool:
        """Whether an event that failed `attempts` times is dead."""
        return attempts >= self.max_attempts


#: What an outcome record reports.
Kind = Literal["received", "rejected", "handled", "failed", "dead"]


@attrs.frozen
class Outcome:
    """What happened to a delivery or an event, for a hook: no body, no personal value.

    `Receiver(on_outcome=...)` and [Worker][plenty_events.receiver.Worker] call
    their hook with one of these per outcome; `on_dead` is called with the
    `"dead"` one. Enough for a metrics counter, a log line or a tracing span.

    Attributes:
        kind: `"received"` (the body is stored), `"rejected"` (it did not decode),
            `"handled"`, `"failed"` (retried at `due_at`) or `"dead"`.
        delivery: The delivery's number in the inbox.
        event_id: The event's id (not personal data); `None` before decoding.
        token_name: The name of the token the delivery came to, if named.
        attempts: For handled, failed and dead: which attempt this was.
        error: For rejected, the error codes; for failed and dead, the exception's type.
        reason: For failed and dead, the reason given (`RetryLater`, `Permanent`) or `"max attempts"`.
        due_at: For failed, when the event is due again.

    Examples:
        >>> from plenty_events.receiver import Outcome
        >>> outcome = Outcome("dead", 7, "evt_1", attempts=3, error="TimeoutError", reason="max attempts")
        >>> outcome.kind, outcome.event_id, outcome.attempts, outcome.reason
        ('dead', 'evt_1', 3, 'max attempts')

    """

    kind: Kind
    delivery: int
    event_id: str | None = None
    token_name: str | None = None
    attempts: int = 0
    error: str | None = None
    reason: str | None = None
    due_at: datetime | None = None
