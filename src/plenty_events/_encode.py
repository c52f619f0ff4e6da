"""Encoding: events to wire-format mappings (with cattrs) and to JSON bytes.

cattrs generates one unstructuring function per model class, renaming each
field to its wire key and encoding its value as its kind says; msgspec then
writes the mapping with its decimals exact.
"""

from __future__ import annotations

import enum
import functools
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, cast

import attrs
import msgspec

from ._json import ReadOnlyObject, dumps, thaw
from ._kinds import ScalarKind
from ._model import UnknownEvent, extra_field, wire_fields
from .timestamps import to_unix

if TYPE_CHECKING:
    from collections.abc import Callable

    import cattrs


def _attrs_hook(converter: cattrs.Converter, cls: type[Any]) -> Callable[[Any], dict[str, Any]]:
    from cattrs.gen import make_dict_unstructure_fn, override  # noqa: PLC0415

    on_wire = {field.name: field for field in wire_fields(cast("type", cls))}
    overrides: dict[str, Any] = {}
    for field in attrs.fields(cls):
        found = on_wire.get(field.name)
        if found is None:
            overrides[field.name] = override(omit=True)
        elif isinstance(found.kind, ScalarKind) and found.kind.encode is not None:
            # An optional key holding its default was absent: it stays absent.
            overrides[field.name] = override(
                rename=found.wire, unstruct_hook=found.kind.encode, omit_if_default=not found.required
            )
        else:
            overrides[field.name] = override(rename=found.wire, omit_if_default=not found.required)
    unstructure = make_dict_unstructure_fn(cls, converter, **overrides)
    if not all(field.required for field in on_wire.values()):
        unstructure = _in_order(unstructure, [field.wire for field in on_wire.values()])
    if not extra_field(cast("type", cls)):
        return unstructure

    def with_extra(instance: Any) -> dict[str, Any]:
        # The keys lenient decoding kept go back where they came from,
        # after the model's own.
        wire = unstructure(instance)
        for key, value in instance.extra.items():
            if key in wire:
                raise ValueError(f"extra holds {key!r}, a key of the model's own")
            wire[key] = thaw(value)  # plain JSON values, as the rest of the mapping
        return wire

    return with_extra


def _in_order(unstructure: Callable[[Any], dict[str, Any]], keys: list[str]) -> Callable[[Any], dict[str, Any]]:
    """``unstructure`` with its keys in ``keys``' order: cattrs adds an omittable key after the others."""

    def in_order(instance: Any) -> dict[str, Any]:
        wire = unstructure(instance)
        return {key: wire[key] for key in keys if key in wire}

    return in_order


@functools.cache
def converter() -> cattrs.Converter:
    """The converter that turns events into wire-format mappings."""
    # Imported on first use: decoding never needs cattrs, and a receiver's
    # cold start should not pay for it.
    import cattrs  # noqa: PLC0415

    conv = cattrs.Converter()
    conv.register_unstructure_hook(datetime, to_unix)
    conv.register_unstructure_hook(Decimal, lambda value: value)
    conv.register_unstructure_hook(ReadOnlyObject, thaw)
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
    wire = to_dict(event)
    if not isinstance(event, UnknownEvent):
        # msgspec writes what to_dict makes of a model, byte for byte as the
        # library's own writer does (a property test holds the two together),
        # six to nine times faster, by interpreter. A raw resource may hold
        # what msgspec would write otherwise (a float NaN as null, an int key
        # as a string): the library's writer refuses those. So does it, with
        # the reason, what msgspec refuses.
        try:
            return _ENCODER.encode(wire)
        except (ValueError, TypeError):
            pass
    return dumps(wire).encode("utf-8")


_ENCODER: Final = msgspec.json.Encoder(decimal_format="number")
