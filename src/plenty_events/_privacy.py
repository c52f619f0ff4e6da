"""Masking personal data in reprs, and redacting it from events.

The payload is the personal data of EU customers. What may show in a repr or
a log: ids, type (cut to eight characters where it has no model),
timestamps, a valid country code, a documented gender, prices. What may not,
in full: names, email, phone, street, house number, company name, PayPal
transaction id, and whatever lenient mode kept as it came (an unknown gender
or country code).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final, TypeVar, cast, overload

import attrs

from ._errors import shorten

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._model import ServicePurchaseEvent, UnknownEvent

_T = TypeVar("_T")

REDACTED = "***"

#: A domain that shows after the ``@``: a hostname of ASCII labels (letters,
#: digits, inner hyphens) with at least one dot, at most this long. Anything
#: else after an ``@`` may be a name or an address, and is masked.
MAX_DOMAIN_LENGTH: Final = 64
_LABEL: Final = "[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_HOSTNAME: Final = re.compile(rf"{_LABEL}(?:\.{_LABEL})+\Z")

#: How many characters of an unknown event type may show, when it does not
#: have the shape of a plentymarkets type.
TYPE_HINT_LENGTH: Final = 8

#: The shape of a plentymarkets event type, which shows in full: dot-separated
#: segments of capitals, digits and underscores, the first starting with a
#: capital, at least two segments (``SERVICE.PLUGIN.REFUND``), at most
#: MAX_TYPE_LENGTH characters. Nothing in lower case, no space, no ``@``:
#: a name or an email address sent as a type keeps its hint.
MAX_TYPE_LENGTH: Final = 64
_EVENT_TYPE: Final = re.compile(r"[A-Z][A-Z0-9_]*(?:\.[A-Z0-9_]+)+\Z")

#: A value this short shows in full where a code is expected (``'de'``,
#: ``'DEU'``, ``'--'``): it says what was wrong, and cannot name a person.
CODE_LENGTH: Final = 3


def masked(value: str) -> str:
    """Keep the first character: ``"John"`` becomes ``"J***"``."""
    if not value or value == REDACTED:  # nothing to hide, or redacted already
        return value
    return f"{value[:1]}{REDACTED}"


def mask(value: str) -> str:
    """The repr of :func:`masked`: ``"John"`` shows as ``'J***'``."""
    return repr(masked(value))


def mask_email(value: str) -> str:
    """Keep the first character, and the domain when it is a hostname: ``'j***@account.com'``.

    The domain helps tell a shop's test orders from real ones, and is rarely
    the person. What follows the last ``@`` shows only when it looks like a
    hostname (ASCII letters, digits, hyphens and dots, at most 64
    characters); anything else there is masked: ``'x***@***'``.
    """
    local, at, domain = value.rpartition("@")
    if not at:
        return mask(value)
    if len(domain) > MAX_DOMAIN_LENGTH or not _HOSTNAME.match(domain):
        domain = REDACTED
    return repr(f"{local[:1]}{REDACTED}@{domain}")


def mask_tail(value: str) -> str:
    """Keep the last two characters: ``"123-456-7890"`` shows as ``'***90'``.

    Enough to tell two values apart in a log, not enough to call anyone.
    """
    return repr(f"{REDACTED}{value[-2:]}" if len(value) > 4 else (REDACTED if value else ""))


def type_hint(value: str) -> str:
    """An event type as output may show it: whole when it has a plentymarkets type's shape, else cut.

    ``SERVICE.PLUGIN.REFUND`` shows as it is, so that a drift report says
    which new types arrive. Any other text is cut to eight characters
    (``"Zelda Q…"``): they tell a ``SERVICE.`` type from a stray value, and
    cannot carry a whole name.
    """
    if len(value) <= MAX_TYPE_LENGTH and _EVENT_TYPE.match(value):
        return value
    return shorten(value, TYPE_HINT_LENGTH)


def mask_head(value: str) -> str:
    """The repr of :func:`type_hint`: ``'SERVICE…'``."""
    return repr(type_hint(value))


def mask_code(value: str) -> str:
    """Show a value short enough to be a code, mask a longer one: ``'de'``, but ``'G***'``.

    For a country code that is not valid: ``'de'`` or ``'DEU'`` say what was
    wrong, ``'Germany'`` or a customer's town shows as a hint only.
    """
    return repr(value) if len(value) <= CODE_LENGTH else mask(value)


def mask_gender(value: object) -> str:
    """Show a documented gender (a ``Gender``) or ``None``; mask a value kept as it came."""
    # A Gender is a StrEnum member; lenient mode keeps an unknown value as a plain str.
    return mask(value) if type(value) is str else repr(value)


@overload
def redact(event: ServicePurchaseEvent) -> ServicePurchaseEvent: ...
@overload
def redact(event: UnknownEvent) -> UnknownEvent: ...
def redact(event: ServicePurchaseEvent | UnknownEvent) -> ServicePurchaseEvent | UnknownEvent:
    """Return a copy of `event` without its personal values.

    For a [ServicePurchaseEvent][plenty_events.ServicePurchaseEvent]: names,
    email addresses, phone, street, house number, address addition, company
    name and PayPal transaction id become `"***"` (an empty value stays
    empty), and so do a gender and a country code that lenient mode kept as
    they came. Ids, timestamps, postal code, town, a valid country, a
    documented gender, items and prices are kept, so the copy still serves
    analytics and debugging.

    For an [UnknownEvent][plenty_events.UnknownEvent]: every non-empty string
    in its raw `resource` becomes `"***"`; keys, numbers, booleans, nulls
    and the shape are kept, and so are its id, type and timestamp.

    For both, the unknown keys that lenient decoding kept in `extra` are
    dropped, at every level. The copy's encoding decodes to the copy in the
    mode that decoded the event: strictly for a strictly decoded event,
    leniently for any. Repairs are kept; they carry no personal values.

    Args:
        event: An event that [decode][plenty_events.decode] returned.

    Returns:
        The redacted copy.

    Raises:
        TypeError: `event` is not an event that [decode][plenty_events.decode] returns.

    Examples:
        >>> import plenty_events
        >>> from plenty_events.testing import sample_payload
        >>> event = plenty_events.decode(sample_payload())
        >>> plenty_events.redact(event).resource.contact.email
        '***'

    """
    from ._model import NO_EXTRA, ServicePurchaseEvent, UnknownEvent  # noqa: PLC0415 -- _model imports this module

    if isinstance(event, UnknownEvent):
        return attrs.evolve(event, resource=_blanked(event.resource), extra=NO_EXTRA)
    given = cast("object", event)  # the annotation says what it must be; a caller may pass anything
    if not isinstance(given, ServicePurchaseEvent):
        raise TypeError(f"redact() takes an event that decode() returns, not a {type(given).__name__}")
    resource = event.resource
    contact = _blank(resource.contact, "first_name", "last_name", "email")
    if type(contact.gender) is str:  # an unknown gender, kept as it came
        contact = attrs.evolve(contact, gender=REDACTED)
    address = _blank(
        resource.address,
        "company_name",
        "first_name",
        "last_name",
        "street",
        "house_number",
        "additional",
        "phone",
        "email",
    )
    if not _valid_country(address.country):
        address = attrs.evolve(address, country=REDACTED)
    order = _blank(resource.order, "paypal_transaction_id")
    redacted = attrs.evolve(event, resource=attrs.evolve(resource, contact=contact, address=address, order=order))
    return _without_extra(redacted)


def _without_extra(instance: _T) -> _T:
    """Return `instance` with the unknown keys lenient decoding kept dropped, at every level."""
    from ._model import NO_EXTRA, wire_fields  # noqa: PLC0415 -- the model imports this module

    model: type = type(instance)
    changes: dict[str, object] = {}
    for field in wire_fields(model):
        if field.model is not None:
            value: object = getattr(instance, field.name)
            if isinstance(value, tuple):
                changes[field.name] = tuple(_without_extra(item) for item in cast("tuple[object, ...]", value))
            else:
                changes[field.name] = _without_extra(value)
    changes["extra"] = NO_EXTRA  # every model of the built-in events has one
    return attrs.evolve(instance, **changes)  # type: ignore[misc]  # an instance of an attrs model


def _valid_country(code: str) -> bool:
    from . import countries  # noqa: PLC0415 -- its table is read on first use only

    return countries.is_valid(code)


def _blank(instance: _T, *names: str) -> _T:
    return attrs.evolve(
        instance,  # type: ignore[misc]
        **{name: REDACTED if getattr(instance, name) else "" for name in names},
    )


#: What an object's copy holds for a key until its value is copied.
_PENDING: Final = object()


def _blanked(resource: Mapping[str, object]) -> dict[str, object]:
    """Copy a raw JSON object with each non-empty string replaced by ``"***"``.

    The walk keeps its own stack: an event built by hand may nest deeper
    than Python's recursion limit.
    """
    # Each entry: a value, and where to put its copy. The copies of objects
    # get their keys first, so that they keep the order of the original.
    root = dict.fromkeys(resource, _PENDING)
    stack: list[tuple[object, Callable[[object], None]]] = [
        (member, functools.partial(root.__setitem__, key)) for key, member in resource.items()
    ]
    while stack:
        value, put = stack.pop()
        if isinstance(value, str):
            put(REDACTED if value else "")
        elif isinstance(value, Mapping):
            members = cast("Mapping[str, object]", value)
            obj = dict.fromkeys(members, _PENDING)
            put(obj)
            stack.extend((member, functools.partial(obj.__setitem__, key)) for key, member in members.items())
        elif isinstance(value, (list, tuple)):
            items = cast("list[object] | tuple[object, ...]", value)
            array: list[object] = [None] * len(items)
            put(array)
            stack.extend((member, functools.partial(array.__setitem__, index)) for index, member in enumerate(items))
        else:
            put(value)
    return root
