"""The event model: frozen, slotted, hashable attrs classes.

Each field's metadata names its wire key and the rule ``kind`` that decodes
it. The decoders, the encoder and the JSON Schema all read the shape of the
wire format from here, so it is written down once.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

import attrs

from ._errors import Repair
from ._privacy import mask, mask_email, mask_tail


class EventType(enum.StrEnum):
    """The event types this library has a model for."""

    SERVICE_PLUGIN_PURCHASE = "SERVICE.PLUGIN.PURCHASE"
    """A customer bought a service on plentyMarketplace."""


class Gender(enum.StrEnum):
    """A contact's gender. The wire format's empty string decodes to `None`."""

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


def wire(key: str, kind: Kind, model: type | None = None) -> dict[str, Any]:
    """Field metadata: the wire key, the rule kind, and the nested model class."""
    return {"wire": key, "kind": kind, "model": model}


class WireField(NamedTuple):
    """A model field that is on the wire, as its ``wire`` metadata describes it."""

    name: str
    wire: str
    kind: Kind
    model: type | None


@functools.cache
def wire_fields(model: type) -> tuple[WireField, ...]:
    """Return the fields of ``model`` that are on the wire, in wire order.

    The one reader of the metadata: the decoders, the schema and the test
    strategies all walk the wire format through this.
    """
    return tuple(
        WireField(field.name, field.metadata["wire"], field.metadata["kind"], field.metadata["model"])
        for field in attrs.fields(model)
        if "wire" in field.metadata
    )


def _repairs() -> Any:
    # What lenient decoding changed. Not part of the value: an event equals
    # its own re-decoded encoding, which needed no repair.
    return attrs.field(default=(), eq=False, repr=False, kw_only=True, metadata={"on_wire": False})


@attrs.frozen
class Contact:
    """The customer who bought: `resource.contact` on the wire.

    The names and the email address are personal data: the repr masks them.
    In lenient mode each of the three is `""` where the wire has `null` or
    nothing.

    Attributes:
        id: The contact's plentymarkets ID; wire key `id`.
        gender: The contact's gender, or `None` for the wire's empty string.
            In lenient mode an unknown value such as `"company"` is kept as a
            plain string. Wire key `gender`.
        first_name: The first name; wire key `firstName`.
        last_name: The last name; wire key `lastName`.
        email: The contact's private email address; no syntax is
            guaranteed. Wire key `email`.
        updated_at: When the contact was last changed; wire key `updatedAt`.
    """

    id: int = attrs.field(metadata=wire("id", Kind.INTEGER))
    gender: Gender | str | None = attrs.field(metadata=wire("gender", Kind.GENDER))
    """``None`` for the wire's empty string. In lenient mode, an unknown value
    such as ``"company"`` is kept as a plain string."""
    first_name: str = attrs.field(metadata=wire("firstName", Kind.OPTIONAL_TEXT), repr=mask)
    last_name: str = attrs.field(metadata=wire("lastName", Kind.OPTIONAL_TEXT), repr=mask)
    email: str = attrs.field(metadata=wire("email", Kind.OPTIONAL_TEXT), repr=mask_email)
    """The contact's private address; no syntax is guaranteed."""
    updated_at: datetime = attrs.field(metadata=wire("updatedAt", Kind.TIMESTAMP))


@attrs.frozen
class Address:
    """The customer's invoice address: `resource.address` on the wire.

    The repr masks the company name, the names, street, house number,
    address addition, phone and email. In lenient mode the company name,
    the names, the addition, phone and email are `""` where the wire has
    `null` or nothing.

    Attributes:
        id: The address's plentymarkets ID; wire key `id`.
        company_name: The company name; wire key `companyName`.
        first_name: The first name; wire key `firstName`.
        last_name: The last name; wire key `lastName`.
        street: The street; wire key `street`.
        house_number: The house number, text as on the wire, such as
            `"123"`; wire key `houseNumber`.
        additional: The address addition, often `""`; wire key `additional`.
        postal_code: The postal code, text as on the wire, such as
            `"34117"`; wire key `postalCode`.
        town: The town; wire key `town`.
        country: The country code, uppercase: ISO 3166-1 alpha-2 or a
            plentymarkets code such as `XI` (see
            [countries][plenty_events.countries]). In lenient mode an unknown
            code is kept as it came, stripped and uppercased. Wire key
            `country`.
        phone: The phone number, as written; wire key `phone`.
        email: The email address of the invoice address; wire key `email`.
        updated_at: When the address was last changed; wire key `updatedAt`.
    """

    id: int = attrs.field(metadata=wire("id", Kind.INTEGER))
    company_name: str = attrs.field(metadata=wire("companyName", Kind.OPTIONAL_TEXT), repr=mask)
    first_name: str = attrs.field(metadata=wire("firstName", Kind.OPTIONAL_TEXT), repr=mask)
    last_name: str = attrs.field(metadata=wire("lastName", Kind.OPTIONAL_TEXT), repr=mask)
    street: str = attrs.field(metadata=wire("street", Kind.TEXT), repr=mask)
    house_number: str = attrs.field(metadata=wire("houseNumber", Kind.TEXT), repr=mask)
    additional: str = attrs.field(metadata=wire("additional", Kind.OPTIONAL_TEXT), repr=mask)
    postal_code: str = attrs.field(metadata=wire("postalCode", Kind.TEXT))
    town: str = attrs.field(metadata=wire("town", Kind.TEXT))
    country: str = attrs.field(metadata=wire("country", Kind.COUNTRY))
    """Uppercase: ISO 3166-1 alpha-2 or a plentymarkets code such as ``XI``."""
    phone: str = attrs.field(metadata=wire("phone", Kind.OPTIONAL_TEXT), repr=mask_tail)
    email: str = attrs.field(metadata=wire("email", Kind.OPTIONAL_TEXT), repr=mask_email)
    updated_at: datetime = attrs.field(metadata=wire("updatedAt", Kind.TIMESTAMP))


@attrs.frozen
class OrderItem:
    """One line of the order: `resource.order.orderItems[]` on the wire.

    Prices are totals of the line, surcharges and discounts included. The
    payload carries no currency. Numbers are exact `Decimal` values, as
    written on the wire.

    Attributes:
        item_variation_id: The plentymarkets item variation bought; wire key
            `itemVariationId`.
        quantity: The quantity, which may have a fraction; wire key
            `quantity`.
        order_item_name: The name of the service as ordered; wire key
            `orderItemName`.
        price_gross: The line's total gross price; wire key `priceGross`.
        price_net: The line's total net price; wire key `priceNet`.
    """

    item_variation_id: int = attrs.field(metadata=wire("itemVariationId", Kind.INTEGER))
    quantity: Decimal = attrs.field(metadata=wire("quantity", Kind.DECIMAL))
    order_item_name: str = attrs.field(metadata=wire("orderItemName", Kind.TEXT))
    price_gross: Decimal = attrs.field(metadata=wire("priceGross", Kind.DECIMAL))
    price_net: Decimal = attrs.field(metadata=wire("priceNet", Kind.DECIMAL))


@attrs.frozen
class Order:
    """The order: `resource.order` on the wire. It carries no currency.

    Attributes:
        id: The order's plentymarkets ID; wire key `id`.
        paypal_transaction_id: The PayPal transaction id; the repr shows its
            last two characters only. In lenient mode `""` where the wire has
            `null` or nothing. Wire key `payPalTransactionId`.
        order_items: The order's lines, one or more; wire key `orderItems`.
    """

    id: int = attrs.field(metadata=wire("id", Kind.INTEGER))
    paypal_transaction_id: str = attrs.field(metadata=wire("payPalTransactionId", Kind.OPTIONAL_TEXT), repr=mask_tail)
    order_items: tuple[OrderItem, ...] = attrs.field(metadata=wire("orderItems", Kind.ARRAY, OrderItem))


@attrs.frozen
class Resource:
    """What was bought and by whom: `resource` on the wire.

    Attributes:
        contact: The customer; wire key `contact`.
        address: The customer's invoice address; wire key `address`.
        order: The order; wire key `order`.
    """

    contact: Contact = attrs.field(metadata=wire("contact", Kind.OBJECT, Contact))
    address: Address = attrs.field(metadata=wire("address", Kind.OBJECT, Address))
    order: Order = attrs.field(metadata=wire("order", Kind.OBJECT, Order))


@attrs.frozen
class ServicePurchaseEvent:
    """`SERVICE.PLUGIN.PURCHASE`: a customer bought a service.

    What [decode][plenty_events.decode] returns for the documented event
    type. Events are frozen, hashable and compare by value.

    Attributes:
        id: The event id, 1 to 200 characters: the idempotency key of a
            delivery. Wire key `id`.
        type: Always
            [SERVICE_PLUGIN_PURCHASE][plenty_events.EventType.SERVICE_PLUGIN_PURCHASE];
            wire key `type`.
        created_at: The event's timestamp; wire key `createdAt`.
        resource: What was bought and by whom; wire key `resource`.
        repairs: What lenient decoding changed to accept the payload; empty
            after strict decoding. Not on the wire, and not part of the
            event's value: equality and hashing ignore it.
    """

    id: str = attrs.field(metadata=wire("id", Kind.EVENT_ID))
    """1 to 200 characters; the idempotency key of a delivery."""
    type: EventType = attrs.field(metadata=wire("type", Kind.EVENT_TYPE))
    created_at: datetime = attrs.field(metadata=wire("createdAt", Kind.TIMESTAMP))
    resource: Resource = attrs.field(metadata=wire("resource", Kind.RESOURCE, Resource))
    repairs: tuple[Repair, ...] = _repairs()


@attrs.frozen
class UnknownEvent:
    """An event of a type this library has no model for (lenient mode only).

    The envelope is decoded; `resource` is the raw JSON object, kept as it
    came, so the event encodes back to the same JSON.

    Attributes:
        id: The event id, 1 to 200 characters; wire key `id`.
        type: The event type, as sent; wire key `type`.
        created_at: The event's timestamp; wire key `createdAt`.
        resource: The raw JSON object, left out of the repr, which must not
            show personal data it may hold; wire key `resource`.
        repairs: What lenient decoding changed to accept the envelope, as for
            [ServicePurchaseEvent][plenty_events.ServicePurchaseEvent].
    """

    id: str = attrs.field(metadata=wire("id", Kind.EVENT_ID))
    type: str = attrs.field(metadata=wire("type", Kind.TEXT))
    created_at: datetime = attrs.field(metadata=wire("createdAt", Kind.TIMESTAMP))
    resource: Mapping[str, Any] = attrs.field(metadata=wire("resource", Kind.OBJECT), hash=False, repr=False)
    repairs: tuple[Repair, ...] = _repairs()
