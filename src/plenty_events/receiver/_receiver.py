"""The receiver: token, length, inbox, decoding and handling, framework-free."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from typing import TYPE_CHECKING, Any, TypeAlias

from plenty_events import DecodeError, decode
from plenty_events._errors import shorten

from ._answers import (
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
from ._inbox import MemoryInbox, State

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, MutableMapping, Sequence
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

    from plenty_events import ErrorDetail, Repair, ServicePurchaseEvent, UnknownEvent

    from ._answers import Response
    from ._inbox import Claim, Delivery, Inbox

    Event: TypeAlias = ServicePurchaseEvent | UnknownEvent
    Handler: TypeAlias = Callable[[Event], object]
    Scope: TypeAlias = MutableMapping[str, Any]
    Message: TypeAlias = MutableMapping[str, Any]
    Receive: TypeAlias = Callable[[], Awaitable[Message]]
    Send: TypeAlias = Callable[[Message], Awaitable[None]]
    ASGIApp: TypeAlias = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("plenty_events.receiver")

#: The characters RFC 3986 leaves unreserved: a token made of them reads the
#: same in a raw and in a percent-decoded path.
_TOKEN = re.compile(r"[A-Za-z0-9._~-]{16,}")

#: The states :meth:`Core.replay` runs again. A *handling* one is taken
#: over only when its lease has ended; the claim decides.
_REPLAYED = frozenset({State.RECEIVED, State.REJECTED, State.FAILED, State.HANDLING})

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


class Core:
    """What happens to a body once it is in: store, decode, claim, handle, record."""

    def __init__(self, handler: Handler, inbox: Inbox, *, strict: bool) -> None:
        self.handler = handler
        self.inbox = inbox
        self.strict = strict

    def deliver(self, body: bytes) -> Response:
        """Store the raw body, then judge it; the answer is 2xx only once it is stored."""
        try:
            number = self.inbox.record(body)
        except Exception as exc:  # noqa: BLE001 -- any store failure: not acknowledged, the sender may retry
            log.error("a delivery could not be stored: %s", type(exc).__name__)  # noqa: TRY400 -- no traceback, it may quote the body
            return unavailable()
        log.debug("delivery #%d stored, %d bytes", number, len(body))
        answer = self.judge(number, body, set())
        if answer is None:
            raise AssertionError("a new delivery's event was not tried in this call")
        return answer

    def judge(self, number: int, body: bytes, tried: set[str]) -> Response | None:
        """Decode a stored body and hand its event over; `None` when its event was in `tried`."""
        try:
            event = decode(body, strict=self.strict)
        except DecodeError as exc:
            answer = rejected(exc)
            try:
                self.inbox.reject(number, " ".join(sorted({error.code for error in exc.errors})))
            except Exception as store_exc:  # noqa: BLE001 -- the body is stored as received: replay still finds it
                log.error("delivery #%d: its rejection could not be stored: %s", number, type(store_exc).__name__)  # noqa: TRY400
            log.warning(
                "delivery #%d rejected with %d, %s: %s",
                number,
                answer.status,
                count(len(exc.errors), "error"),
                _findings(exc.errors),
            )
            return answer
        if event.id in tried:
            return None
        tried.add(event.id)
        if event.repairs:
            log.info(
                "delivery #%d, event %s: accepted with %s: %s",
                number,
                quote(event.id),
                count(len(event.repairs), "repair"),
                _findings(event.repairs),
            )
        return self.handle(number, event)

    def handle(self, number: int, event: Event) -> Response:
        """Claim the event, run the handler, record the outcome."""
        try:
            claim = self.inbox.claim(number, event.id)
        except Exception as exc:  # noqa: BLE001 -- as in deliver
            log.error("delivery #%d, event %s: could not be claimed: %s", number, quote(event.id), type(exc).__name__)  # noqa: TRY400
            return unavailable()
        if claim.outcome == "handled":
            log.info("delivery #%d, event %s: handled before, not handled again", number, quote(event.id))
            return already_handled(event.id)
        if claim.outcome == "busy":
            log.info("delivery #%d, event %s: being handled by another attempt", number, quote(event.id))
            return busy(event.id, claim.retry_after)
        try:
            self.handler(event)
        except BaseException as exc:
            # Recorded before anything else: a worker timeout (SystemExit),
            # KeyboardInterrupt or GeneratorExit must not leave the event held.
            self.finish(claim, type(exc).__name__)
            # The type only: an exception's message may quote the payload.
            log.error("delivery #%d, event %s: the handler failed: %s", number, quote(event.id), type(exc).__name__)  # noqa: TRY400
            if not isinstance(exc, Exception):
                raise
            return failed(event.id)
        if not self.finish(claim, None):
            return unavailable()
        log.info("delivery #%d, event %s: handled", number, quote(event.id))
        return accepted(event.id)

    def finish(self, claim: Claim, error: str | None) -> bool:
        """Record the outcome; `False` only when the inbox failed."""
        try:
            held = self.inbox.finish(claim, error)
        except Exception as exc:  # noqa: BLE001 -- as in deliver
            log.error("event %s: its outcome could not be stored: %s", quote(claim.event_id), type(exc).__name__)  # noqa: TRY400
            return False
        if not held:
            log.warning(
                "event %s: finished after its lease ended; another attempt may have handled it too",
                quote(claim.event_id),
            )
        return True

    def replay(self) -> list[tuple[Delivery, Response]]:
        """Judge every received, rejected and failed delivery again, and each stale handling one."""
        done: list[tuple[Delivery, Response]] = []
        tried: set[str] = set()
        for delivery in self.inbox.deliveries(_REPLAYED):
            answer = self.judge(delivery.number, delivery.body, tried)
            if answer is not None:
                done.append((delivery, answer))
        return done


class Receiver:
    """A webhook receiver: checks the token, bounds the body, keeps it, decodes it, hands it over once.

    Every delivery's raw body goes into the inbox before anything answers
    it, also one that is then rejected; the event id is the idempotency key.
    What each outcome is answered with is in the receiving page of the docs.

    Args:
        tokens: The secret path segment, or several (all accepted, for
            rotation). Each is at least 16 characters of `A-Z a-z 0-9 - . _ ~`;
            `secrets.token_urlsafe(32)` makes one.
        handler: Called with each new event: a
            [ServicePurchaseEvent][plenty_events.ServicePurchaseEvent], or
            leniently an [UnknownEvent][plenty_events.UnknownEvent]. It should
            be quick (put the event on a queue); raising anything means
            *not handled*.
        inbox: Where deliveries and event states are kept. The default, a
            [MemoryInbox][plenty_events.receiver.MemoryInbox], does not survive a restart:
            deploy a [SQLiteInbox][plenty_events.receiver.SQLiteInbox].
        strict: Decode in strict mode instead of the lenient default.
        max_body: The largest body accepted, in bytes.

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

    def __init__(
        self,
        *,
        tokens: str | Iterable[str],
        handler: Handler,
        inbox: Inbox | None = None,
        strict: bool = False,
        max_body: int = 1_048_576,
    ) -> None:
        """Set the receiver up; see the class."""
        secrets = (tokens,) if isinstance(tokens, str) else tuple(tokens)
        if not secrets:
            raise ValueError("a receiver needs at least one token")
        for secret in secrets:
            # The message never shows the token.
            if not _TOKEN.fullmatch(secret):
                raise ValueError("a token is at least 16 characters of A-Z, a-z, 0-9, '-', '.', '_' and '~'")
        if max_body < 1:
            raise ValueError("max_body must be a positive number of bytes")
        # Compared as digests: equal lengths, so the compare shows no length either.
        self._digests = tuple(hashlib.sha256(secret.encode("ascii")).digest() for secret in secrets)
        self._max_body = max_body
        self._core = Core(handler, MemoryInbox() if inbox is None else inbox, strict=strict)

    @property
    def inbox(self) -> Inbox:
        """The inbox this receiver keeps deliveries in."""
        return self._core.inbox

    def _known(self, token: str | bytes) -> bool:
        given = token.encode("utf-8", "replace") if isinstance(token, str) else token
        digest = hashlib.sha256(given).digest()
        found = False
        # Every token is compared, with no early exit: the time says nothing about which matched.
        for expected in self._digests:
            found |= hmac.compare_digest(digest, expected)
        return found

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
        return self._core.deliver(bytes(body))

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
        return self._core.deliver(body)

    def asgi_app(self, path_prefix: str = "/webhooks/") -> ASGIApp:
        """Return an ASGI application serving `POST {path_prefix}{token}`.

        It answers as [wsgi_app][plenty_events.receiver.Receiver.wsgi_app] does. The body is
        read as it streams, and reading stops as soon as it passes its
        `Content-Length`, which is at most `max_body`. Decoding and the
        handler run in a worker thread (`asyncio.to_thread`), never on the
        event loop; run it
        under an asyncio server (uvicorn, hypercorn, daphne).
        """
        prefix = _check_prefix(path_prefix)

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "lifespan":
                await _lifespan(receive, send)
                return
            if scope["type"] != "http":
                return
            answer = await self._asgi_answer(scope, receive, prefix)
            if answer is None:  # the client went away
                return
            headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in answer.headers]
            await send({"type": "http.response.start", "status": answer.status, "headers": headers})
            await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else answer.body})

        return app

    async def _asgi_answer(self, scope: Scope, receive: Receive, prefix: str) -> Response | None:
        import asyncio  # noqa: PLC0415 -- only ASGI users pay for importing asyncio

        path: str = scope["path"]
        token = path[len(prefix) :].encode("utf-8", "replace") if path.startswith(prefix) else b""
        lengths = {value for name, value in scope["headers"] if name.lower() == b"content-length"}
        if len(lengths) > 1:
            return bad_length()
        declared = lengths.pop().decode("latin-1") if lengths else None
        admitted = self._admit(token, scope["method"], declared)
        if not isinstance(admitted, int):
            return admitted
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > admitted:
                # Longer than declared: stop reading now, whatever the server would still send.
                return incomplete()
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        if size != admitted:
            return incomplete()
        return await asyncio.to_thread(self._core.deliver, b"".join(chunks))


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
