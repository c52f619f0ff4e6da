"""Receiving webhooks: a durable inbox that keeps every delivery, and handles each event once.

:class:`Receiver` checks the secret token in the URL, bounds the body,
commits the raw body to an :class:`Inbox` before it answers, decodes it, and
hands each new event to your handler exactly once. ``Receiver.receive`` is
the framework-free core; ``wsgi_app`` and ``asgi_app`` serve it directly.

>>> from plenty_events.receiver import MemoryInbox, Receiver
>>> from plenty_events.testing import sample_payload, to_json
>>> receiver = Receiver(tokens="s3cret-token-0123456789", handler=print, inbox=MemoryInbox())
>>> answer = receiver.receive("s3cret-token-0123456789", b"not json")
>>> answer.status, [delivery.state for delivery in receiver.inbox.deliveries()]
(400, [<State.REJECTED: 'rejected'>])
"""

from ._answers import Response
from ._inbox import Claim, Delivery, Inbox, MemoryInbox, State
from ._receiver import Receiver
from ._sqlite import SQLiteInbox

__all__ = [
    "Claim",
    "Delivery",
    "Inbox",
    "MemoryInbox",
    "Receiver",
    "Response",
    "SQLiteInbox",
    "State",
]
