"""Idiomatic peer: the pydantic v2 models a hurried pydantic user writes for this payload.

The first models a user writes from the documented example, with
pydantic's defaults: plain ``str``, ``int``, ``Decimal`` and ``datetime``
fields, nested ``BaseModel``s, a ``list`` of items, camelCase aliases from
``alias_generator=to_camel`` (and ``Field(alias=...)`` for the one key that
``to_camel`` does not spell: ``payPalTransactionId``), unknown keys refused
with ``extra="forbid"``, the body read by ``model_validate_json``. No
``strict``, no ``Literal``, no constraints, no validators.

pydantic's default (lax) mode reads the integer timestamps into aware UTC
datetimes by itself, so ``datetime`` fields are what such a user writes.
The careful model beside it is ``peer_pydantic_idiomatic``.

Where these models depart from plenty-events' strict rules (the self-check
in ``peers`` shows each): lax mode reads numbers from strings and whole
floats as integers (so they accept the error path's payload, and are not
timed on it), the timestamps as any number, ISO 8601 text included; any
event type, gender and country; a ``Decimal`` read from a JSON string, and
a fraction through a binary float, with no bound on places or magnitude;
integers of any size; an empty id and an empty ``orderItems``; and
duplicate keys, of which pydantic keeps the last.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

NAME: Final = "pydantic, minimal"


# --8<-- [start:models]
class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel)


class Contact(Model):
    id: int
    gender: str
    first_name: str
    last_name: str
    email: str
    updated_at: datetime


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
    updated_at: datetime


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


class ServicePurchaseEvent(Model):
    id: str
    type: str
    created_at: datetime
    resource: Resource


# --8<-- [end:models]

ERRORS: Final = (ValidationError,)


def decode(data: bytes) -> ServicePurchaseEvent:
    return ServicePurchaseEvent.model_validate_json(data)
