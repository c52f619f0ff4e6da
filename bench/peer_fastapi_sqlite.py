"""Peer of the receiver benchmark: the webhook endpoint a FastAPI user writes by hand.

Written the way FastAPI's and pydantic's documentation teach: a pydantic
model of the payload with camelCase aliases, taken as the body parameter of
the endpoint (FastAPI validates it), the token compared in constant time,
and one ``INSERT`` and one ``commit()`` per delivery before the answer. The
file is in WAL mode with ``synchronous=FULL``: the receiver's own settings,
so both sides sync each commit to disk alike (the default rollback journal
syncs more per commit, and would slow the peer).

Three forms users write, chosen with ``WEBHOOK_PEER_FORM``:

- ``async`` (the benchmark's default, the fastest here): an ``async def``
  endpoint on one module-level connection. The blocking commit runs on the
  event loop, so requests go through it one at a time, with no thread hop.
- ``lock``: a plain ``def`` endpoint (FastAPI's thread pool) on one
  module-level connection with ``check_same_thread=False``, and a lock
  around the write: without it, threads sharing the connection fail
  (``sqlite3.DatabaseError: no more rows available``).
- ``per-request``: a plain ``def`` endpoint opening a connection per
  request: the threads race for SQLite's write lock and sleep in its busy
  handler, which shows in the p99.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

from fastapi import FastAPI, HTTPException
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class Contact(Model):
    id: int
    gender: str
    first_name: str
    last_name: str
    email: str
    updated_at: AwareDatetime


class Address(Model):
    id: int
    company_name: str
    first_name: str
    last_name: str
    street: str
    house_number: str
    additional: str
    postal_code: str
    town: str
    country: str
    phone: str
    email: str
    updated_at: AwareDatetime


class OrderItem(Model):
    item_variation_id: int
    quantity: Decimal
    order_item_name: str
    price_gross: Decimal
    price_net: Decimal


class Order(Model):
    id: int
    paypal_transaction_id: str = Field(alias="payPalTransactionId")
    order_items: list[OrderItem]


class Resource(Model):
    contact: Contact
    address: Address
    order: Order


class PurchaseEvent(Model):
    id: str
    type: Literal["SERVICE.PLUGIN.PURCHASE"]
    created_at: AwareDatetime
    resource: Resource


TOKEN = os.environ.get("WEBHOOK_TOKEN", "bench-token-0123456789abcdef")
DATABASE = os.environ.get("WEBHOOK_DB", "purchases.sqlite3")
#: Which of the usual forms: "async" (the default), "lock" or "per-request".
FORM = os.environ.get("WEBHOOK_PEER_FORM", "async")


def connect() -> sqlite3.Connection:
    connection = sqlite3.connect(DATABASE, check_same_thread=False)
    connection.execute("PRAGMA synchronous = FULL")
    return connection


db = connect()
db.execute("PRAGMA journal_mode = WAL")
db.execute(
    "CREATE TABLE IF NOT EXISTS purchases (id INTEGER PRIMARY KEY, event_id TEXT, payload TEXT, received_at TEXT)"
)
db.commit()
db_lock = threading.Lock()

app = FastAPI()


def check(token: str) -> None:
    if not secrets.compare_digest(token, TOKEN):
        raise HTTPException(status_code=404)


def insert(connection: sqlite3.Connection, event: PurchaseEvent) -> None:
    connection.execute(
        "INSERT INTO purchases (event_id, payload, received_at) VALUES (?, ?, ?)",
        (event.id, event.model_dump_json(by_alias=True), datetime.now(UTC).isoformat()),
    )
    connection.commit()


if FORM == "lock":

    @app.post("/webhooks/{token}", status_code=202)
    def receive(token: str, event: PurchaseEvent) -> dict[str, str]:
        check(token)
        with db_lock:
            insert(db, event)
        return {"status": "accepted", "id": event.id}

elif FORM == "per-request":

    @app.post("/webhooks/{token}", status_code=202)
    def receive_per_request(token: str, event: PurchaseEvent) -> dict[str, str]:
        check(token)
        connection = connect()
        try:
            insert(connection, event)
        finally:
            connection.close()
        return {"status": "accepted", "id": event.id}

else:

    @app.post("/webhooks/{token}", status_code=202)
    async def receive_async(token: str, event: PurchaseEvent) -> dict[str, str]:
        check(token)
        insert(db, event)
        return {"status": "accepted", "id": event.id}
