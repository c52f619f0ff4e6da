"""Decoding: JSON values to events, dispatched on ``type``.

The flow is one way: ``_json`` parses the text; ``decode_value`` reads the
envelope's ``type`` and hands the payload to that type's model decoder: the
generated decoders of ``_codegen``, which hand whatever they cannot pass to
the rule-by-rule walk of ``_walk``, which applies the rules of the mode
(``_strict`` or ``_lenient``) to each value.

Before all that, ``_quick`` tries the common case, a valid purchase event,
with no report at all; anything else takes the full road, which explains.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, cast

import attrs

from . import _json, _strict, _walk
from ._codegen import decoder
from ._errors import DecodeError
from ._json import INVALID
from ._model import EventType, Kind, ServicePurchaseEvent, UnknownEvent, wire_fields
from ._report import ROOT, Report, key_path

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._codegen import Decoder
    from ._types import JSONInput, JSONText
    from ._walk import Mode

    #: Decodes the envelope object of one event type: (envelope, mode, report).
    ModelDecoder = Callable[[dict[str, object], "Mode", Report], object]

_PURCHASE: Final = EventType.SERVICE_PLUGIN_PURCHASE.value


def decode_purchase(envelope: dict[str, object], mode: Mode, report: Report) -> object:
    """Decode a ``SERVICE.PLUGIN.PURCHASE`` envelope."""
    strict = mode is _strict
    if type(envelope) is dict:
        event = decoder(ServicePurchaseEvent, strict=strict)(envelope, ROOT, report, [0])
    else:  # marked with a duplicate key, which obj() reported: a fallback would report it again
        event = _walk.decode_object(envelope, ROOT, _walk.plan(ServicePurchaseEvent, strict=strict), mode, report)
    if event is INVALID:
        return INVALID
    repairs = report.repairs()
    return attrs.evolve(cast("ServicePurchaseEvent", event), repairs=repairs) if repairs else event


def _envelope(envelope: dict[str, object], mode: Mode, report: Report) -> dict[str, Any]:
    """Decode what every event has, ``type`` aside: id, createdAt and a raw resource object.

    Returns the values by field name; a value is INVALID where the report says why.
    """
    values: dict[str, Any] = {}
    for field in wire_fields(UnknownEvent):
        key = field.wire
        if key == "type":
            continue
        value = envelope.get(key, _walk.MISSING)
        if value is _walk.MISSING:
            values[field.name] = mode.missing(field.kind, ROOT, key, report)
        elif key == "resource":
            member = mode.obj(value, ROOT, key, report)
            raw = INVALID if member is None else _json.check(member, key_path(ROOT, key), report, floats=False)
            values[field.name] = raw
        else:
            values[field.name] = mode.RULES[field.kind](value, ROOT, key, report)
    mode.unknown([key for key in envelope if key not in _ENVELOPE_KEYS], ROOT, report)
    return values


_ENVELOPE_KEYS: Final = frozenset({"id", "type", "createdAt", "resource"})


def decode_unknown(envelope: dict[str, object], mode: Mode, report: Report) -> object:
    """Decode an event of a type without a model, keeping its resource raw."""
    values = _envelope(envelope, mode, report)
    if report:
        return INVALID
    # Dispatch sent only a string type here.
    return UnknownEvent(type=cast("str", envelope["type"]), **values, repairs=report.repairs())


BUILTIN_MODELS: Final[dict[str, ModelDecoder]] = {"SERVICE.PLUGIN.PURCHASE": decode_purchase}


def decode_value(
    value: object, *, strict: bool, report: Report, models: Mapping[str, ModelDecoder] = BUILTIN_MODELS
) -> object:
    """Decode a parsed JSON value; dispatch on ``type`` first, then decode one model."""
    rules = _walk.mode(strict=strict)
    envelope = rules.obj(value, ROOT, None, report)
    if envelope is None:
        raise DecodeError(report.errors())
    event_type = envelope.get("type", _walk.MISSING)
    if type(event_type) is str and event_type in models:
        event = models[event_type](envelope, rules, report)
    elif type(event_type) is str and not strict:
        event = decode_unknown(envelope, rules, report)
    else:
        # No model to check the rest against: report the type, and what is
        # wrong with the envelope every event shares.
        if event_type is _walk.MISSING:
            rules.missing(Kind.TEXT, ROOT, "type", report)
        elif type(event_type) is not str:
            _strict.text(event_type, ROOT, "type", report)
        else:
            _strict.fail(ROOT, "type", report, "event_type", f"unknown event type {_strict.shown(event_type, 40)}")
        _envelope(envelope, rules, report)
        event = INVALID
    if report or event is INVALID:
        raise DecodeError(report.errors())
    return event


def decode_input(
    data: JSONInput | object, *, strict: bool, models: Mapping[str, ModelDecoder] = BUILTIN_MODELS
) -> object:
    """Decode JSON text or an already parsed value; raise DecodeError on failure."""
    if isinstance(data, (bytes, bytearray, memoryview, str)):
        text = cast("JSONText", data)  # isinstance() leaves memoryview's item type unknown
        parsed = _json.parse_quick(text)
        if parsed is not None:
            event = _quick(*parsed)
            if event is not None:
                return event
        report = Report()
        if parsed is not None and _json.settled(*parsed):
            value: object = parsed[0]  # spare the second parse: it would find nothing more
        else:
            value = _json.parse(text, report, strict=strict)
    else:
        report = Report()
        value = _json.check(data, ROOT, report)
    if value is INVALID:
        raise DecodeError(report.errors())
    return decode_value(value, strict=strict, report=report, models=models)


def _quick(value: dict[str, object], colons: int) -> ServicePurchaseEvent | None:
    """Decode a valid purchase event from :func:`_json.parse_quick`'s result, or return ``None``.

    ``None`` says nothing about the payload: it may be invalid, need a
    repair, hold a duplicate key, or just be unusual (a colon in a string).
    The full decode then decides, and explains. What this returns, the full
    decode returns too, in either mode: a valid event needs no repair.
    """
    if value.get("type") != _PURCHASE:
        return None
    keys = [0]
    event = _quick_decoder()(value, ROOT, None, keys)
    # The text has a colon after each key, and one more for each colon in a
    # string: as many keys as colons proves that no key occurred twice.
    if event is INVALID or keys[0] != colons:
        return None
    return cast("ServicePurchaseEvent", event)


@functools.cache
def _quick_decoder() -> Decoder:
    # The mode does not matter without a report; strict is the one that the
    # first decode in strict mode needs anyway. Cached here without keyword
    # arguments, whose hashing would cost as much as a field's decoding.
    return decoder(ServicePurchaseEvent, strict=True)
