r"""A minimal receiver for plentyMarketplace service-purchase webhooks, standard library only.

plentymarkets signs nothing: the webhook carries no signature, no shared
secret and no auth header. The only secret a receiver can have is the URL it
gives plentymarkets. So this receiver listens on ``POST /webhooks/<token>``
and answers every other path with 404, whether the token was wrong or the
path never existed.

What it does for each request, in this order:

1. The path must be ``/webhooks/<token>``; the token is compared with
   :func:`hmac.compare_digest` (constant time). Anything else: 404.
2. The method must be POST: 405 with ``Allow: POST``.
3. The body is read by its ``Content-Length`` and never past
   :data:`MAX_BODY` (1 MiB): no length is 411, a length over the limit is 413
   before a byte of the body is read, a short body is 400.
4. The body is decoded leniently (:func:`plenty_events.decode`). JSON that
   does not parse is 400, a payload that breaks the wire format is 422, both
   with the error list ``{"errors": [{"path", "code", "message"}, ...]}``.
   Repairs are logged in one line, without personal data.
5. The event ``id`` is the idempotency key: a delivery whose id was seen
   before is acknowledged with 200 and not handled again.
6. The handler runs, and the answer is 202 with a tiny JSON body. If the
   handler raises, the id is released (so a redelivery can try again) and the
   answer is 500.

The handler should be quick: put the event on a queue and return. The
sender's timeout is not documented, so answer in well under a second.

Run it (any WSGI server works; this uses :mod:`wsgiref`)::

    PLENTY_WEBHOOK_TOKEN="$(python -c 'import secrets; print(secrets.token_urlsafe(32))')" \
        python examples/receiver.py 8000

and enter ``https://<your host>/webhooks/<the token>`` as the offer's Webhook
URL, behind a TLS-terminating proxy. The token is in the URL, so keep it out
of access logs: the server below logs the path with the token masked.

Use it as a module::

    from receiver import make_app

    app = make_app(token, handle=queue.put)

"""

from __future__ import annotations

import hmac
import json
import logging
import os
import sys
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Protocol
from wsgiref.simple_server import WSGIRequestHandler, make_server

import plenty_events

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

    Event = plenty_events.ServicePurchaseEvent | plenty_events.UnknownEvent

#: The largest body accepted. The documented payload is under 1 KB; an order
#: with hundreds of items stays far below this.
MAX_BODY = 1024 * 1024

PREFIX = "/webhooks/"
TOKEN_VARIABLE = "PLENTY_WEBHOOK_TOKEN"  # noqa: S105 -- a name, not a secret

#: Error codes that mean "not JSON at all" (400) rather than "JSON, but not
#: this wire format" (422).
_NOT_JSON = frozenset({"json_invalid", "json_depth"})

log = logging.getLogger("plenty_events.receiver")


class IdempotencyStore(Protocol):
    """Remembers which event ids were handled. Replace the in-memory one with a shared store.

    A database table with a unique key on the id, or Redis ``SET key 1 NX EX
    <ttl>``, implements the same two calls for several processes.
    """

    def claim(self, key: str) -> bool:
        """Record ``key``; return ``False`` if it was recorded before."""
        ...

    def release(self, key: str) -> None:
        """Forget ``key``, so that a redelivery is handled again."""
        ...


class MemoryStore:
    """An :class:`IdempotencyStore` in the memory of one process, thread-safe.

    It remembers the last ``max_keys`` ids, so memory stays bounded however
    many events arrive.
    """

    def __init__(self, max_keys: int = 100_000) -> None:
        """Remember up to ``max_keys`` ids."""
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._max_keys = max_keys
        self._lock = threading.Lock()

    def claim(self, key: str) -> bool:
        """Record ``key``; return ``False`` if it was recorded before."""
        with self._lock:
            if key in self._keys:
                return False
            self._keys[key] = None
            if len(self._keys) > self._max_keys:
                self._keys.popitem(last=False)
            return True

    def release(self, key: str) -> None:
        """Forget ``key``."""
        with self._lock:
            self._keys.pop(key, None)


def _json_response(
    start_response: StartResponse,
    status: str,
    body: object,
    extra_headers: Iterable[tuple[str, str]] = (),
) -> list[bytes]:
    payload = json.dumps(body, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(payload))),
        ("Cache-Control", "no-store"),
        *extra_headers,
    ]
    start_response(status, headers)
    return [payload]


def _read_body(environ: WSGIEnvironment, limit: int) -> bytes | tuple[str, str]:
    """Return the body, or the (status, message) to refuse it with."""
    declared = environ.get("CONTENT_LENGTH", "")
    if not declared:
        return "411 Length Required", "a Content-Length is required"
    if not declared.isdigit() or len(declared) > 12:
        return "400 Bad Request", "the Content-Length is not a number"
    length = int(declared)
    if length > limit:
        return "413 Content Too Large", f"the body exceeds {limit} bytes"
    stream = environ["wsgi.input"]
    chunks: list[bytes] = []
    remaining = length
    while remaining:
        chunk = stream.read(min(remaining, 65536))
        if not chunk:
            return "400 Bad Request", "the body is shorter than its Content-Length"
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def make_app(
    token: str | None,
    handle: Callable[[Event], object],
    store: IdempotencyStore | None = None,
    *,
    max_body: int = MAX_BODY,
) -> WSGIApplication:
    """Return the WSGI application.

    Args:
        token: The secret path segment; ``None`` reads the environment
            variable ``PLENTY_WEBHOOK_TOKEN``. It must not be empty.
        handle: Called once per new event id with the decoded event (a
            :class:`~plenty_events.ServicePurchaseEvent`, or an
            :class:`~plenty_events.UnknownEvent` for a type without a model).
        store: Where handled ids are remembered; a :class:`MemoryStore` if
            ``None``.
        max_body: The largest body accepted, in bytes.

    """
    secret = os.environ.get(TOKEN_VARIABLE, "") if token is None else token
    if not secret:
        raise ValueError(f"no webhook token: pass one or set {TOKEN_VARIABLE}")
    expected = secret.encode("utf-8")
    seen: IdempotencyStore = MemoryStore() if store is None else store

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        # PEP 3333 hands the path over as latin-1; its bytes are the raw UTF-8.
        given = path[len(PREFIX) :].encode("latin-1", "replace") if path.startswith(PREFIX) else b""
        # compare_digest even when the prefix is wrong: one code path, one timing.
        if not hmac.compare_digest(given, expected) or not path.startswith(PREFIX):
            return _json_response(start_response, "404 Not Found", {"error": "not found"})
        if environ.get("REQUEST_METHOD") != "POST":
            return _json_response(
                start_response,
                "405 Method Not Allowed",
                {"error": "use POST"},
                [("Allow", "POST")],
            )
        body = _read_body(environ, max_body)
        if isinstance(body, tuple):
            status, message = body
            return _json_response(start_response, status, {"error": message})
        try:
            event = plenty_events.decode(body)
        except plenty_events.DecodeError as exc:
            codes = {error.code for error in exc.errors}
            status = "400 Bad Request" if codes & _NOT_JSON else "422 Unprocessable Content"
            # Messages and paths never repeat a personal value.
            log.warning(
                "rejected a delivery, %d errors: %s",
                len(exc.errors),
                "; ".join(map(str, exc.errors)),
            )
            return _json_response(start_response, status, exc.to_dict())
        if event.repairs:
            log.info(
                "event %s accepted with %d repairs: %s",
                event.id,
                len(event.repairs),
                "; ".join(map(str, event.repairs)),
            )
        if not seen.claim(event.id):
            log.info("event %s was delivered again; not handled twice", event.id)
            return _json_response(start_response, "200 OK", {"status": "duplicate", "id": event.id})
        try:
            handle(event)
        except Exception as exc:  # noqa: BLE001 -- any failure: let the sender retry
            seen.release(event.id)
            # The type only: an exception message may quote the payload.
            log.error("handling event %s failed: %s", event.id, type(exc).__name__)  # noqa: TRY400
            return _json_response(start_response, "500 Internal Server Error", {"error": "not handled"})
        return _json_response(start_response, "202 Accepted", {"status": "accepted", "id": event.id})

    return app


class MaskingRequestHandler(WSGIRequestHandler):
    """wsgiref's request handler, with the secret token masked in the access log."""

    def log_message(self, format: str, *args: object) -> None:
        """Log the request line with the token replaced by asterisks."""
        line = format % args
        if PREFIX in line:
            start = line.index(PREFIX) + len(PREFIX)
            end = line.find(" ", start)
            line = f"{line[:start]}***{line[end:] if end >= 0 else ''}"
        log.info("%s %s", self.address_string(), line)


def _log_event(event: Event) -> None:
    # The repr masks names, email addresses, phone numbers and the street.
    log.info(
        "handled %r",
        plenty_events.redact(event) if isinstance(event, plenty_events.ServicePurchaseEvent) else event,
    )


def main(argv: list[str] | None = None) -> None:
    """Serve on 127.0.0.1 (or ``$HOST``) at the port given as the first argument (8000)."""
    args = sys.argv[1:] if argv is None else argv
    port = int(args[0]) if args else 8000
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    app = make_app(None, _log_event)
    with make_server(
        os.environ.get("HOST", "127.0.0.1"),
        port,
        app,
        handler_class=MaskingRequestHandler,
    ) as server:
        log.info("listening on port %d, path %s<token>", server.server_port, PREFIX)
        server.serve_forever()


if __name__ == "__main__":
    main()
