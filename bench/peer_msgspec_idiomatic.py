"""Idiomatic peer: the msgspec Structs a msgspec user writes for this payload.

Written the way msgspec's documentation teaches, with its strictest
built-in settings and no hooks or Python validation: plain
``msgspec.Struct``s with ``forbid_unknown_fields=True`` and
``rename="camel"``, the natural types (``str``, ``int``, ``Decimal`` for
money, ``list`` for the items), ``Literal`` for the closed sets (event type,
gender, country codes), the documented 1 to 200 characters of the id as a
``Meta`` constraint, read by a typed ``msgspec.json.Decoder`` in its default
strict mode.

Timestamps stay integer Unix seconds: msgspec's strict mode reads a
datetime from RFC 3339 text only, and its lax mode (``strict=False``) would
loosen every field of the payload, not just the timestamps.

Where these Structs depart from plenty-events' strict rules (the self-check
in ``peers`` shows each): timestamps are any integer, and stay integers;
a ``Decimal`` is read from a JSON string too, with any number of decimal
places and any magnitude (msgspec has no constraints for ``Decimal``,
though it reads a number's literal exactly); integers of any size; an
empty ``orderItems``; and duplicate keys, of which msgspec keeps the last.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Final, Literal

import msgspec

from plenty_events.countries import valid_codes

NAME: Final = "msgspec, idiomatic"

# A team would paste the list; the benchmark takes plenty-events' own, so
# that both check against the same set (a fresh interpreter of the cold
# start gets it ready made, without importing plenty-events).
CountryCode = Literal[tuple(sorted(valid_codes()))]  # type: ignore[valid-type]


class Struct(msgspec.Struct, forbid_unknown_fields=True, rename="camel"):
    pass


class Contact(Struct):
    id: int
    gender: Literal["male", "female", "diverse", ""]
    first_name: str
    last_name: str
    email: str
    updated_at: int


class Address(Struct):
    id: int
    company_name: str
    first_name: str
    last_name: str
    street: str
    house_number: str
    additional: str
    postal_code: str
    town: str
    country: CountryCode  # type: ignore[valid-type]  # a Literal built from data
    phone: str
    email: str
    updated_at: int


class OrderItem(Struct):
    item_variation_id: int
    quantity: Decimal
    order_item_name: str
    price_gross: Decimal
    price_net: Decimal


class Order(Struct):
    id: int
    paypal_transaction_id: str = msgspec.field(name="payPalTransactionId")
    order_items: list[OrderItem] = msgspec.field()


class Resource(Struct):
    contact: Contact
    address: Address
    order: Order


class ServicePurchaseEvent(Struct):
    id: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    type: Literal["SERVICE.PLUGIN.PURCHASE"]
    created_at: int
    resource: Resource


ERRORS: Final = (msgspec.ValidationError, msgspec.DecodeError)

decode: Final = msgspec.json.Decoder(ServicePurchaseEvent).decode
