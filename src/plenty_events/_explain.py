"""The explaining road: parse or check the value, dispatch on its ``type``, and walk its model.

Every payload that the fast road (``_fast``) declines comes here: ``_json``
parses the text with its duplicate keys marked (or checks a mapping passed
in), ``decode_value`` dispatches on the envelope's ``type``, and the walk
(``_walk``) applies the rules of the mode to each field, reporting every
error and repair at its wire path. ``_decode.Engine`` loads this module with
the first payload that needs it.
"""

from __future__ import annotations

import decimal
from typing import TYPE_CHECKING, Any, Final, cast

import attrs

from . import _json
from ._errors import DecodeError
from ._json import INVALID
from ._kinds import EVENT_TYPE, TEXT, obj
from ._model import UnknownEvent, repairs_field, wire_fields
from ._report import ROOT, Report, key_path
from ._walk import LENIENT, MISSING, STRICT, Mode, plan

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ._kinds import ScalarKind
    from ._types import JSONInput, JSONText


def explain(data: JSONInput | object, *, strict: bool, models: Mapping[str, type]) -> Any:
    """Decode on the explaining road: the event of one of ``models``, or DecodeError with every error and its path."""
    # Nothing of the caller's decimal context may reach a verdict. The
    # parser and the strict rules pass a context of their own wherever
    # one counts, or compute nothing that needs one: they read literals,
    # compare exponents and convert integers exactly. The lenient rules
    # compute (timestamps, number strings) under a context of their own:
    # the caller's may trap nothing, and turn an exponent Decimal cannot
    # hold into NaN. Entering a context costs microseconds, a share of a
    # rejected payload's decode that counts: strict mode enters none.
    if strict:
        return _explain(data, STRICT, models)
    with decimal.localcontext(_json.NUMBERS):
        return _explain(data, LENIENT, models)


def _explain(data: JSONInput | object, mode: Mode, models: Mapping[str, type]) -> Any:
    report = Report()
    if isinstance(data, (bytes, bytearray, memoryview, str)):
        value = _json.parse(cast("JSONText", data), report, strict=mode.strict)
    else:
        value = _json.check(data, ROOT, report)
    if value is INVALID:
        raise DecodeError(report.errors())
    return decode_value(value, mode, report, models)


def decode_value(value: object, mode: Mode, report: Report, models: Mapping[str, type]) -> object:
    """Decode a parsed JSON value on the explaining road: dispatch on ``type``, then walk its model."""
    envelope = obj(value, ROOT, None, report)
    if envelope is None:
        raise DecodeError(report.errors())
    event_type = envelope.get("type", MISSING)
    model = models.get(event_type) if type(event_type) is str else None
    if model is not None:
        event = decode_model(envelope, model, mode, report)
    elif type(event_type) is str and not mode.strict:
        event = decode_unknown(envelope, mode, report)
    else:
        # No model to check the rest against: report the type, and what is
        # wrong with the envelope every event shares.
        if event_type is MISSING:
            mode.missing(TEXT, ROOT, "type", report)
        else:
            EVENT_TYPE.strict(event_type, ROOT, "type", report)
        _envelope(envelope, mode, report)
        event = INVALID
    if report or event is INVALID:
        raise DecodeError(report.errors())
    return event


def decode_model(envelope: dict[str, object], model: type, mode: Mode, report: Report) -> object:
    """Decode the envelope of an event type that has a model; its repairs go with it."""
    model_plan = plan(model, mode)
    if "type" not in model_plan.keys:
        # The type picked the model, which need not keep it: it is no unknown key.
        envelope = {key: value for key, value in envelope.items() if key != "type"}
    event = model_plan.walk(envelope, ROOT, report)
    if event is INVALID:
        return INVALID
    repairs = report.repairs()
    if repairs and repairs_field(model):
        return attrs.evolve(event, repairs=repairs)  # type: ignore[misc]  # an instance of the attrs model
    return event


def _envelope(envelope: dict[str, object], mode: Mode, report: Report) -> dict[str, Any]:
    """Decode what every event has, ``type`` aside: id, createdAt and a raw resource object.

    Returns the values by field name; a value is INVALID where the report says why.
    """
    values: dict[str, Any] = {}
    for field in wire_fields(UnknownEvent):
        key = field.wire
        if key == "type":
            continue
        value = envelope.get(key, MISSING)
        if value is MISSING:
            values[field.name] = mode.missing(field.kind, ROOT, key, report)
        elif key == "resource":
            member = obj(value, ROOT, key, report)
            raw = INVALID if member is None else _json.check(member, key_path(ROOT, key), report, floats=False)
            values[field.name] = raw
        else:
            values[field.name] = mode.rule(cast("ScalarKind", field.kind))(value, ROOT, key, report)
    unknown = [key for key in envelope if key not in _ENVELOPE_KEYS]
    extra = mode.unknown(envelope, unknown, ROOT, report, keep=True)
    if extra:
        values["extra"] = extra
    return values


_ENVELOPE_KEYS: Final = frozenset(field.wire for field in wire_fields(UnknownEvent))


def decode_unknown(envelope: dict[str, object], mode: Mode, report: Report) -> object:
    """Decode an event of a type without a model, keeping its resource raw."""
    values = _envelope(envelope, mode, report)
    if report:
        return INVALID
    # Dispatch sent only a string type here.
    return UnknownEvent(type=cast("str", envelope["type"]), **values, repairs=report.repairs())
