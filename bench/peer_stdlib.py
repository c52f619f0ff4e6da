"""The hand-written floor: ``json`` from the standard library and plain slotted classes.

What a careful developer writes for this one payload with no library: each
rule inline, exact type checks (``type(x) is int``, so no ``bool``), every
key required and no other allowed, prices exact from the literal text,
duplicate keys rejected by ``object_pairs_hook``. It stops at the first
error, where plenty-events, pydantic and msgspec report with paths.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Final

from _shared import (
    DECIMAL_LIMIT,
    GENDERS,
    INT_MAX,
    INT_MIN,
    MAX_ID_LENGTH,
    MAX_PLACES,
    MAX_SECONDS,
    EventType,
    Gender,
)

from plenty_events.countries import is_valid

NAME: Final = "hand-written"


class InvalidPayloadError(ValueError):
    """The payload breaks a strict rule; the message says where."""


class Contact:
    __slots__ = ("email", "first_name", "gender", "id", "last_name", "updated_at")

    def __init__(  # noqa: PLR0913, PLR0917 -- one argument per wire field
        self,
        id: int,
        gender: Gender | None,
        first_name: str,
        last_name: str,
        email: str,
        updated_at: datetime,
    ) -> None:
        self.id = id
        self.gender = gender
        self.first_name = first_name
        self.last_name = last_name
        self.email = email
        self.updated_at = updated_at


class Address:
    __slots__ = (
        "additional",
        "company_name",
        "country",
        "email",
        "first_name",
        "house_number",
        "id",
        "last_name",
        "phone",
        "postal_code",
        "street",
        "town",
        "updated_at",
    )

    def __init__(  # noqa: PLR0913, PLR0917
        self,
        id: int,
        company_name: str,
        first_name: str,
        last_name: str,
        street: str,
        house_number: str,
        additional: str,
        postal_code: str,
        town: str,
        country: str,
        phone: str,
        email: str,
        updated_at: datetime,
    ) -> None:
        self.id = id
        self.company_name = company_name
        self.first_name = first_name
        self.last_name = last_name
        self.street = street
        self.house_number = house_number
        self.additional = additional
        self.postal_code = postal_code
        self.town = town
        self.country = country
        self.phone = phone
        self.email = email
        self.updated_at = updated_at


class OrderItem:
    __slots__ = (
        "item_variation_id",
        "order_item_name",
        "price_gross",
        "price_net",
        "quantity",
    )

    def __init__(
        self,
        item_variation_id: int,
        quantity: Decimal,
        order_item_name: str,
        price_gross: Decimal,
        price_net: Decimal,
    ) -> None:
        self.item_variation_id = item_variation_id
        self.quantity = quantity
        self.order_item_name = order_item_name
        self.price_gross = price_gross
        self.price_net = price_net


class Order:
    __slots__ = ("id", "order_items", "paypal_transaction_id")

    def __init__(self, id: int, paypal_transaction_id: str, order_items: tuple[OrderItem, ...]) -> None:
        self.id = id
        self.paypal_transaction_id = paypal_transaction_id
        self.order_items = order_items


class Resource:
    __slots__ = ("address", "contact", "order")

    def __init__(self, contact: Contact, address: Address, order: Order) -> None:
        self.contact = contact
        self.address = address
        self.order = order


class ServicePurchaseEvent:
    __slots__ = ("created_at", "id", "resource", "type")

    def __init__(self, id: str, type: EventType, created_at: datetime, resource: Resource) -> None:
        self.id = id
        self.type = type
        self.created_at = created_at
        self.resource = resource


def _pairs(pairs: list[tuple[str, object]]) -> dict[str, object]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise InvalidPayloadError("a key occurs more than once in an object")
    return obj


def _constant(name: str) -> object:
    raise InvalidPayloadError(f"{name} is not a JSON number")


_JSON: Final = json.JSONDecoder(parse_float=Decimal, parse_constant=_constant, object_pairs_hook=_pairs)

_EVENT_KEYS: Final = frozenset({"id", "type", "createdAt", "resource"})
_RESOURCE_KEYS: Final = frozenset({"contact", "address", "order"})
_CONTACT_KEYS: Final = frozenset({"id", "gender", "firstName", "lastName", "email", "updatedAt"})
_ADDRESS_KEYS: Final = frozenset({
    "id", "companyName", "firstName", "lastName", "street", "houseNumber", "additional",
    "postalCode", "town", "country", "phone", "email", "updatedAt",
})  # fmt: skip
_ORDER_KEYS: Final = frozenset({"id", "payPalTransactionId", "orderItems"})
_ITEM_KEYS: Final = frozenset({"itemVariationId", "quantity", "orderItemName", "priceGross", "priceNet"})


def _obj(value: object, keys: frozenset[str], path: str) -> dict[str, object]:
    if type(value) is not dict:
        raise InvalidPayloadError(f"{path}: expected an object")
    if value.keys() != keys:
        missing = sorted(keys - value.keys())
        unknown = sorted(value.keys() - keys)
        raise InvalidPayloadError(f"{path}: missing keys {missing}, unknown keys {unknown}")
    return value


def _str(value: object, path: str) -> str:
    if type(value) is not str:
        raise InvalidPayloadError(f"{path}: expected a string")
    return value


def _int(value: object, path: str) -> int:
    if type(value) is not int or not INT_MIN <= value <= INT_MAX:
        raise InvalidPayloadError(f"{path}: expected a signed 64-bit integer")
    return value


def _time(value: object, path: str) -> datetime:
    if type(value) is not int or not 0 <= value <= MAX_SECONDS:
        raise InvalidPayloadError(f"{path}: expected integer Unix seconds from 0 to the end of 9999")
    return datetime.fromtimestamp(value, UTC)


def _amount(value: object, path: str) -> Decimal:
    if type(value) is int:
        number = Decimal(value)
    elif type(value) is Decimal:
        number = value
    else:
        raise InvalidPayloadError(f"{path}: expected a number")
    if abs(number) >= DECIMAL_LIMIT:
        raise InvalidPayloadError(f"{path}: the magnitude must stay below 10**15")
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_PLACES:
        raise InvalidPayloadError(f"{path}: at most four decimal places are allowed")
    return number


def _contact(value: object) -> Contact:
    c = _obj(value, _CONTACT_KEYS, "$.resource.contact")
    gender = c["gender"]
    if type(gender) is not str or gender not in GENDERS:
        raise InvalidPayloadError("$.resource.contact.gender: unknown gender")
    return Contact(
        _int(c["id"], "$.resource.contact.id"),
        GENDERS[gender],
        _str(c["firstName"], "$.resource.contact.firstName"),
        _str(c["lastName"], "$.resource.contact.lastName"),
        _str(c["email"], "$.resource.contact.email"),
        _time(c["updatedAt"], "$.resource.contact.updatedAt"),
    )


def _address(value: object) -> Address:
    a = _obj(value, _ADDRESS_KEYS, "$.resource.address")
    country = _str(a["country"], "$.resource.address.country")
    if not is_valid(country):
        raise InvalidPayloadError("$.resource.address.country: unknown country code")
    return Address(
        _int(a["id"], "$.resource.address.id"),
        _str(a["companyName"], "$.resource.address.companyName"),
        _str(a["firstName"], "$.resource.address.firstName"),
        _str(a["lastName"], "$.resource.address.lastName"),
        _str(a["street"], "$.resource.address.street"),
        _str(a["houseNumber"], "$.resource.address.houseNumber"),
        _str(a["additional"], "$.resource.address.additional"),
        _str(a["postalCode"], "$.resource.address.postalCode"),
        _str(a["town"], "$.resource.address.town"),
        country,
        _str(a["phone"], "$.resource.address.phone"),
        _str(a["email"], "$.resource.address.email"),
        _time(a["updatedAt"], "$.resource.address.updatedAt"),
    )


def _item(value: object, index: int) -> OrderItem:
    path = f"$.resource.order.orderItems[{index}]"
    i = _obj(value, _ITEM_KEYS, path)
    return OrderItem(
        _int(i["itemVariationId"], path),
        _amount(i["quantity"], path),
        _str(i["orderItemName"], path),
        _amount(i["priceGross"], path),
        _amount(i["priceNet"], path),
    )


def _order(value: object) -> Order:
    o = _obj(value, _ORDER_KEYS, "$.resource.order")
    items = o["orderItems"]
    if type(items) is not list or not items:
        raise InvalidPayloadError("$.resource.order.orderItems: expected a non-empty array")
    return Order(
        _int(o["id"], "$.resource.order.id"),
        _str(o["payPalTransactionId"], "$.resource.order.payPalTransactionId"),
        tuple([_item(item, index) for index, item in enumerate(items)]),
    )


ERRORS: Final = (InvalidPayloadError,)


def decode(data: bytes) -> ServicePurchaseEvent:
    try:
        value = _JSON.decode(data.decode("utf-8"))
    except InvalidPayloadError:
        raise
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError, JSONDecodeError
        raise InvalidPayloadError(f"$: not UTF-8 JSON: {exc}") from exc
    e = _obj(value, _EVENT_KEYS, "$")
    event_id = _str(e["id"], "$.id")
    if not 0 < len(event_id) <= MAX_ID_LENGTH:
        raise InvalidPayloadError("$.id: expected 1 to 200 characters")
    if e["type"] != EventType.SERVICE_PLUGIN_PURCHASE or type(e["type"]) is not str:
        raise InvalidPayloadError("$.type: unknown event type")
    r = _obj(e["resource"], _RESOURCE_KEYS, "$.resource")
    return ServicePurchaseEvent(
        event_id,
        EventType.SERVICE_PLUGIN_PURCHASE,
        _time(e["createdAt"], "$.createdAt"),
        Resource(_contact(r["contact"]), _address(r["address"]), _order(r["order"])),
    )
