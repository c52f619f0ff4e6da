"""Idiomatic peer: the pydantic v2 models a careful pydantic user writes for this payload.

Written the way pydantic's documentation teaches, with its strictest
built-in settings and no Python validators: every model has ``strict=True``,
``extra="forbid"`` and ``frozen=True``, with camelCase aliases
(``alias_generator=to_camel, populate_by_name=True``); the closed sets (event
type, gender, country codes) are ``Literal``; money is ``Decimal`` with the
documented four decimal places (``Field(decimal_places=4)``); the id has
the documented 1 to 200 characters; the body is read by
``model_validate_json``.

Timestamps: pydantic's strict mode reads a datetime from JSON text only
(RFC 3339), never from integer seconds. The built-in way to read Unix
seconds into an aware UTC datetime, without a validator, is to relax that
one field: ``AwareDatetime`` with ``Field(strict=False)``. The field then
also reads milliseconds (any number past 2e10), fractions, negative
seconds and numbers in strings.

Where these models depart from plenty-events' strict rules (the self-check
in ``peers`` shows each): the lax timestamps; a ``Decimal`` read from a JSON
string too, and a fraction read through a binary float (pydantic-core
issue 1688: a trailing zero, or digits past the fifteenth, are lost);
integers of any size; snake_case keys accepted beside the camelCase ones
(``populate_by_name``); an empty ``orderItems``; and duplicate keys, of
which pydantic keeps the last.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from plenty_events.countries import valid_codes

NAME: Final = "pydantic, careful"

# A team would paste the list; the benchmark takes plenty-events' own, so
# that both check against the same set (a fresh interpreter of the cold
# start gets it ready made, without importing plenty-events).
CountryCode = Literal[tuple(sorted(valid_codes()))]  # type: ignore[valid-type]
Money = Annotated[Decimal, Field(decimal_places=4)]
UnixTime = Annotated[AwareDatetime, Field(strict=False)]


class Model(BaseModel):
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
    )


class Contact(Model):
    id: int
    gender: Literal["male", "female", "diverse", ""]
    first_name: str
    last_name: str
    email: str
    updated_at: UnixTime


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
    country: CountryCode  # type: ignore[valid-type]  # a Literal built from data
    phone: str
    email: str
    updated_at: UnixTime


class OrderItem(Model):
    item_variation_id: int
    quantity: Money
    order_item_name: str
    price_gross: Money
    price_net: Money


class Order(Model):
    id: int
    paypal_transaction_id: str = Field(alias="payPalTransactionId")
    order_items: list[OrderItem]


class Resource(Model):
    contact: Contact
    address: Address
    order: Order


class ServicePurchaseEvent(Model):
    id: Annotated[str, Field(min_length=1, max_length=200)]
    type: Literal["SERVICE.PLUGIN.PURCHASE"]
    created_at: UnixTime
    resource: Resource


ERRORS: Final = (ValidationError,)


def decode(data: bytes) -> ServicePurchaseEvent:
    return ServicePurchaseEvent.model_validate_json(data)
