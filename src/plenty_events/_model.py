"""The event model: frozen, slotted, hashable attrs classes.

Each field is declared once, with ``field``: its wire key, its kind
(``_kinds``, which holds everything about decoding, encoding, the schema and
the test data of such a field), whether the key must be there, and how a
personal value is masked (``_privacy``). Everything else reads the shape of
the wire format from here, through ``wire_fields``, so it is written
down once.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Final, NamedTuple

import attrs

from ._codegen import lazy_pattern
from ._errors import Repair
from ._kinds import EventType, FieldKind, Gender, Kind, NestedKind
from ._privacy import Mask

#: The metadata key under which ``field`` keeps its declaration.
DECLARATION: Final = "plenty_events"


class Declaration(NamedTuple):
    """What ``field`` declares: the wire key, kind, nested model, presence and mask."""

    wire: str
    kind: FieldKind
    model: type | None
    required: bool
    personal: Mask | None


def field(  # noqa: PLR0913 -- one argument per fact of a field
    wire_key: str,
    kind: FieldKind,
    *,
    required: bool = True,
    default: Any = attrs.NOTHING,
    personal: bool | Mask = False,
    model: type | None = None,
) -> Any:
    """Declare a model field: its wire key, kind, presence and privacy, in one place.

    The repr, [redact][plenty_events.redact], both roads of decoding,
    encoding, the JSON Schema and the test strategies all read a field's
    facts from this declaration. The built-in models are declared with it,
    and so may the models registered with a [Decoder][plenty_events.Decoder].

    Args:
        wire_key: The field's key on the wire, such as `"orderId"`.
        kind: The field's kind, one of [Kind][plenty_events.Kind]: the rules
            of both modes, the wire type, the schema and the test data.
        required: `False` lets the key be absent in both modes; the field
            then holds `default`, and encoding leaves the key out while the
            field holds it. Only a scalar kind may be optional.
        default: The value of an absent optional key; `None` unless given.
            A field with a default is keyword-only.
        personal: The value is personal data: `True` masks it to its first
            character in the repr, and [redact][plenty_events.redact] blanks
            it; a [Mask][plenty_events.Mask] says how else it shows.
        model: The nested model of an object or array kind; read from the
            field's type where not given.

    Returns:
        The attrs field.

    Raises:
        TypeError: An optional field of an object or array kind.

    Examples:
        >>> import attrs
        >>> import plenty_events
        >>> @attrs.frozen
        ... class Refund:
        ...     order_id: int = plenty_events.field("orderId", plenty_events.Kind.INTEGER)
        ...     note: str | None = plenty_events.field("note", plenty_events.Kind.TEXT, required=False, personal=True)
        >>> Refund(7, note="Jane")
        Refund(order_id=7, note='J***')
    """
    if not required and isinstance(kind, NestedKind):
        raise TypeError(f"{wire_key!r}: only a field of a scalar kind can be optional, not of the {kind.name} kind")
    mask = Mask.NAME if personal is True else (personal or None)
    if not required and default is attrs.NOTHING:
        default = None
    declaration = Declaration(wire_key, kind, model, required, mask)
    return attrs.field(
        default=default,
        kw_only=default is not attrs.NOTHING,
        metadata={DECLARATION: declaration},
        repr=True if mask is None else mask.show,
    )


def wire(wire_key: str, kind: FieldKind, model: type | None = None) -> dict[str, Any]:
    """The metadata of a required, non-personal field, for an ``attrs.field`` with options ``field`` has not."""
    return {DECLARATION: Declaration(wire_key, kind, model, required=True, personal=None)}


def raw(wire_key: str) -> Any:
    """Declare a required object field kept as raw JSON, without a model: an unknown event's resource.

    Left out of the repr, which must not show the personal data it may
    hold, and of the hash: a JSON object is a dict.
    """
    metadata = {DECLARATION: Declaration(wire_key, Kind.OBJECT, None, required=True, personal=None), "raw": True}
    return attrs.field(metadata=metadata, hash=False, repr=False)


class WireField(NamedTuple):
    """A model field that is on the wire: its name, wire key, kind, nested model, presence and mask."""

    name: str
    wire: str
    kind: FieldKind
    model: type | None
    required: bool = True
    personal: Mask | None = None


@functools.cache
def wire_fields(model: type) -> tuple[WireField, ...]:
    """Return the fields of ``model`` that are on the wire, in wire order.

    The one reader of a model's shape: the two roads of decoding, the
    encoder, the schema, ``redact`` and the test strategies all walk the
    wire format through this. A field declared with ``field`` has its
    facts from there; a field without it (in a model registered with
    ``Decoder``) has its name in camelCase as its key, and the kind of its
    type, and is required.

    Raises:
        TypeError: a field's type has no kind.

    """
    found: list[WireField] = []
    for attribute in _fields(model):
        metadata = attribute.metadata
        declaration: Declaration | None = metadata.get(DECLARATION)
        if declaration is not None:
            nested = declaration.model
            if nested is None and isinstance(declaration.kind, NestedKind) and not metadata.get("raw"):
                nested = _kind_of(model, attribute)[1]
            found.append(
                WireField(
                    attribute.name,
                    declaration.wire,
                    declaration.kind,
                    nested,
                    declaration.required,
                    declaration.personal,
                )
            )
        elif metadata.get("on_wire", True) and not _is_repairs(attribute) and not _is_extra(attribute):
            found.append(
                WireField(attribute.name, camel_case(attribute.alias or attribute.name), *_kind_of(model, attribute))
            )
    return tuple(found)


def _complete(attribute: attrs.Attribute[Any]) -> bool:
    """Tell whether a field's metadata says all about it, so that its type need not be evaluated."""
    declaration: Declaration | None = attribute.metadata.get(DECLARATION)
    if declaration is None:
        return attribute.metadata.get("on_wire") is False
    return declaration.model is not None or not isinstance(declaration.kind, NestedKind) or "raw" in attribute.metadata


def _fields(model: type) -> tuple[attrs.Attribute[Any], ...]:
    """Return the attrs fields of ``model``, with their types evaluated where the metadata does not say all.

    A field without ``wire`` metadata, and not marked as off the wire, has
    its kind, or its role as ``repairs`` or ``extra``, by its type; the
    built-in models, whose metadata says all, skip evaluating annotations.
    """
    fields: tuple[attrs.Attribute[Any], ...] = attrs.fields(model)
    if all(_complete(field) for field in fields):
        return fields
    resolved: tuple[attrs.Attribute[Any], ...] = attrs.fields(attrs.resolve_types(model))
    return resolved


def _is_extra(field: attrs.Attribute[Any]) -> bool:
    """Tell whether ``field`` is where lenient decoding keeps unknown keys: ``extra: Mapping[str, Any]``."""
    if field.metadata.get("extra"):
        return True
    return (
        field.name == "extra" and typing.get_origin(field.type) is Mapping and typing.get_args(field.type) == (str, Any)
    )


@functools.cache
def extra_field(model: type) -> bool:
    """Tell whether ``model`` has a field for the unknown keys that lenient decoding keeps."""
    return any(_is_extra(field) for field in _fields(model))


def _is_repairs(field: attrs.Attribute[Any]) -> bool:
    """Tell whether ``field`` is where lenient decoding puts the repairs: ``repairs: tuple[Repair, ...]``."""
    return field.name == "repairs" and field.type == tuple[Repair, ...]


@functools.cache
def repairs_field(model: type) -> bool:
    """Tell whether ``model`` has a field for the repairs of lenient decoding."""
    return any(field.metadata.get("repairs") or _is_repairs(field) for field in _fields(model))


_CAMEL_BOUNDARY: Final = lazy_pattern(r"_([a-z0-9])")


def camel_case(name: str) -> str:
    """``order_id`` as the wire writes it: ``orderId``."""
    return _CAMEL_BOUNDARY.sub(lambda match: match.group(1).upper(), name)


_SCALAR_TYPES: Final[dict[object, FieldKind]] = {
    str: Kind.TEXT,
    int: Kind.INTEGER,
    bool: Kind.BOOLEAN,
    Decimal: Kind.DECIMAL,
    datetime: Kind.TIMESTAMP,
}


def _kind_of(model: type, field: attrs.Attribute[Any]) -> tuple[FieldKind, type | None]:
    """The kind, and nested model, of a field by its type: ``int``, ``tuple[Line, ...]``, an attrs class."""
    annotation = field.type
    if annotation in _SCALAR_TYPES:
        return _SCALAR_TYPES[annotation], None
    if isinstance(annotation, type) and attrs.has(annotation):
        return Kind.OBJECT, annotation
    arguments = typing.get_args(annotation)
    if (
        typing.get_origin(annotation) is tuple
        and len(arguments) == 2
        and arguments[1] is Ellipsis
        and isinstance(arguments[0], type)
        and attrs.has(arguments[0])
    ):
        return Kind.ARRAY, arguments[0]
    raise TypeError(
        f"{model.__name__}.{field.name}: no field kind for {annotation!r};"
        " use str, int, bool, Decimal, datetime, an attrs class or a tuple[attrs class, ...]"
    )


def _repairs() -> Any:
    # What lenient decoding changed. Not part of the value: an event equals
    # its own re-decoded encoding, which needed no repair.
    return attrs.field(default=(), eq=False, repr=False, kw_only=True, metadata={"on_wire": False, "repairs": True})


@typing.final
class Extra(Mapping[str, Any]):
    """A read-only mapping of the keys lenient decoding kept, which pickles, unlike ``MappingProxyType``."""

    __slots__ = ("_keys",)

    def __init__(self, keys: dict[str, Any]) -> None:
        self._keys = keys

    def __getitem__(self, key: str) -> Any:
        return self._keys[key]

    def __iter__(self) -> typing.Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        # The values are the sender's: only the number of keys shows.
        return f"<extra: {len(self._keys)} keys>"

    def __reduce__(self) -> tuple[type[Extra], tuple[dict[str, Any]]]:
        return (Extra, (self._keys,))


NO_EXTRA: Final = Extra({})
"""The ``extra`` of an object that had no unknown key: empty, and shared."""


def _extra() -> Any:
    # The keys lenient decoding kept because the model does not know them.
    # Not part of the value, like the repairs; left out of the repr, since
    # the values are the sender's (the repairs name each key's path).
    return attrs.field(default=NO_EXTRA, eq=False, repr=False, kw_only=True, metadata={"on_wire": False, "extra": True})


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

    id: int = field("id", Kind.INTEGER)
    gender: Gender | str | None = field("gender", Kind.GENDER, personal=Mask.GENDER)
    """``None`` for the wire's empty string. In lenient mode, an unknown value
    such as ``"company"`` is kept as a plain string."""
    first_name: str = field("firstName", Kind.OPTIONAL_TEXT, personal=True)
    last_name: str = field("lastName", Kind.OPTIONAL_TEXT, personal=True)
    email: str = field("email", Kind.OPTIONAL_TEXT, personal=Mask.EMAIL)
    """The contact's private address; no syntax is guaranteed."""
    updated_at: datetime = field("updatedAt", Kind.TIMESTAMP)
    extra: Mapping[str, Any] = _extra()
    """Keys the model does not know, kept by lenient decoding with their JSON values."""


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

    id: int = field("id", Kind.INTEGER)
    company_name: str = field("companyName", Kind.OPTIONAL_TEXT, personal=True)
    first_name: str = field("firstName", Kind.OPTIONAL_TEXT, personal=True)
    last_name: str = field("lastName", Kind.OPTIONAL_TEXT, personal=True)
    street: str = field("street", Kind.TEXT, personal=True)
    house_number: str = field("houseNumber", Kind.TEXT, personal=True)
    additional: str = field("additional", Kind.OPTIONAL_TEXT, personal=True)
    postal_code: str = field("postalCode", Kind.TEXT)
    town: str = field("town", Kind.TEXT)
    country: str = field("country", Kind.COUNTRY, personal=Mask.CODE)
    """Uppercase: ISO 3166-1 alpha-2 or a plentymarkets code such as ``XI``."""
    phone: str = field("phone", Kind.OPTIONAL_TEXT, personal=Mask.TAIL)
    email: str = field("email", Kind.OPTIONAL_TEXT, personal=Mask.EMAIL)
    updated_at: datetime = field("updatedAt", Kind.TIMESTAMP)
    extra: Mapping[str, Any] = _extra()
    """Keys the model does not know, kept by lenient decoding with their JSON values."""


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

    item_variation_id: int = field("itemVariationId", Kind.INTEGER)
    quantity: Decimal = field("quantity", Kind.DECIMAL)
    order_item_name: str = field("orderItemName", Kind.TEXT)
    price_gross: Decimal = field("priceGross", Kind.DECIMAL)
    price_net: Decimal = field("priceNet", Kind.DECIMAL)
    extra: Mapping[str, Any] = _extra()
    """Keys the model does not know, kept by lenient decoding with their JSON values."""


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

    id: int = field("id", Kind.INTEGER)
    paypal_transaction_id: str = field("payPalTransactionId", Kind.OPTIONAL_TEXT, personal=Mask.TAIL)
    order_items: tuple[OrderItem, ...] = field("orderItems", Kind.ARRAY, model=OrderItem)
    extra: Mapping[str, Any] = _extra()
    """Keys the model does not know, kept by lenient decoding with their JSON values."""


@attrs.frozen
class Resource:
    """What was bought and by whom: `resource` on the wire.

    Attributes:
        contact: The customer; wire key `contact`.
        address: The customer's invoice address; wire key `address`.
        order: The order; wire key `order`.
    """

    contact: Contact = field("contact", Kind.OBJECT, model=Contact)
    address: Address = field("address", Kind.OBJECT, model=Address)
    order: Order = field("order", Kind.OBJECT, model=Order)
    extra: Mapping[str, Any] = _extra()
    """Keys the model does not know, kept by lenient decoding with their JSON values."""


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

    id: str = field("id", Kind.EVENT_ID)
    """1 to 200 characters; the idempotency key of a delivery."""
    type: EventType = field("type", Kind.EVENT_TYPE)
    created_at: datetime = field("createdAt", Kind.TIMESTAMP)
    resource: Resource = field("resource", Kind.RESOURCE, model=Resource)
    extra: Mapping[str, Any] = _extra()
    """Keys of the envelope the model does not know, kept by lenient decoding with their JSON values."""
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

    id: str = field("id", Kind.EVENT_ID)
    type: str = field("type", Kind.TEXT, personal=Mask.HINT)
    created_at: datetime = field("createdAt", Kind.TIMESTAMP)
    resource: Mapping[str, Any] = raw("resource")
    extra: Mapping[str, Any] = _extra()
    """Keys of the envelope besides id, type, createdAt and resource, with their JSON values."""
    repairs: tuple[Repair, ...] = _repairs()
