"""Encoding: events to wire-format mappings (with cattrs) and to JSON bytes.

cattrs generates one unstructuring function per model class, renaming each
field to its wire key from the model's metadata; ``_json.dumps`` then writes
the mapping with its decimals exact.
"""

from __future__ import annotations

import enum
import functools
import re
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, cast

import attrs

from ._json import dumps
from ._model import Gender, Kind
from .timestamps import to_unix

if TYPE_CHECKING:
    from collections.abc import Callable

    import cattrs

_CAMEL_BOUNDARY: Final = re.compile(r"_([a-z0-9])")


def wire_name(field: attrs.Attribute[Any]) -> str:
    """The wire key of a field: from its metadata, else its name in camelCase."""
    key = field.metadata.get("wire")
    if key is None:
        return _CAMEL_BOUNDARY.sub(lambda m: m.group(1).upper(), field.name)
    return str(key)


def _gender(value: Gender | str | None) -> str:
    if value is None:
        return ""
    return value.value if isinstance(value, Gender) else value


def _attrs_hook(converter: cattrs.Converter, cls: type[Any]) -> Callable[[Any], dict[str, Any]]:
    from cattrs.gen import make_dict_unstructure_fn, override  # noqa: PLC0415

    overrides: dict[str, Any] = {}
    for field in attrs.fields(cls):
        if field.metadata.get("on_wire") is False:
            overrides[field.name] = override(omit=True)
        elif field.metadata.get("kind") is Kind.GENDER:
            overrides[field.name] = override(rename=wire_name(field), unstruct_hook=_gender)
        else:
            overrides[field.name] = override(rename=wire_name(field))
    return make_dict_unstructure_fn(cls, converter, **overrides)


@functools.cache
def converter() -> cattrs.Converter:
    """The converter that turns events into wire-format mappings."""
    # Imported on first use: decoding never needs cattrs, and a receiver's
    # cold start should not pay for it.
    import cattrs  # noqa: PLC0415

    conv = cattrs.Converter()
    conv.register_unstructure_hook(datetime, to_unix)
    conv.register_unstructure_hook(Decimal, lambda value: value)
    # A StrEnum is a str, which cattrs passes through; the wire wants plain str.
    conv.register_unstructure_hook(enum.StrEnum, lambda member: member.value)
    conv.register_unstructure_hook_factory(attrs.has, functools.partial(_attrs_hook, conv))
    return conv


def to_dict(event: object) -> dict[str, Any]:
    """Return the wire-format mapping of an event.

    Keys are the camelCase wire keys, timestamps integer Unix seconds, prices
    and quantities `Decimal` (exact; serialise them with
    [encode][plenty_events.encode], or a JSON library that writes `Decimal`
    as a number).

    Args:
        event: A [ServicePurchaseEvent][plenty_events.ServicePurchaseEvent],
            an [UnknownEvent][plenty_events.UnknownEvent], or an instance of a
            model registered with a [Decoder][plenty_events.Decoder].

    Returns:
        The mapping that [decode][plenty_events.decode] reads back.

    Raises:
        TypeError: `event` is not an attrs instance.
        ValueError: A timestamp is naive or has a fraction of a second.

    Examples:
        >>> import plenty_events
        >>> from plenty_events.testing import sample_payload
        >>> event = plenty_events.decode(sample_payload())
        >>> plenty_events.to_dict(event)["resource"]["order"]["orderItems"][0]["priceNet"]
        Decimal('41.1765')
    """
    result = converter().unstructure(event)
    if not isinstance(result, dict):
        raise TypeError(f"{type(event).__name__} is not an event")
    # A dict from the attrs hook above, whose keys are wire names.
    return cast("dict[str, Any]", result)


def encode(event: object) -> bytes:
    """Return the event as compact UTF-8 JSON in the wire format.

    The inverse of [decode][plenty_events.decode]: for every strictly valid
    event `e`, `decode(encode(e), strict=True) == e`.

    Args:
        event: An event, as for [to_dict][plenty_events.to_dict].

    Returns:
        The JSON text, numbers written exactly as their `Decimal` values.

    Raises:
        TypeError: `event` is not an attrs instance, or an
            [UnknownEvent][plenty_events.UnknownEvent]'s `resource` holds a
            value that is not JSON.
        ValueError: A timestamp is naive or has a fraction of a second, a
            number is not finite, or a string holds a lone surrogate.

    Examples:
        >>> import plenty_events
        >>> from plenty_events.testing import sample_payload
        >>> event = plenty_events.decode(sample_payload())
        >>> plenty_events.encode(event)[:60]
        b'{"id":"evt_553ea8a294e2d3a75d5086a06fb53f5a","type":"SERVICE'
    """
    return dumps(to_dict(event)).encode("utf-8")
