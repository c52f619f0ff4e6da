"""Small helpers for the tests: reach into payloads by wire path, collect errors."""

import re
from typing import Any

import plenty_events
from plenty_events import _json
from plenty_events._decode import BUILTIN_MODELS
from plenty_events._explain import decode_value
from plenty_events._model import ServicePurchaseEvent, wire_fields
from plenty_events._report import Report
from plenty_events._walk import LENIENT, STRICT
from plenty_events.testing._sample import SAMPLE


def _personal(model: type, payload: dict[str, Any]) -> list[str]:
    """The values of ``payload`` in the fields that the model declares personal and redact() blanks."""
    found: list[str] = []
    for field in wire_fields(model):
        value = payload.get(field.wire)
        if field.personal is not None:
            # The mask judges the model value: "male" is Gender.MALE, which shows.
            model_value = field.kind.strict(value, "$", field.wire, Report())  # type: ignore[arg-type]
            if field.personal.blank(model_value) != model_value:
                found.append(value)
        elif field.model is not None and value is not None:
            for member in value if isinstance(value, list) else [value]:
                found.extend(_personal(field.model, member))
    return found


#: The personal values of the documented example, as the model's field
#: declarations mark them: no message, path, repr or log line may repeat them.
#: A digit string (the house number "123") is left out: put in a number
#: field, lenient decoding rightly reads it as a number.
PERSONAL = tuple(value for value in dict.fromkeys(_personal(ServicePurchaseEvent, SAMPLE)) if not value.isdigit())

_PART = re.compile(r"\.([A-Za-z_]\w*)|\[(\d+)\]")


def _parts(path: str) -> list[str | int]:
    assert path.startswith("$")
    return [key or int(index) for key, index in _PART.findall(path[1:])]


def locate(payload: dict[str, Any], path: str | tuple[str | int, ...]) -> tuple[Any, str | int]:
    """Return the container of the member at ``path`` and its key or index.

    ``path`` is a wire path such as ``$.resource.order.id``, or the tuple of
    its steps, such as ``("resource", "order", "id")``.
    """
    *parents, last = _parts(path) if isinstance(path, str) else path
    target: Any = payload
    for part in parents:
        target = target[part]
    return target, last


def with_value(payload: dict[str, Any], path: str | tuple[str | int, ...], value: Any) -> dict[str, Any]:
    """Set the value at ``path`` and return the payload."""
    target, last = locate(payload, path)
    target[last] = value
    return payload


def without(payload: dict[str, Any], path: str | tuple[str | int, ...]) -> dict[str, Any]:
    """Remove the member at ``path`` and return the payload."""
    target, last = locate(payload, path)
    del target[last]
    return payload


def errors(data: Any, *, strict: bool) -> list[tuple[str, str]]:
    """Return the (path, code) pairs that decoding ``data`` reports."""
    try:
        plenty_events.decode(data, strict=strict)
    except plenty_events.DecodeError as exc:
        return [(error.path, error.code) for error in exc.errors]
    raise AssertionError("the payload was accepted")


def repairs(event: Any) -> list[tuple[str, str]]:
    """Return the (path, code) pairs of an event's repairs."""
    return [(repair.path, repair.code) for repair in event.repairs]


def key_count(value: object) -> int:
    """Count the keys of every object inside a JSON value, repeated keys once."""
    if isinstance(value, dict):
        return len(value) + sum(key_count(member) for member in value.values())
    if isinstance(value, list):
        return sum(key_count(member) for member in value)
    return 0


def long_road(data: bytes | str, *, strict: bool) -> object:
    """Decode on the explaining road alone: the full parse, then the walk; the event or the DecodeError."""
    report = Report()
    value = _json.parse(data, report, strict=strict)
    if value is _json.INVALID:
        return plenty_events.DecodeError(report.errors())
    try:
        return decode_value(value, STRICT if strict else LENIENT, report, BUILTIN_MODELS)
    except plenty_events.DecodeError as exc:
        return exc
