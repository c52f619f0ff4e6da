"""Redacting personal data from events, as the model's field declarations mark it."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final, TypeVar, cast, overload

import attrs

from ._model import NO_EXTRA, ServicePurchaseEvent, UnknownEvent, wire_fields
from ._privacy import REDACTED

if TYPE_CHECKING:
    from collections.abc import Callable

_T = TypeVar("_T")


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
    if isinstance(event, UnknownEvent):
        return attrs.evolve(event, resource=_blanked(event.resource), extra=NO_EXTRA)
    given = cast("object", event)  # the annotation says what it must be; a caller may pass anything
    if not isinstance(given, ServicePurchaseEvent):
        raise TypeError(f"redact() takes an event that decode() returns, not a {type(given).__name__}")
    return _redacted(event)


def _redacted(instance: _T) -> _T:
    """Return ``instance`` with each personal value blanked as its mask says, and no unknown keys, at every level."""
    model: type = type(instance)
    changes: dict[str, object] = {}
    for field in wire_fields(model):
        value: object = getattr(instance, field.name)
        if field.personal is not None:
            changes[field.name] = field.personal.blank(value)
        elif field.model is not None:
            if isinstance(value, tuple):
                changes[field.name] = tuple(_redacted(item) for item in cast("tuple[object, ...]", value))
            else:
                changes[field.name] = _redacted(value)
    changes["extra"] = NO_EXTRA  # every model of the built-in events has one
    return attrs.evolve(instance, **changes)  # type: ignore[misc]  # an instance of an attrs model


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
