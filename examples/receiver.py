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
holds up another; a socket timeout, so that an idle connection, a partial
request or a body shorter than its ``Content-Length`` is dropped; a listen
backlog that holds a burst of deliveries; and an access log with the token
masked and the request line escaped.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import socketserver
import sys
from typing import TYPE_CHECKING
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

import plenty_events
from plenty_events.receiver import Receiver, SQLiteInbox

if TYPE_CHECKING:
    from collections.abc import Sequence

PREFIX = "/webhooks/"
TOKENS_VARIABLE = "PLENTY_WEBHOOK_TOKENS"

log = logging.getLogger("receiver")

#: The token in a logged request line: whatever follows the prefix up to a space, quote or query.
_TOKEN_IN_PATH = re.compile(re.escape(PREFIX) + r"[^\s\"?]*")


class Server(socketserver.ThreadingMixIn, WSGIServer):
    """wsgiref's server with a thread per connection and a real listen backlog."""

    daemon_threads = True  # a connection still open never keeps the process from stopping
    block_on_close = False
    request_queue_size = 256  # the default, 5, refuses deliveries that arrive together

    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:  # noqa: ARG002 -- the signature of socketserver's hook
        """Log a connection that failed (a timeout, a reset) in one line, without a traceback."""
        log.info("connection from %s dropped: %s", client_address[0], type(sys.exc_info()[1]).__name__)


class RequestHandler(WSGIRequestHandler):
    """wsgiref's request handler with a socket timeout, JSON errors and a safe access log."""

    #: Seconds a connection may stay silent, whether idle, in the request
    #: line, the headers or the body. Then it is closed, its thread ends.
    timeout = 10
    error_content_type = "application/json"
    error_message_format = '{"error": "the request could not be read", "status": %(code)d}'

    def log_message(self, format: str, *args: object) -> None:
        """Log the request line with the token masked and anything unprintable escaped."""
        line = _TOKEN_IN_PATH.sub(PREFIX + "***", format % args)
        # The request line is the sender's: a newline in it must not start a log line.
        log.info("%s %s", self.address_string(), line.encode("unicode_escape").decode("ascii"))


def handle(event: plenty_events.ServicePurchaseEvent | plenty_events.UnknownEvent) -> None:
    """Stand-in business logic: log the event, with its personal data redacted."""
    shown = plenty_events.redact(event) if isinstance(event, plenty_events.ServicePurchaseEvent) else event
    log.info("handled %r", shown)


def make_server(host: str, port: int, receiver: Receiver, *, timeout: float = 10) -> Server:
    """Return the server for ``receiver``'s WSGI app, bound and listening, not yet serving."""
    handler = type("Handler", (RequestHandler,), {"timeout": timeout})
    server = Server((host, port), handler)
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
