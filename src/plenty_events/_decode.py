"""Decoding: JSON text or values to events, on one of two roads.

The data flows one way. JSON text first takes the fast road (``_fast``):
msgspec decodes it into the models' structs, checking every rule a valid
payload meets, and glue builds the event. Whatever the fast road declines
takes the explaining road: ``_json`` parses the text with its duplicate keys
marked, ``decode_value`` dispatches on the envelope's ``type``, and the
walk (``_walk``) applies the rules of the mode to each field, reporting
every error and repair at its wire path.

A valid payload needs no repair, so the fast road serves both modes; an
already parsed mapping takes the explaining road, which checks it first.
The explaining road has two modes, strict and lenient, and parses the text
once.
"""

from __future__ import annotations

import decimal
from typing import TYPE_CHECKING, Any, Final, cast, final

import attrs

from . import _json
from ._errors import DecodeError
from ._fast import FastRoad
from ._json import INVALID
from ._kinds import EVENT_TYPE, TEXT, obj
from ._model import ServicePurchaseEvent, UnknownEvent, repairs_field, wire_fields
from ._report import ROOT, Report, key_path
from ._walk import LENIENT, MISSING, STRICT, Mode, plan

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from ._kinds import ScalarKind
    from ._types import JSONInput, JSONText


@final
class Engine:
    """Decodes the events of a set of models, each for its event type.

    `read` is the fast road, `explain` the explaining road: a decode tries
    the one, then the other. The fast road is built on first use: a process
    that imports the library and never decodes does not pay for it.
    """

    __slots__ = ("_road", "models", "read")

    def __init__(self, models: Mapping[str, type]) -> None:
        self.models: Final = dict(models)
        self._road: FastRoad | None = None
        #: Decodes a valid event from JSON text, else returns None: the
        #: fast road's, once built. Any: an instance of one of the models.
        self.read: Callable[[object], Any] = self._build_and_read

    def _build_and_read(self, data: object) -> Any:
        return self.fast_road().decode(data)

    def fast_road(self) -> FastRoad:
        """Return the fast road of these models, building it on first use, as ``read`` from then on."""
        if self._road is None:
            self._road = FastRoad(self.models)
            self.read = self._road.decode
        return self._road

    def explain(self, data: JSONInput | object, *, strict: bool) -> Any:
        """Decode on the explaining road: the event, or DecodeError with every error and its path."""
        # Nothing of the caller's decimal context may reach a verdict. The
        # parser and the strict rules pass a context of their own wherever
        # one counts, or compute nothing that needs one: they read literals,
        # compare exponents and convert integers exactly. The lenient rules
        # compute (timestamps, number strings) under a context of their own:
        # the caller's may trap nothing, and turn an exponent Decimal cannot
        # hold into NaN. Entering a context costs microseconds, a share of a
        # rejected payload's decode that counts: strict mode enters none.
        if strict:
            return self._explain(data, STRICT)
        with decimal.localcontext(_json.NUMBERS):
            return self._explain(data, LENIENT)

    def _explain(self, data: JSONInput | object, mode: Mode) -> Any:
        report = Report()
        if isinstance(data, (bytes, bytearray, memoryview, str)):
            value = _json.parse(cast("JSONText", data), report, strict=mode.strict)
        else:
            value = _json.check(data, ROOT, report)
        if value is INVALID:
            raise DecodeError(report.errors())
        return decode_value(value, mode, report, self.models)


BUILTIN_MODELS: Final[Mapping[str, type]] = {"SERVICE.PLUGIN.PURCHASE": ServicePurchaseEvent}

BUILTIN: Final = Engine(BUILTIN_MODELS)
"""The engine of ``plenty_events.decode``: the built-in models only."""


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
