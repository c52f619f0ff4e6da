"""A plentyMarketplace webhook receiver on a platform without a durable disk: AWS Lambda behind API Gateway.

Two functions of one package, both over one PostgreSQL database (the only
durable store here: the function's memory and its /tmp go with the instance):

- ``receive``: the HTTP function, the receiver's ASGI app under Mangum,
  behind an API Gateway route ``POST /webhooks/{token}``. In background
  mode it commits the raw body, and the event for the worker, before it
  answers 202; no handler runs in the request.
- ``work``: the scheduled function (an EventBridge schedule, every minute),
  which handles every due event, retries the failed ones when due, and
  takes over the events of an instance that died while handling.

Configuration, from the environment: ``PLENTY_EVENTS_POSTGRES_DSN`` (the
database, such as ``postgresql://receiver@db.internal/shop``; the password from
the platform's secret store, or IAM authentication) and ``PLENTY_WEBHOOK_TOKENS``
(the webhook URL's tokens, separated by commas).

Requires ``pip install 'plenty-events[postgres]' mangum``.
"""

from __future__ import annotations

import os
from typing import Any

from mangum import Mangum

from plenty_events.receiver import PostgresInbox, Receiver, Worker

#: How long a claim holds an event: longer than the functions' timeout, so
#: that a handler still running is never taken over, short enough that the
#: event of an instance that died is handled again by the next scheduled run.
LEASE = 120.0


def handle(event: Any) -> None:
    """Your business logic: provision what the customer bought (idempotently, keyed on ``event.id``)."""
    print("handling", event.id)


# Made once per instance, on its cold start, and reused while it is warm:
# the inbox keeps its idle connections open between invocations.
inbox = PostgresInbox(os.environ["PLENTY_EVENTS_POSTGRES_DSN"], lease=LEASE)
receiver = Receiver(tokens=os.environ["PLENTY_WEBHOOK_TOKENS"].split(","), handler=handle, inbox=inbox, background=True)

#: The HTTP function's entry point. lifespan="off": the receiver needs no startup or shutdown event.
receive = Mangum(receiver.asgi_app("/webhooks/"), lifespan="off")


def work(_event: dict[str, Any], _context: Any) -> dict[str, int]:
    """The scheduled function's entry point: handle what is due now, and say what was done."""
    counts = Worker(inbox, handle).run_pending()
    return {"handled": counts.handled, "failed": counts.failed, "dead": counts.dead, "lost": counts.lost}
