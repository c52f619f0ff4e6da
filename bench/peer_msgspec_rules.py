"""Same-rules peer: msgspec held to plenty-events' strict rules exactly.

Not the Structs a msgspec user would write (that is ``peer_msgspec_idiomatic``)
but what plenty-events' contract costs in msgspec: frozen Structs decoded by
a typed ``msgspec.json.Decoder``. msgspec reads ``Decimal`` from JSON strings
as well as numbers, and reads no datetime from integer seconds in strict
mode, so prices and timestamps are small custom types that the decoder's
``dec_hook`` builds: it gets the JSON value (a fraction already made an
exact ``Decimal`` by ``float_hook``) and applies the strict rule. The
country is checked in ``__post_init__``. msgspec keeps the last of
duplicate keys, so the decoder adds the check from ``_shared``.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Final

import msgspec
from _shared import (
    DECIMAL_LIMIT,
    FIXED_KEYS,
    INT_MAX,
    INT_MIN,
    ITEM_KEYS,
    MAX_ID_LENGTH,
    MAX_PLACES,
    MAX_SECONDS,
    DuplicateKeyError,
    EventType,
    check_no_duplicate_keys,
)

from plenty_events.countries import is_valid

NAME: Final = "msgspec, same rules"


class UnixTime(datetime):
    """An aware UTC datetime, read from integer Unix seconds."""

    __slots__ = ()


class Amount(Decimal):
    """A quantity or price, read exactly from a JSON number literal."""

    __slots__ = ()


class Gender(enum.StrEnum):
    """The wire's genders; ``NONE``, the empty string, means none given."""

    MALE = "male"
    FEMALE = "female"
    DIVERSE = "diverse"
    NONE = ""


def _dec_hook(kind: type, value: object) -> object:
    if kind is Amount:
        if type(value) is not int and type(value) is not Decimal:
            raise TypeError("expected a JSON number")
        number = Amount(value)
        if abs(number) >= DECIMAL_LIMIT:
            raise ValueError("the number's magnitude must stay below 10**15")
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -MAX_PLACES:
            raise ValueError("at most four decimal places are allowed")
        return number
    if kind is UnixTime:
        if type(value) is not int:
            raise TypeError("expected integer Unix seconds")
        if not 0 <= value <= MAX_SECONDS:
            raise ValueError("expected Unix seconds from 0 to the end of 9999")
        return UnixTime.fromtimestamp(value, UTC)
    raise NotImplementedError(kind)


EventId = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ID_LENGTH)]
Int64 = Annotated[int, msgspec.Meta(ge=INT_MIN, le=INT_MAX)]


class _Struct(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="camel"):
    pass


class Contact(_Struct):
    id: Int64
    gender: Gender
    first_name: str
    last_name: str
    email: str
    updated_at: UnixTime


class Address(_Struct):
    id: Int64
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
    updated_at: UnixTime

    def __post_init__(self) -> None:
        if not is_valid(self.country):
            raise ValueError("country: not an ISO 3166-1 alpha-2 nor a plentymarkets country code")


class OrderItem(_Struct):
    item_variation_id: Int64
    quantity: Amount
    order_item_name: str
    price_gross: Amount
    price_net: Amount


class Order(_Struct):
    id: Int64
    paypal_transaction_id: str = msgspec.field(name="payPalTransactionId")
    order_items: Annotated[tuple[OrderItem, ...], msgspec.Meta(min_length=1)] = msgspec.field()


class Resource(_Struct):
    contact: Contact
    address: Address
    order: Order


class ServicePurchaseEvent(_Struct):
    id: EventId
    type: EventType
    created_at: UnixTime
    resource: Resource


ERRORS: Final = (msgspec.ValidationError, msgspec.DecodeError, DuplicateKeyError)

_DECODER: Final = msgspec.json.Decoder(ServicePurchaseEvent, dec_hook=_dec_hook, float_hook=Decimal)


def decode(data: bytes) -> ServicePurchaseEvent:
    event = _DECODER.decode(data)
    check_no_duplicate_keys(data, FIXED_KEYS + ITEM_KEYS * len(event.resource.order.order_items))
    return event
