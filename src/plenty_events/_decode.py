"""Decoding: JSON values to events, dispatched on ``type``.

The flow is one way: ``_json`` parses the text; ``decode_value`` reads the
envelope's ``type`` and hands the payload to that type's model decoder, which
walks the model's fields (as ``_model`` declares them) and applies the rules
of the mode (``_strict`` or ``_lenient``) to each value.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final, Protocol

import attrs

from . import _json, _lenient, _strict
from ._errors import DecodeError
from ._json import INVALID
from ._model import Kind, ServicePurchaseEvent, UnknownEvent, wire_fields
from ._report import ROOT, Report, index_path, key_path

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from ._strict import Rule
    from ._types import JSONInput

    #: Decodes the envelope object of one event type: (envelope, mode, report).
    ModelDecoder = Callable[[dict[str, object], "Mode", Report], object]


class Mode(Protocol):
    """The rules of one mode; the modules ``_strict`` and ``_lenient`` are the two."""

    RULES: dict[Kind, Rule]

    def obj(self, value: object, parent: str, key: str | int | None, report: Report) -> dict[str, object] | None: ...
    def resource(
        self, value: object, parent: str, key: str, report: Report
    ) -> tuple[dict[str, object] | None, str]: ...
    def array(self, value: object, parent: str, key: str | int, report: Report) -> list[object] | None: ...
    def missing(self, kind: Kind, parent: str, key: str, report: Report) -> object: ...
    def unknown(self, keys: Iterable[str], parent: str, report: Report) -> None: ...


_MISSING: Final = object()


@attrs.frozen
class _Field:
    wire: str
    kind: Kind
    rule: Rule | None  # scalars
    plan: _Plan | None  # objects and arrays of objects


@attrs.frozen
class _Plan:
    """How to decode one model class in one mode, compiled from its metadata."""

    model: type
    fields: tuple[_Field, ...]
    keys: frozenset[str]


def _mode(*, strict: bool) -> Mode:
    return _strict if strict else _lenient


@functools.cache
def _plan(model: type, *, strict: bool) -> _Plan:
    mode = _mode(strict=strict)
    fields = tuple(
        _Field(
            wire=field.wire,
            kind=field.kind,
            rule=mode.RULES.get(field.kind),
            plan=None if field.model is None else _plan(field.model, strict=strict),
        )
        for field in wire_fields(model)
    )
    return _Plan(model, fields, frozenset(f.wire for f in fields))


def _decode_object(obj: dict[str, object], path: str, plan: _Plan, mode: Mode, report: Report) -> object:
    errors_before = report.error_count()
    values: list[object] = []
    found = 0
    for field in plan.fields:
        value = obj.get(field.wire, _MISSING)
        if value is _MISSING:
            values.append(mode.missing(field.kind, path, field.wire, report))
            continue
        found += 1
        if field.rule is not None:
            values.append(field.rule(value, path, field.wire, report))
        else:
            values.append(_decode_nested(value, path, field, mode, report))
    if found != len(obj):
        mode.unknown([key for key in obj if key not in plan.keys], path, report)
    if report.error_count() != errors_before:
        return INVALID
    return plan.model(*values)


def _decode_nested(value: object, parent: str, field: _Field, mode: Mode, report: Report) -> object:
    plan = field.plan
    if plan is None:
        raise AssertionError(f"{field.wire} has neither a rule nor a model")
    if field.kind is Kind.ARRAY:
        items = mode.array(value, parent, field.wire, report)
        if items is None:
            return INVALID
        path = key_path(parent, field.wire)
        decoded = []
        for index, item in enumerate(items):
            member = mode.obj(item, path, index, report)
            decoded.append(
                INVALID if member is None else _decode_object(member, index_path(path, index), plan, mode, report)
            )
        return tuple(decoded)
    if field.kind is Kind.RESOURCE:
        member, path = mode.resource(value, parent, field.wire, report)
    else:
        member, path = mode.obj(value, parent, field.wire, report), key_path(parent, field.wire)
    return INVALID if member is None else _decode_object(member, path, plan, mode, report)


def decode_purchase(envelope: dict[str, object], mode: Mode, report: Report) -> object:
    """Decode a ``SERVICE.PLUGIN.PURCHASE`` envelope."""
    plan = _plan(ServicePurchaseEvent, strict=mode is _strict)
    event = _decode_object(envelope, ROOT, plan, mode, report)
    if event is INVALID:
        return INVALID
    repairs = report.repairs()
    return attrs.evolve(event, repairs=repairs) if repairs else event  # type: ignore[misc]


def _envelope(envelope: dict[str, object], mode: Mode, report: Report) -> dict[str, object]:
    """Decode what every event has, ``type`` aside: id, createdAt and a raw resource object."""
    values: dict[str, object] = {}
    for field in wire_fields(UnknownEvent):
        key = field.wire
        if key == "type":
            continue
        value = envelope.get(key, _MISSING)
        if value is _MISSING:
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
    return UnknownEvent(type=envelope["type"], **values, repairs=report.repairs())  # type: ignore[arg-type]


BUILTIN_MODELS: Final[dict[str, ModelDecoder]] = {"SERVICE.PLUGIN.PURCHASE": decode_purchase}


def decode_value(
    value: object, *, strict: bool, report: Report, models: Mapping[str, ModelDecoder] = BUILTIN_MODELS
) -> object:
    """Decode a parsed JSON value; dispatch on ``type`` first, then decode one model."""
    mode = _mode(strict=strict)
    envelope = mode.obj(value, ROOT, None, report)
    if envelope is None:
        raise DecodeError(report.errors())
    event_type = envelope.get("type", _MISSING)
    if type(event_type) is str and event_type in models:
        event = models[event_type](envelope, mode, report)
    elif type(event_type) is str and not strict:
        event = decode_unknown(envelope, mode, report)
    else:
        # No model to check the rest against: report the type, and what is
        # wrong with the envelope every event shares.
        if event_type is _MISSING:
            mode.missing(Kind.TEXT, ROOT, "type", report)
        elif type(event_type) is not str:
            _strict.text(event_type, ROOT, "type", report)
        else:
            _strict.fail(ROOT, "type", report, "event_type", f"unknown event type {_strict.shown(event_type, 40)}")
        _envelope(envelope, mode, report)
        event = INVALID
    if report or event is INVALID:
        raise DecodeError(report.errors())
    return event


def decode_input(
    data: JSONInput | object, *, strict: bool, models: Mapping[str, ModelDecoder] = BUILTIN_MODELS
) -> object:
    """Decode JSON text or an already parsed value; raise DecodeError on failure."""
    report = Report()
    if isinstance(data, (bytes, bytearray, memoryview, str)):
        value = _json.parse(data, report, strict=strict)
    else:
        value = _json.check(data, ROOT, report)
    if value is INVALID:
        raise DecodeError(report.errors())
    return decode_value(value, strict=strict, report=report, models=models)
