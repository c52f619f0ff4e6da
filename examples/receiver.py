r"""A plentyMarketplace webhook receiver: plenty_events.receiver, served by a threaded WSGI server.

Run it on the loopback interface, behind a TLS-terminating proxy::

    export PLENTY_WEBHOOK_TOKENS="$(python -c 'import secrets; print(secrets.token_urlsafe(32))')"
    python examples/receiver.py --port 8000 --inbox inbox.sqlite3

and enter ``https://<your host>/webhooks/<the token>`` as the offer's Webhook
URL. Several tokens, separated by commas, are all accepted: add the new one,
change the URL, then drop the old one.

Every delivery is stored in the SQLite inbox before it is answered;
``plenty-events inbox inbox.sqlite3`` lists them, ``... replay --handler
module:function`` runs the ones that failed, and ``... purge --older-than 30``
deletes old bodies. Replace :func:`handle` with your business logic, or
better, with a function that puts the event on a queue and returns.

The server is the standard library's WSGI server made fit to face the
internet: a thread per connection, so that one slow client or handler never
holds up another; at most 32 connections at once, so that slow clients
cannot take every thread and descriptor (the others wait in the listen
backlog of 256, for a free one); a socket timeout (10 s), so that an idle
connection, a partial request or a body shorter than its ``Content-Length``
is dropped; a bound on the whole request (10 s), so that a client sending a
byte now and then is cut off too; two different ``Content-Length`` fields
refused; ``Connection: close`` on every answer, and the connection closed;
and an access log with the token masked and the request line escaped.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import socketserver
import sys
import threading
import time
from typing import TYPE_CHECKING
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

import plenty_events
from plenty_events.receiver import Receiver, SQLiteInbox, TokenFilter

if TYPE_CHECKING:
    import socket
    from collections.abc import Sequence

PREFIX = "/webhooks/"
TOKENS_VARIABLE = "PLENTY_WEBHOOK_TOKENS"

log = logging.getLogger("receiver")

#: Writes the token in a logged request line as ``***``.
_TOKENS = TokenFilter(PREFIX)


class Server(socketserver.ThreadingMixIn, WSGIServer):
    """wsgiref's server with a thread per connection, a bound on connections, and a real listen backlog."""

    daemon_threads = True  # a connection still open never keeps the process from stopping
    block_on_close = False
    request_queue_size = 256  # the default, 5, refuses deliveries that arrive together
    #: Connections served at once; more wait in the listen backlog, not in a thread.
    max_connections = 32

    def server_activate(self) -> None:
        """Listen, with the slots that bound the connections served at once."""
        self.slots = threading.BoundedSemaphore(self.max_connections)
        self.closing = threading.Event()
        super().server_activate()

    def process_request(self, request: socket.socket, client_address: tuple[str, int]) -> None:  # type: ignore[override]
        """Serve the connection in a thread once a slot is free; until then the next ones stay in the backlog."""
        while not self.slots.acquire(timeout=0.1):
            if self.closing.is_set():
                self.shutdown_request(request)
                return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()  # no thread started: nobody else gives the slot back
            raise

    def process_request_thread(self, request: socket.socket, client_address: tuple[str, int]) -> None:  # type: ignore[override]
        """Serve the connection, then give its slot back."""
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def shutdown(self) -> None:
        """Stop serving, also while every slot is taken."""
        self.closing.set()
        super().shutdown()

    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:  # noqa: ARG002 -- the signature of socketserver's hook
        """Log a connection that failed (a timeout, a reset) in one line, without a traceback."""
        log.info("connection from %s dropped: %s", client_address[0], type(sys.exc_info()[1]).__name__)


class _Deadline(io.RawIOBase):
    """A socket's reading side that ends the request when it has taken too long in all, not only when it is silent."""

    def __init__(self, sock: socket.socket, idle: float, deadline: float) -> None:
        super().__init__()
        self.sock, self.idle, self.deadline = sock, idle, deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request took too long")
        self.sock.settimeout(min(self.idle, left))
        try:
            return self.sock.recv_into(buffer)
        finally:
            self.sock.settimeout(self.idle)  # the answer is written with the full timeout


class _Closing(ServerHandler):
    """wsgiref's handler for one request, saying what the server does after every answer: close."""

    def cleanup_headers(self) -> None:
        super().cleanup_headers()
        self.headers["Connection"] = "close"  # type: ignore[attr-defined]  # set by start_response, before this


class RequestHandler(WSGIRequestHandler):
    """wsgiref's request handler with timeouts, one Content-Length, JSON errors and a safe access log."""

    #: Seconds a connection may stay silent, whether idle, in the request
    #: line, the headers or the body. Then it is closed, its thread ends.
    timeout = 10
    #: Seconds the whole request (request line, headers, body) may take to arrive, however it trickles.
    request_timeout = 10.0
    error_content_type = "application/json"
    error_message_format = '{"error": "the request could not be read", "status": %(code)d}'

    def setup(self) -> None:
        """Read the request through the deadline of the whole request."""
        super().setup()
        deadline = time.monotonic() + self.request_timeout
        self.rfile = io.BufferedReader(_Deadline(self.connection, float(self.timeout or 0), deadline))

    def handle(self) -> None:
        """Handle one request, as wsgiref does, refusing two Content-Lengths and closing after the answer."""
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.requestline = self.request_version = self.command = ""
            self.send_error(414)
            return
        if not self.parse_request():  # an error has been sent
            return
        if len(set(self.headers.get_all("Content-Length") or ())) > 1:
            # Two lengths: a proxy may have read the body by the other one.
            self.send_error(400)
            return
        handler = _Closing(self.rfile, self.wfile, self.get_stderr(), self.get_environ(), multithread=False)  # type: ignore[arg-type]
        handler.request_handler = self  # type: ignore[attr-defined]  # wsgiref's back-pointer, for logging
        handler.run(self.server.get_app())  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: object) -> None:
        """Log the request line with the token masked and anything unprintable escaped."""
        line = _TOKENS.mask(format % args)
        # The request line is the sender's: a newline in it must not start a log line.
        log.info("%s %s", self.address_string(), line.encode("unicode_escape").decode("ascii"))


def handle(event: plenty_events.ServicePurchaseEvent | plenty_events.UnknownEvent) -> None:
    """Stand-in business logic: log the event, with its personal data redacted."""
    shown = plenty_events.redact(event) if isinstance(event, plenty_events.ServicePurchaseEvent) else event
    log.info("handled %r", shown)


def make_server(  # noqa: PLR0913 -- the bounds, all keywords
    host: str,
    port: int,
    receiver: Receiver,
    *,
    timeout: float = 10,
    request_timeout: float = 10,
    max_connections: int = 32,
) -> Server:
    """Return the server for ``receiver``'s WSGI app, bound and listening, not yet serving."""
    handler = type("Handler", (RequestHandler,), {"timeout": timeout, "request_timeout": request_timeout})
    server_class = type("BoundServer", (Server,), {"max_connections": max_connections})
    server: Server = server_class((host, port), handler)
    server.set_app(receiver.wsgi_app(PREFIX))
    return server


def main(argv: Sequence[str] | None = None) -> None:
    """Serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: loopback)")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--inbox", default="inbox.sqlite3", help="the SQLite inbox file")
    args = parser.parse_args(argv)
    tokens = [token for token in os.environ.get(TOKENS_VARIABLE, "").split(",") if token]
    if not tokens:
        parser.error(f"set {TOKENS_VARIABLE} to the webhook token, or several separated by commas")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    receiver = Receiver(tokens=tokens, handler=handle, inbox=SQLiteInbox(args.inbox))
    with make_server(args.host, args.port, receiver) as server:
        log.info("listening on %s port %d, path %s<token>", args.host, server.server_port, PREFIX)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            log.info("stopped")


if __name__ == "__main__":
    main()
