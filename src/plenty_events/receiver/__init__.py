"""Receiving webhooks: a durable inbox that keeps every delivery, and handles each event once.

[Receiver][plenty_events.receiver.Receiver] checks the secret token in the URL, bounds the
body, commits the raw body to an [Inbox][plenty_events.receiver.Inbox] before it answers,
decodes it, and hands each new event to your handler exactly once.
[Receiver.receive][plenty_events.receiver.Receiver.receive] is the framework-free core;
[wsgi_app][plenty_events.receiver.Receiver.wsgi_app] and [asgi_app][plenty_events.receiver.Receiver.asgi_app]
serve it directly, and the `fastapi`, `flask` and `django` submodules adapt
it to those frameworks.

Examples:
    >>> from plenty_events.receiver import MemoryInbox, Receiver
    >>> from plenty_events.testing import sample_payload, to_json
    >>> token, inbox = "s3cret-token-0123456789", MemoryInbox()
    >>> receiver = Receiver(tokens=token, handler=print, inbox=inbox)
    >>> answer = receiver.receive(token, b"not json")
    >>> answer.status, [delivery.state for delivery in inbox.deliveries()]
    (400, [<State.REJECTED: 'rejected'>])
"""

from ._answers import Response
from ._inbox import Attempt, Claim, Delivery, Inbox, MemoryInbox, OneCommitInbox, State
from ._logs import SERVER_LOGGERS, TokenFilter, django_logging, mask_tokens, uvicorn_log_config
from ._outcomes import Backoff, Outcome, Permanent, RetryLater
from ._postgres import PostgresInbox
from ._receiver import Handler, Receiver, current_token_name
from ._router import Router
from ._sqlite import SQLiteInbox
from ._worker import Counts, Worker

__all__ = [
    "SERVER_LOGGERS",
    "Attempt",
    "Backoff",
    "Claim",
    "Counts",
    "Delivery",
    "Handler",
    "Inbox",
    "MemoryInbox",
    "OneCommitInbox",
    "Outcome",
    "Permanent",
    "PostgresInbox",
    "Receiver",
    "Response",
    "RetryLater",
    "Router",
    "SQLiteInbox",
    "State",
    "TokenFilter",
    "Worker",
    "current_token_name",
    "django_logging",
    "mask_tokens",
    "uvicorn_log_config",
]
