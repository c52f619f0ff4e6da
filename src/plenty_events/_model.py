"""The event model: frozen, slotted, hashable attrs classes.

Each field's metadata names its wire key and the rule ``kind`` that decodes
it. The decoders, the encoder and the JSON Schema all read the shape of the
wire format from here, so it is written down once.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime  # noqa: TC003 -- attrs resolves field types at run time
from decimal import Decimal  # noqa: TC003
from typing import Any

import attrs

from ._errors import Repair
from ._privacy import mask, mask_email, mask_tail


class EventType(enum.StrEnum):
    """The event types this library has a model for."""

    SERVICE_PLUGIN_PURCHASE = "SERVICE.PLUGIN.PURCHASE"
    """A customer bought a service on plentyMarketplace."""


class Gender(enum.StrEnum):
    """A contact's gender. The wire format's empty string decodes to ``None``."""

    MALE = "male"
    FEMALE = "female"
    DIVERSE = "diverse"


class Kind(enum.Enum):
    """Which rule decodes a field; each mode has one function per kind."""

    EVENT_ID = enum.auto()
    EVENT_TYPE = enum.auto()
    TIMESTAMP = enum.auto()
    INTEGER = enum.auto()
    TEXT = enum.auto()
    OPTIONAL_TEXT = enum.auto()  # lenient: null or missing becomes ""
    GENDER = enum.auto()
    COUNTRY = enum.auto()
    DECIMAL = enum.auto()
    OBJECT = enum.auto()
    RESOURCE = enum.auto()  # an object; lenient also unwraps a one-element array
    ARRAY = enum.auto()


def _wire(key: str, kind: Kind, *, model: type | None = None, **kwargs: Any) -> Any:
    return attrs.field(metadata={"wire": key, "kind": kind, "model": model}, **kwargs)


def _repairs() -> Any:
    # What lenient decoding changed. Not part of the value: an event equals
    # its own re-decoded encoding, which needed no repair.
    return attrs.field(default=(), eq=False, repr=False, kw_only=True)


@attrs.frozen
class Contact:
    """The customer who bought: ``resource.contact`` on the wire."""

    id: int = _wire("id", Kind.INTEGER)
    gender: Gender | str | None = _wire("gender", Kind.GENDER)
    """``None`` for the wire's empty string. In lenient mode, an unknown value
    such as ``"company"`` is kept as a plain string."""
    first_name: str = _wire("firstName", Kind.OPTIONAL_TEXT, repr=mask)
    last_name: str = _wire("lastName", Kind.OPTIONAL_TEXT, repr=mask)
    email: str = _wire("email", Kind.OPTIONAL_TEXT, repr=mask_email)
    """The contact's private address; no syntax is guaranteed."""
    updated_at: datetime = _wire("updatedAt", Kind.TIMESTAMP)


@attrs.frozen
class Address:
    """The customer's invoice address: ``resource.address`` on the wire."""

    id: int = _wire("id", Kind.INTEGER)
    company_name: str = _wire("companyName", Kind.OPTIONAL_TEXT, repr=mask)
    first_name: str = _wire("firstName", Kind.OPTIONAL_TEXT, repr=mask)
    last_name: str = _wire("lastName", Kind.OPTIONAL_TEXT, repr=mask)
    street: str = _wire("street", Kind.TEXT, repr=mask)
    house_number: str = _wire("houseNumber", Kind.TEXT, repr=mask)
    additional: str = _wire("additional", Kind.OPTIONAL_TEXT, repr=mask)
    postal_code: str = _wire("postalCode", Kind.TEXT)
    town: str = _wire("town", Kind.TEXT)
    country: str = _wire("country", Kind.COUNTRY)
    """Uppercase: ISO 3166-1 alpha-2 or a plentymarkets code such as ``XI``."""
    phone: str = _wire("phone", Kind.OPTIONAL_TEXT, repr=mask_tail)
    email: str = _wire("email", Kind.OPTIONAL_TEXT, repr=mask_email)
    updated_at: datetime = _wire("updatedAt", Kind.TIMESTAMP)


@attrs.frozen
class OrderItem:
    """One line of the order. Prices are totals of the line, gross and net."""

    item_variation_id: int = _wire("itemVariationId", Kind.INTEGER)
    quantity: Decimal = _wire("quantity", Kind.DECIMAL)
    order_item_name: str = _wire("orderItemName", Kind.TEXT)
    price_gross: Decimal = _wire("priceGross", Kind.DECIMAL)
    price_net: Decimal = _wire("priceNet", Kind.DECIMAL)


@attrs.frozen
class Order:
    """The order: ``resource.order`` on the wire. It carries no currency."""

    id: int = _wire("id", Kind.INTEGER)
    paypal_transaction_id: str = _wire("payPalTransactionId", Kind.OPTIONAL_TEXT, repr=mask_tail)
    order_items: tuple[OrderItem, ...] = _wire("orderItems", Kind.ARRAY, model=OrderItem)


@attrs.frozen
class Resource:
    """What was bought and by whom: contact, invoice address and order."""

    contact: Contact = _wire("contact", Kind.OBJECT, model=Contact)
    address: Address = _wire("address", Kind.OBJECT, model=Address)
    order: Order = _wire("order", Kind.OBJECT, model=Order)


@attrs.frozen
class ServicePurchaseEvent:
    """``SERVICE.PLUGIN.PURCHASE``: a customer bought a service.

    ``repairs`` lists what lenient decoding changed to accept the payload
    (empty after strict decoding). It is not part of the event's value:
    equality and hashing ignore it.
    """

    id: str = _wire("id", Kind.EVENT_ID)
    """1 to 200 characters; the idempotency key of a delivery."""
    type: EventType = _wire("type", Kind.EVENT_TYPE)
    created_at: datetime = _wire("createdAt", Kind.TIMESTAMP)
    resource: Resource = _wire("resource", Kind.RESOURCE, model=Resource)
    repairs: tuple[Repair, ...] = _repairs()


@attrs.frozen
class UnknownEvent:
    """An event of a type this library has no model for (lenient mode only).

    The envelope is decoded; ``resource`` is the raw JSON object, kept as it
    came, so the event encodes back to the same JSON.
    """

    id: str = _wire("id", Kind.EVENT_ID)
    type: str = _wire("type", Kind.TEXT)
    created_at: datetime = _wire("createdAt", Kind.TIMESTAMP)
    resource: Mapping[str, Any] = attrs.field(
        metadata={"wire": "resource", "kind": Kind.OBJECT, "model": None}, hash=False, repr=False
    )
    repairs: tuple[Repair, ...] = _repairs()
