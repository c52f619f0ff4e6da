"""Same-rules peer: pydantic v2 held to plenty-events' strict rules exactly.

Not the model a pydantic user would write (that is ``peer_pydantic_idiomatic``)
but what plenty-events' contract costs in pydantic: strict models read by
``model_validate_json``. Where pydantic's strict mode is looser than the
contract, a validator closes the gap: ``Decimal`` accepts JSON strings
(``"1"``), and a datetime is not read from integer seconds in strict mode.
pydantic keeps the last of duplicate keys, so the decoder adds the check
from ``_shared``.

One gap stays open: pydantic reads a JSON number with a fraction through a
binary float (pydantic-core issue 1688), so a price is exact only while its
literal has at most 15 significant digits (true of every documented price)
and trailing zeros are lost before the decimal-places rule sees them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Final

from _shared import (
    DECIMAL_LIMIT,
    FIXED_KEYS,
    GENDERS,
    INT_MAX,
    INT_MIN,
    ITEM_KEYS,
    MAX_ID_LENGTH,
    MAX_PLACES,
    MAX_SECONDS,
    DuplicateKeyError,
    EventType,
    Gender,
    check_no_duplicate_keys,
)
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
)
from pydantic.alias_generators import to_camel

from plenty_events.countries import is_valid

NAME: Final = "pydantic, same rules"


def _from_unix(value: object) -> datetime:
    if type(value) is not int or not 0 <= value <= MAX_SECONDS:
        raise ValueError("expected integer Unix seconds from 0 to the end of 9999")
    return datetime.fromtimestamp(value, UTC)


def _amount(value: object) -> Decimal:
    if type(value) is int:
        number = Decimal(value)
    elif type(value) is float:
        number = Decimal(repr(value))
    else:
        raise ValueError("expected a JSON number")
    # pydantic's parser reads NaN and Infinity, which no comparison takes.
    if not number.is_finite() or abs(number) >= DECIMAL_LIMIT:
        raise ValueError("the number's magnitude must stay below 10**15")
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_PLACES:
        raise ValueError("at most four decimal places are allowed")
    return number


def _gender(value: object) -> Gender | None:
    if type(value) is str and value in GENDERS:
        return GENDERS[value]
    raise ValueError("expected 'male', 'female', 'diverse' or an empty string")


def _country(value: str) -> str:
    if not is_valid(value):
        raise ValueError("not an ISO 3166-1 alpha-2 nor a plentymarkets country code")
    return value


EventId = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH)]
Int64 = Annotated[int, Field(ge=INT_MIN, le=INT_MAX)]
UnixTime = Annotated[AwareDatetime, PlainValidator(_from_unix, json_schema_input_type=int)]
Amount = Annotated[Decimal, PlainValidator(_amount, json_schema_input_type=float)]
GenderOrNone = Annotated[Gender | None, PlainValidator(_gender, json_schema_input_type=str)]
Country = Annotated[str, AfterValidator(_country)]


class _Model(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, alias_generator=to_camel)


class Contact(_Model):
    id: Int64
    gender: GenderOrNone
    first_name: str
    last_name: str
    email: str
    updated_at: UnixTime


class Address(_Model):
    id: Int64
    company_name: str
    first_name: str
    last_name: str
    street: str
    house_number: str
    additional: str
    postal_code: str
    town: str
    country: Country
    phone: str
    email: str
    updated_at: UnixTime


class OrderItem(_Model):
    item_variation_id: Int64
    quantity: Amount
    order_item_name: str
    price_gross: Amount
    price_net: Amount


class Order(_Model):
    id: Int64
    paypal_transaction_id: str = Field(alias="payPalTransactionId")
    order_items: tuple[OrderItem, ...] = Field(min_length=1)


class Resource(_Model):
    contact: Contact
    address: Address
    order: Order


class ServicePurchaseEvent(_Model):
    id: EventId
    type: EventType
    created_at: UnixTime
    resource: Resource


ERRORS: Final = (ValidationError, DuplicateKeyError)


def decode(data: bytes) -> ServicePurchaseEvent:
    event = ServicePurchaseEvent.model_validate_json(data)
    check_no_duplicate_keys(data, FIXED_KEYS + ITEM_KEYS * len(event.resource.order.order_items))
    return event
