"""The receiver: token, length, inbox, decoding and handling, framework-free."""

from __future__ import annotations

import concurrent.futures
import contextvars
import functools
import hashlib
import hmac
import inspect
import logging
import math
import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeAlias, TypeVar, cast, overload, runtime_checkable

import attrs

from plenty_events import DecodeError, decode
from plenty_events._errors import shorten

from ._answers import (
    Response,
    accepted,
    already_handled,
    bad_length,
    busy,
    failed,
    incomplete,
    length_required,
    method_not_allowed,
    not_found,
    rejected,
    too_large,
    unavailable,
)
from ._inbox import Claim, MemoryInbox, State
from ._outcomes import Backoff, Kind, Outcome, Permanent, RetryLater

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, MutableMapping, Sequence
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

    from plenty_events import Decoder, ErrorDetail, Repair, ServicePurchaseEvent, UnknownEvent

    from ._inbox import Delivery, Inbox, OneCommitInbox, Queued

    Event: TypeAlias = ServicePurchaseEvent | UnknownEvent | Any
    Scope: TypeAlias = MutableMapping[str, Any]
    Message: TypeAlias = MutableMapping[str, Any]
    Receive: TypeAlias = Callable[[], Awaitable[Message]]
    Send: TypeAlias = Callable[[Message], Awaitable[None]]
    ASGIApp: TypeAlias = Callable[[Scope, Receive, Send], Awaitable[None]]

Handler: TypeAlias = Callable[[Any], Awaitable[object] | object]
"""What a [Receiver][plenty_events.receiver.Receiver] or a [Worker][plenty_events.receiver.Worker] calls per event.

A function or an `async def` one, called with the decoded event once per
event id. It returns when the event is handled (its result is ignored);
it raises [RetryLater][plenty_events.receiver.RetryLater] to be called again
later, [Permanent][plenty_events.receiver.Permanent] or anything else to
fail the event.

Example:
    ```pycon
    >>> from plenty_events.receiver import Handler
    >>> def handle(event) -> None:
    ...     print(event.id)
    >>> handler: Handler = handle

    ```
"""

log = logging.getLogger("plenty_events.receiver")

_M = TypeVar("_M")

#: The characters RFC 3986 leaves unreserved: a token made of them reads the
#: same in a raw and in a percent-decoded path.
_TOKEN = re.compile(r"[A-Za-z0-9._~-]{16,}")

#: The states ``Core.replay`` runs again. A *handling* one is taken
#: over only when its lease has ended; the claim decides.
_REPLAYED = frozenset({State.RECEIVED, State.REJECTED, State.PENDING, State.FAILED, State.DEAD, State.HANDLING})

#: Seconds a whole request body may take to arrive, by default, in the ASGI app and the FastAPI router.
BODY_TIMEOUT = 10.0


#: How many findings a log line names; the count says how many more there were.
_LOGGED = 5


def quote(text: str) -> str:
    """A sender's string, fit for one log line: cut short, quoted, newlines and non-ASCII escaped."""
    return ascii(shorten(text, 64))


def count(number: int, noun: str) -> str:
    """``1 error``, ``2 errors``: a number and its noun, singular or plural."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _findings(found: Sequence[ErrorDetail | Repair]) -> str:
    # Paths and codes only: a message may show a hint of a value.
    line = "; ".join(f"{quote(finding.path)} [{finding.code}]" for finding in found[:_LOGGED])
    return line if len(found) <= _LOGGED else f"{line}; and {len(found) - _LOGGED} more"


#: The token name of the delivery being handled, for `current_token_name`.
_TOKEN_NAME: contextvars.ContextVar[str | None] = contextvars.ContextVar("plenty_events_token_name", default=None)


def current_token_name() -> str | None:
    """The name of the token the event being handled came to, inside a handler.

    `None` outside a handler, and for tokens given as a list rather than a
    mapping. It is a context variable, set by the receiver and the worker
    around each handler call (also for an `async def` handler), so a
    handler's signature stays one event.

    Examples:
        >>> from plenty_events.receiver import Receiver, current_token_name
        >>> from plenty_events.testing import sample_payload, to_json
        >>> names = []
        >>> receiver = Receiver(
        ...     tokens={"offer-a": "a-token-of-16-characters"},
        ...     handler=lambda event: names.append(current_token_name()),
        ... )
        >>> receiver.receive("a-token-of-16-characters", to_json(sample_payload())).status, names
        (202, ['offer-a'])

    """
    return _TOKEN_NAME.get()


async def _completed(awaitable: Awaitable[object]) -> object:
    return await awaitable


def wait_for(awaitable: Awaitable[object]) -> object:
    """Run an awaitable to completion from synchronous code, with or without a loop running in this thread."""
    import asyncio  # noqa: PLC0415 -- only async handlers pay for importing asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_completed(awaitable))
    # A loop runs in this thread and is blocked by this call: run the
    # awaitable on a loop of its own, in a thread of its own.
    context = contextvars.copy_context()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(context.run, asyncio.run, _completed(awaitable)).result()


@functools.cache
def _commits_once(kind: type) -> bool:
    """Whether inboxes of this class are a `OneCommitInbox`: asked once per class, not per delivery."""
    return all(callable(getattr(kind, name, None)) for name in ("record_claim", "record_enqueue"))


@attrs.frozen
class Job:
    """An event claimed for handling, with what its outcome needs."""

    claim: Claim
    event: Any
    token_name: str | None


class Core:
    """What happens to a body once it is in: store, decode, claim or enqueue, handle, record."""

    def __init__(  # noqa: PLR0913 -- the receiver's and the worker's settings, all keywords
        self,
        handler: Handler,
        inbox: Inbox,
        *,
        strict: bool,
        decoder: Decoder[Any] | None = None,
        backoff: Backoff | None = None,
        background: bool = False,
        on_dead: Callable[[Outcome], object] | None = None,
        on_outcome: Callable[[Outcome], object] | None = None,
    ) -> None:
        self.handler = handler
        self.inbox = inbox
        self.strict = strict
        self.decoder = decoder
        self.backoff = Backoff() if backoff is None else backoff
        self.background = background
        self.on_dead = on_dead
        self.on_outcome = on_outcome

    def report(self, outcome: Outcome) -> None:
        """Call the hooks; a hook that fails is logged, and changes nothing else."""
        hooks = [self.on_outcome]
        if outcome.kind == "dead":
            hooks.append(self.on_dead)
        for hook in hooks:
            if hook is None:
                continue
            try:
                hook(outcome)
            except Exception as exc:  # noqa: BLE001 -- an observer must not change the outcome
                log.error("an outcome hook failed: %s", type(exc).__name__)  # noqa: TRY400 -- no traceback, it may quote a value

    def decode(self, body: bytes) -> Event:
        """Decode with the decoder if one was given."""
        if self.decoder is not None:
            return self.decoder.decode(body, strict=self.strict)
        return decode(body, strict=self.strict)

    def deliver(self, body: bytes, token_name: str | None = None) -> Response:
        """Store the raw body, then judge it; the answer is 2xx only once it is stored."""
        step = self.start(body, token_name)
        return step if isinstance(step, Response) else self.run(step)

    async def deliver_async(self, body: bytes, token_name: str | None = None) -> Response:
        """As `deliver`, for the ASGI app: the inbox and decoding in a worker thread, an awaitable on the loop."""
        import asyncio  # noqa: PLC0415 -- only ASGI users pay for importing asyncio

        step = await asyncio.to_thread(self.start, body, token_name)
        if isinstance(step, Response):
            return step
        marker = _TOKEN_NAME.set(step.token_name)
        try:
            result = await asyncio.to_thread(self.handler, step.event)
            if inspect.isawaitable(result):
                await result
        except BaseException as exc:
            answer = await asyncio.to_thread(self.complete, step, exc)
            if not isinstance(exc, Exception):
                raise
            return answer
        finally:
            _TOKEN_NAME.reset(marker)
        return await asyncio.to_thread(self.complete, step, None)

    def start(self, body: bytes, token_name: str | None) -> Response | Job:
        """Store the body and judge it: an answer, or the claimed event to handle."""
        if not _commits_once(type(self.inbox)):
            return self.store_then_judge(body, token_name)
        inbox = cast("OneCommitInbox", self.inbox)
        # Decoded before it is stored, so that the body and the claim (or
        # the queueing) of its event go into one synced commit, not two.
        try:
            event = self.decode(body)
        except Exception as exc:  # noqa: BLE001 -- judged after the body is stored, as by the other inboxes
            return self.store_then_judge(body, token_name, exc)
        event_id: str = event.id
        try:
            kept = (
                inbox.record_enqueue(body, token_name, event_id)
                if self.background
                else inbox.record_claim(body, token_name, event_id)
            )
        except Exception as exc:  # noqa: BLE001 -- as in store_then_judge
            log.error("a delivery could not be stored: %s", type(exc).__name__)  # noqa: TRY400 -- no traceback, it may quote the body
            return unavailable()
        number = kept.delivery if isinstance(kept, Claim) else kept[0]
        self.stored(number, body, token_name)
        self.log_repairs(number, event)
        if isinstance(kept, Claim):
            return self.claimed(number, event, token_name, kept)
        return self.queued(number, event_id, kept[1])

    def store_then_judge(self, body: bytes, token_name: str | None, failure: Exception | None = None) -> Response | Job:
        """Store the body, then judge it; `failure` is what decoding it raised already, if it was tried."""
        try:
            number = self.inbox.record(body, token_name)
        except Exception as exc:  # noqa: BLE001 -- any store failure: not acknowledged, the sender may retry
            log.error("a delivery could not be stored: %s", type(exc).__name__)  # noqa: TRY400 -- no traceback, it may quote the body
            return unavailable()
        self.stored(number, body, token_name)
        step = self.judge(number, body, set(), token_name, failure)
        if step is None:
            raise AssertionError("a new delivery's event was not tried in this call")
        return step

    def stored(self, number: int, body: bytes, token_name: str | None) -> None:
        """Log and report a body stored."""
        log.debug("delivery #%d stored, %d bytes", number, len(body))
        self.report(Outcome("received", number, token_name=token_name))

    def judge(
        self, number: int, body: bytes, tried: set[str], token_name: str | None, failure: Exception | None = None
    ) -> Response | Job | None:
        """Decode a stored body and claim or enqueue its event; `None` when its event was in `tried`.

        `failure` is what decoding it raised already, if it was tried: it
        is judged, not decoded again.
        """
        try:
            if failure is not None:
                raise failure
            event = self.decode(body)
        except DecodeError as exc:
            answer = rejected(exc)
            codes = " ".join(sorted({error.code for error in exc.errors}))
            try:
                self.inbox.reject(number, codes)
            except Exception as store_exc:  # noqa: BLE001 -- the body is stored as received: replay still finds it
                log.error("delivery #%d: its rejection could not be stored: %s", number, type(store_exc).__name__)  # noqa: TRY400
            log.warning(
                "delivery #%d rejected with %d, %s: %s",
                number,
                answer.status,
                count(len(exc.errors), "error"),
                _findings(exc.errors),
            )
            self.report(Outcome("rejected", number, token_name=token_name, error=codes))
            return answer
        event_id: str = event.id
        if event_id in tried:
            return None
        tried.add(event_id)
        self.log_repairs(number, event)
        if self.background:
            return self.enqueue(number, event_id)
        return self.claim(number, event, token_name)

    def log_repairs(self, number: int, event: Event) -> None:
        """Log what lenient decoding repaired, by path and code."""
        repairs: Sequence[Repair] = getattr(event, "repairs", ())
        if repairs:
            log.info(
                "delivery #%d, event %s: accepted with %s: %s",
                number,
                quote(event.id),
                count(len(repairs), "repair"),
                _findings(repairs),
            )

    def enqueue(self, number: int, event_id: str) -> Response:
        """Leave the event for the worker, and answer at once."""
        try:
            queued = self.inbox.enqueue(number, event_id)
        except Exception as exc:  # noqa: BLE001 -- as in start
            log.error("delivery #%d, event %s: could not be queued: %s", number, quote(event_id), type(exc).__name__)  # noqa: TRY400
            return unavailable()
        return self.queued(number, event_id, queued)

    def queued(self, number: int, event_id: str, queued: Queued) -> Response:
        """The answer to an event left for the worker."""
        if queued == "handled":
            log.info("delivery #%d, event %s: handled before, not handled again", number, quote(event_id))
            return already_handled(event_id)
        log.info("delivery #%d, event %s: %s for the worker", number, quote(event_id), queued)
        return accepted(event_id)

    def claim(self, number: int, event: Event, token_name: str | None) -> Response | Job:
        """Claim the event for handling in this call."""
        try:
            claim = self.inbox.claim(number, event.id)
        except Exception as exc:  # noqa: BLE001 -- as in start
            log.error("delivery #%d, event %s: could not be claimed: %s", number, quote(event.id), type(exc).__name__)  # noqa: TRY400
            return unavailable()
        return self.claimed(number, event, token_name, claim)

    def claimed(self, number: int, event: Event, token_name: str | None, claim: Claim) -> Response | Job:
        """The answer to a claim, or the job to run when it holds the event."""
        if claim.outcome == "handled":
            log.info("delivery #%d, event %s: handled before, not handled again", number, quote(event.id))
            return already_handled(event.id)
        if claim.outcome == "busy":
            log.info("delivery #%d, event %s: being handled by another attempt", number, quote(event.id))
            return busy(event.id, claim.retry_after)
        return Job(claim, event, token_name)

    def run(self, job: Job) -> Response:
        """Run the handler, awaiting what it returns, and record the outcome."""
        return self.run_job(job)[0]

    def run_job(self, job: Job) -> tuple[Response, Kind | None]:
        """As `run`, with what became of the event (`None` when that was not recorded)."""
        marker = _TOKEN_NAME.set(job.token_name)
        try:
            result = self.handler(job.event)
            if inspect.isawaitable(result):
                wait_for(result)
        except BaseException as exc:
            # Recorded before anything else: a worker timeout (SystemExit),
            # KeyboardInterrupt or GeneratorExit must not leave the event held.
            settled = self.settle(job, exc)
            if not isinstance(exc, Exception):
                raise
            return settled
        finally:
            _TOKEN_NAME.reset(marker)
        return self.settle(job, None)

    def complete(self, job: Job, exc: BaseException | None) -> Response:
        """Record the outcome of a handler run: handled, failed (due again later) or dead."""
        return self.settle(job, exc)[0]

    def settle(self, job: Job, exc: BaseException | None) -> tuple[Response, Kind | None]:
        """As `complete`, with what became of the event."""
        claim, number, event_id = job.claim, job.claim.delivery, job.claim.event_id
        outcome, retry_in = self.outcome(job, exc)
        if outcome.kind == "handled":
            held = self.finish(claim, None)
            if held is None:
                return unavailable(), None
            log.info("delivery #%d, event %s: handled", number, quote(event_id))
            if held:
                self.report(outcome)
            return accepted(event_id), "handled" if held else None
        dead = outcome.kind == "dead"
        held = self.finish(claim, outcome.error, retry_in=retry_in, dead=dead, reason=outcome.reason)
        # The type only: an exception's message may quote the payload.
        log.error(
            "delivery #%d, event %s: the handler failed: %s, attempt %d, %s",
            number,
            quote(event_id),
            outcome.error,
            claim.attempts,
            "dead" if dead else f"due again in {retry_in:.0f} s",
        )
        if held:
            self.report(outcome)
        return failed(event_id), outcome.kind if held else None

    def outcome(self, job: Job, exc: BaseException | None) -> tuple[Outcome, float]:
        """What the exception, or none, makes of this attempt, and the delay before a retry."""
        claim = job.claim
        number, event_id, token_name, attempts = claim.delivery, claim.event_id, job.token_name, claim.attempts
        if exc is None:
            return Outcome("handled", number, event_id, token_name, attempts), 0.0
        error = type(exc).__name__
        if isinstance(exc, Permanent):
            return Outcome("dead", number, event_id, token_name, attempts, error, shorten(exc.reason, 200)), 0.0
        if self.backoff.gives_up(attempts):
            return Outcome("dead", number, event_id, token_name, attempts, error, "max attempts"), 0.0
        reason: str | None = None
        if isinstance(exc, RetryLater):
            retry_in, reason = exc.seconds, shorten(exc.reason, 200) or None
        else:
            retry_in = self.backoff.delay(attempts)
        due_at = datetime.now(UTC) + timedelta(seconds=retry_in)
        return Outcome("failed", number, event_id, token_name, attempts, error, reason, due_at), retry_in

    def finish(
        self, claim: Claim, error: str | None, *, retry_in: float = 0.0, dead: bool = False, reason: str | None = None
    ) -> bool | None:
        """Record the outcome: `True` when recorded, `False` when the lease was lost, `None` when the inbox failed."""
        try:
            held = self.inbox.finish(claim, error, retry_in=retry_in, dead=dead, reason=reason)
        except Exception as exc:  # noqa: BLE001 -- as in start
            log.error("event %s: its outcome could not be stored: %s", quote(claim.event_id), type(exc).__name__)  # noqa: TRY400
            return None
        if not held:
            log.warning(
                "event %s: finished after its lease ended; another attempt may have handled it too",
                quote(claim.event_id),
            )
        return held

    def work(self, claim: Claim) -> Kind | None:
        """Handle an event the worker took; return what became of it (`None`: nothing was recorded)."""
        job = Job(claim, None, claim.token_name)
        if claim.body is None:
            return self.bury(job, "Purged", "every delivery of it was purged")
        try:
            event = self.decode(claim.body)
        except DecodeError:
            return self.bury(job, "DecodeError", "its body does not decode any more")
        return self.run_job(Job(claim, event, claim.token_name))[1]

    def bury(self, job: Job, error: str, reason: str) -> Kind | None:
        """Record as dead an event the worker cannot even hand over."""
        claim = job.claim
        if not self.finish(claim, error, dead=True, reason=reason):
            return None
        log.error("event %s: dead: %s", quote(claim.event_id), reason)
        self.report(Outcome("dead", claim.delivery, claim.event_id, job.token_name, claim.attempts, error, reason))
        return "dead"

    def replay(self) -> list[tuple[Delivery, Response]]:
        """Judge every waiting delivery again, inline; see `replaying`."""
        return list(self.replaying())

    def replaying(self) -> Iterator[tuple[Delivery, Response]]:
        """Judge every waiting delivery again (received, rejected, pending, failed, dead, stale handling), inline.

        Yields each delivery and its answer as soon as it is judged, so a
        handler that stops the process leaves what came before reported.
        """
        tried: set[str] = set()
        for delivery in self._waiting():
            step = self.judge(delivery.number, delivery.body, tried, delivery.token_name)
            if isinstance(step, Job):
                step = self.run(step)
            if step is not None:
                yield delivery, step

    def _waiting(self) -> Iterator[Delivery]:
        """The deliveries to replay, each with its body read when its turn comes, where the inbox can."""
        if not isinstance(self.inbox, BodyReader):
            yield from self.inbox.deliveries(_REPLAYED)
            return
        # The list holds no body: a replay holds one at a time, whatever the inbox stores.
        for delivery in self.inbox.deliveries(_REPLAYED, bodies=False):
            body = self.inbox.body(delivery.number)
            if body is not None:  # purged since it was listed
                yield attrs.evolve(delivery, body=body)


@runtime_checkable
class BodyReader(Protocol):
    """An inbox that reads one delivery's body on its own (SQLiteInbox), so that a replay never holds them all."""

    def body(self, delivery: int) -> bytes | None:
        """The delivery's raw body; `None` when it is not stored (purged)."""
        ...


class Receiver:
    """A webhook receiver: checks the token, bounds the body, keeps it, decodes it, hands it over once.

    Every delivery's raw body goes into the inbox before anything answers
    it, also one that is then rejected; the event id is the idempotency key.
    What each outcome is answered with is in the receiving page of the docs.

    Args:
        tokens: The secret path segment, or several (all accepted, for
            rotation), or a mapping `{name: token}`: the matched name is then
            stored with each delivery (`Delivery.token_name`), passed in the
            outcome records, and given to the handler by
            [current_token_name][plenty_events.receiver.current_token_name]. Each token is
            at least 16 characters of `A-Z a-z 0-9 - . _ ~`;
            `secrets.token_urlsafe(32)` makes one.
        handler: Called with each new event: a
            [ServicePurchaseEvent][plenty_events.ServicePurchaseEvent], or
            leniently an [UnknownEvent][plenty_events.UnknownEvent], or a model
            registered with `decoder`. A plain function or an `async def` one
            (its awaitable is awaited to completion before the outcome is
            recorded); a [Router][plenty_events.receiver.Router] is one too.
            Raising anything means *not handled*: `RetryLater` and `Permanent`
            steer the retries.
        inbox: Where deliveries and event states are kept. The default, a
            [MemoryInbox][plenty_events.receiver.MemoryInbox], does not survive a restart:
            deploy a [SQLiteInbox][plenty_events.receiver.SQLiteInbox].
        strict: Decode in strict mode instead of the lenient default.
        max_body: The largest body accepted, in bytes.
        decoder: A [Decoder][plenty_events.Decoder] with registered models, to decode with.
        background: Answer 202 as soon as the event is stored, and leave the
            handling to a [Worker][plenty_events.receiver.Worker] on the same inbox.
        backoff: When a failed event is due again, and after how many
            attempts it is dead (the default `Backoff()` when not given).
        on_outcome: Called with an [Outcome][plenty_events.receiver.Outcome] per
            outcome: received, rejected, handled, failed, dead.
        on_dead: Called once with the `"dead"` outcome of each event that dies here.

    Raises:
        ValueError: For no token, a token too short or with other
            characters, or a `max_body` that is not positive.

    Examples:
        A token accepted twice, during a rotation; a redelivery is
        acknowledged, and not handled again:

        >>> import plenty_events
        >>> from plenty_events.testing import sample_payload, to_json
        >>> handled = []
        >>> tokens = ["new-token-0123456789", "old-token-0123456789"]
        >>> receiver = Receiver(tokens=tokens, handler=handled.append)
        >>> body = to_json(sample_payload())
        >>> receiver.receive("old-token-0123456789", body).status
        202
        >>> receiver.receive("old-token-0123456789", body).body
        b'{"status":"already handled","id":"evt_553ea8a294e2d3a75d5086a06fb53f5a"}'
        >>> len(handled)
        1

    """

    @overload
    def __init__(
        self,
        *,
        tokens: str | Iterable[str] | Mapping[str, str],
        handler: Callable[[ServicePurchaseEvent], Awaitable[object] | object],
        inbox: Inbox | None = None,
        strict: Literal[True],
        max_body: int = 1_048_576,
        decoder: None = None,
        background: bool = False,
        backoff: Backoff | None = None,
        on_outcome: Callable[[Outcome], object] | None = None,
        on_dead: Callable[[Outcome], object] | None = None,
    ) -> None: ...
    @overload
    def __init__(
        self,
        *,
        tokens: str | Iterable[str] | Mapping[str, str],
        handler: Callable[[ServicePurchaseEvent | UnknownEvent], Awaitable[object] | object],
        inbox: Inbox | None = None,
        strict: bool = False,
        max_body: int = 1_048_576,
        decoder: None = None,
        background: bool = False,
        backoff: Backoff | None = None,
        on_outcome: Callable[[Outcome], object] | None = None,
        on_dead: Callable[[Outcome], object] | None = None,
    ) -> None: ...
    @overload
    def __init__(
        self,
        *,
        tokens: str | Iterable[str] | Mapping[str, str],
        handler: Callable[[_M | ServicePurchaseEvent | UnknownEvent], Awaitable[object] | object],
        inbox: Inbox | None = None,
        strict: bool = False,
        max_body: int = 1_048_576,
        decoder: Decoder[_M],
        background: bool = False,
        backoff: Backoff | None = None,
        on_outcome: Callable[[Outcome], object] | None = None,
        on_dead: Callable[[Outcome], object] | None = None,
    ) -> None: ...
    def __init__(  # noqa: PLR0913 -- keywords only, each documented
        self,
        *,
        tokens: str | Iterable[str] | Mapping[str, str],
        handler: Handler,
        inbox: Inbox | None = None,
        strict: bool = False,
        max_body: int = 1_048_576,
        decoder: Decoder[Any] | None = None,
        background: bool = False,
        backoff: Backoff | None = None,
        on_outcome: Callable[[Outcome], object] | None = None,
        on_dead: Callable[[Outcome], object] | None = None,
    ) -> None:
        """Set the receiver up; see the class."""
        if isinstance(tokens, Mapping):
            given = cast("Mapping[str, str]", tokens)
            named: tuple[tuple[str | None, str], ...] = tuple((str(name), secret) for name, secret in given.items())
        else:
            named = tuple((None, secret) for secret in ((tokens,) if isinstance(tokens, str) else tuple(tokens)))
        if not named:
            raise ValueError("a receiver needs at least one token")
        for _, secret in named:
            # The message never shows the token.
            if not _TOKEN.fullmatch(secret):
                raise ValueError("a token is at least 16 characters of A-Z, a-z, 0-9, '-', '.', '_' and '~'")
        if max_body < 1:
            raise ValueError("max_body must be a positive number of bytes")
        # Compared as digests: equal lengths, so the compare shows no length either.
        self._digests = tuple(hashlib.sha256(secret.encode("ascii")).digest() for _, secret in named)
        self._names = tuple(name for name, _ in named)
        self._max_body = max_body
        self._core = Core(
            handler,
            MemoryInbox() if inbox is None else inbox,
            strict=strict,
            decoder=decoder,
            backoff=backoff,
            background=background,
            on_dead=on_dead,
            on_outcome=on_outcome,
        )

    @property
    def inbox(self) -> Inbox:
        """The inbox this receiver keeps deliveries in."""
        return self._core.inbox

    def _match(self, token: str | bytes) -> int:
        """The index of the matching token, or -1."""
        given = token.encode("utf-8", "replace") if isinstance(token, str) else token
        digest = hashlib.sha256(given).digest()
        found = -1
        # Every token is compared, with no early exit: the time says nothing about which matched.
        for index, expected in enumerate(self._digests):
            if hmac.compare_digest(digest, expected):
                found = index
        return found

    def _known(self, token: str | bytes) -> bool:
        return self._match(token) >= 0

    def _name_of(self, token: str | bytes) -> str | None:
        """The name of the matching token, for a token already known to match."""
        return self._names[self._match(token)]

    def _length(self, declared: int | str) -> int | Response:
        """The declared Content-Length as a number, or the answer refusing it."""
        if isinstance(declared, str):
            text = declared.strip(" \t")
            # isdigit alone accepts "²" and other digits int() refuses.
            if not (text.isascii() and text.isdigit()):
                return bad_length()
            digits = text.lstrip("0") or "0"
            if len(digits) > len(str(self._max_body)):
                # Refused before int(): a 10,000-digit length must not meet int_max_str_digits.
                return too_large(self._max_body)
            declared = int(digits)
        elif isinstance(declared, bool) or declared < 0:
            return bad_length()
        if declared > self._max_body:
            return too_large(self._max_body)
        return declared

    def receive(
        self,
        token: str | bytes,
        body: bytes | bytearray | memoryview,
        *,
        content_length: int | str | None = None,
    ) -> Response:
        """Answer one delivery: the framework-free core that the apps and integrations call.

        Args:
            token: The path segment the delivery came to.
            body: The raw request body, as the framework read it. Read at
                most `max_body + 1` bytes: a longer body is refused anyway.
            content_length: The request's `Content-Length` as sent (the
                header's text, or a number), when the framework gives it;
                then the body must have that length.

        Returns:
            The answer to send, with status, headers and JSON body.

        """
        if not self._known(token):
            log.debug("refused a delivery to an unknown token")
            return not_found()
        size = len(body)
        if content_length is not None:
            declared = self._length(content_length)
            if not isinstance(declared, int):
                return declared
            if declared != size:
                return incomplete()
        if size > self._max_body:
            return too_large(self._max_body)
        return self._core.deliver(bytes(body), self._name_of(token))

    def _admit(self, token: str | bytes, method: str, content_length: str | None) -> int | Response:
        """What the apps check before reading a body: token, method, declared length."""
        if not self._known(token):
            log.debug("refused a request to an unknown path or token")
            return not_found()
        if method != "POST":
            return method_not_allowed()
        if not content_length:
            return length_required()
        return self._length(content_length)

    def wsgi_app(self, path_prefix: str = "/webhooks/") -> WSGIApplication:
        """Return a WSGI application serving `POST {path_prefix}{token}`.

        Any other path is 404, another method 405 (`HEAD` without a body);
        a request without `Content-Length` is 411, and the body is read by
        its length, never past `max_body`.

        Examples:
            A first try with the standard library's server; the receiving
            page of the docs shows servers for production:

            >>> from wsgiref.simple_server import make_server
            >>> from plenty_events.receiver import Receiver
            >>> app = Receiver(tokens="a-token-of-16-characters", handler=print).wsgi_app()
            >>> server = make_server("127.0.0.1", 0, app)
            >>> server.server_close()

        """
        prefix = _check_prefix(path_prefix)

        def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            answer = self._wsgi_answer(environ, prefix)
            start_response(f"{answer.status} {answer.reason}", list(answer.headers))
            return [] if environ.get("REQUEST_METHOD") == "HEAD" else [answer.body]

        return app

    def _wsgi_answer(self, environ: WSGIEnvironment, prefix: str) -> Response:
        path: str = environ.get("PATH_INFO", "")
        # PEP 3333 hands the path over as latin-1: its bytes are the raw UTF-8.
        # A path outside the prefix is checked as an empty token, which no token
        # is: one code path, one timing.
        token = path[len(prefix) :].encode("latin-1", "replace") if path.startswith(prefix) else b""
        admitted = self._admit(token, environ.get("REQUEST_METHOD", ""), environ.get("CONTENT_LENGTH"))
        if not isinstance(admitted, int):
            return admitted
        body = read_body(environ["wsgi.input"].read, admitted)
        if len(body) != admitted:
            return incomplete()
        return self._core.deliver(body, self._name_of(token))

    def asgi_app(self, path_prefix: str = "/webhooks/", *, body_timeout: float = BODY_TIMEOUT) -> ASGIApp:
        """Return an ASGI application serving `POST {path_prefix}{token}`.

        It answers as [wsgi_app][plenty_events.receiver.Receiver.wsgi_app] does. The body is
        read as it streams, and reading stops as soon as it passes its
        `Content-Length`, which is at most `max_body`, or when the whole body
        took longer than `body_timeout` seconds (10 by default) to arrive:
        a stalled or trickled body is answered 400. An answer given before
        the body was read whole (404, 405, 411, 413, 400) says
        `Connection: close`, so that the server closes the connection rather
        than read the rest as a new request. Decoding, the inbox
        and a plain handler run in a worker thread (`asyncio.to_thread`),
        never on the event loop; an `async def` handler is awaited on the loop. Run it
        under an asyncio server (uvicorn, hypercorn, daphne).

        Raises:
            ValueError: For a `body_timeout` that is not a positive, finite number.

        """
        prefix = _check_prefix(path_prefix)
        timeout = check_body_timeout(body_timeout)

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "lifespan":
                await _lifespan(receive, send)
                return
            if scope["type"] != "http":
                return
            answer = await self._asgi_answer(scope, receive, prefix, timeout)
            if answer is None:  # the client went away
                return
            headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in answer.headers]
            await send({"type": "http.response.start", "status": answer.status, "headers": headers})
            await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else answer.body})

        return app

    async def _asgi_answer(self, scope: Scope, receive: Receive, prefix: str, limit: float) -> Response | None:
        path: str = scope["path"]
        token = path[len(prefix) :].encode("utf-8", "replace") if path.startswith(prefix) else b""
        lengths = {value for name, value in scope["headers"] if name.lower() == b"content-length"}
        if len(lengths) > 1:
            return closing(bad_length())
        declared = lengths.pop().decode("latin-1") if lengths else None
        admitted = self._admit(token, scope["method"], declared)
        if not isinstance(admitted, int):
            return closing(admitted)
        body = await _read_asgi_body(receive, admitted, limit)
        if body is None:
            return None
        if len(body) != admitted:
            return closing(incomplete())
        return await self._core.deliver_async(body, self._name_of(token))


async def _read_asgi_body(receive: Receive, admitted: int, limit: float) -> bytes | None:
    """The body, at most one chunk past `admitted`; shorter when not in within `limit` s; `None` on a disconnect."""
    import asyncio  # noqa: PLC0415 -- only ASGI users pay for importing asyncio

    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(limit):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return None
                chunk: bytes = message.get("body", b"")
                size += len(chunk)
                chunks.append(chunk)
                # Longer than declared: stop reading now, whatever the server would still send.
                if size > admitted or not message.get("more_body", False):
                    break
    except TimeoutError:
        log.debug("a body took longer than %s s to arrive", limit)
    return b"".join(chunks)


def check_body_timeout(seconds: object) -> float:
    """`seconds`, when it is a positive, finite number of seconds to read a body in."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 < seconds < math.inf:
        raise ValueError("body_timeout must be a positive, finite number of seconds")
    return float(seconds)


def closing(answer: Response) -> Response:
    """`answer`, saying `Connection: close`: given before the body was read whole, the rest must not be parsed."""
    return attrs.evolve(answer, headers=(*answer.headers, ("Connection", "close")))


def _check_prefix(prefix: str) -> str:
    if not (prefix.startswith("/") and prefix.endswith("/")):
        raise ValueError("the path prefix starts and ends with '/'")
    return prefix


def read_body(read: Callable[[int], bytes], length: int) -> bytes:
    """Read up to `length` bytes with `read`; fewer when the body ends or stalls first.

    Never asks for more than `length` bytes, so a body cannot grow past
    the bound however the stream behaves.
    """
    chunks: list[bytes] = []
    remaining = length
    try:
        while remaining:
            chunk = read(min(remaining, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    except OSError:  # a socket timeout: the client stopped sending
        pass
    return b"".join(chunks)


def admit(receiver: Receiver, token: str | bytes, method: str, content_length: str | None) -> int | Response:
    """What a framework integration checks before it reads a body: token, method, declared length.

    Returns:
        The declared length, at most `max_body`, when the body may be
        read; else the answer that refuses the request (404, 405, 411, 400, 413).

    """
    # The integrations' entry into the receiver, kept off its public API.
    return receiver._admit(token, method, content_length)  # noqa: SLF001  # pyright: ignore[reportPrivateUsage]


async def _lifespan(receive: Receive, send: Send) -> None:
    # Nothing to start or stop: an inbox opens its connections when first used.
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
