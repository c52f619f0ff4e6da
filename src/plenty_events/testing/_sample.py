"""The sample and test data behind ``plenty_events.testing`` and ``plenty-events send``, without Hypothesis.

The documented sample, paths into payloads and events, and the changes the
strategies and the ``send`` command make to a payload: each built from the
field kinds (``_kinds``) as the model declares them, so that no bound, code
or repair is restated here. A change is plain data, so that Hypothesis (in
``testing``) and ``random.Random`` (in ``plenty-events send``) can both pick from it.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from importlib import resources
from typing import Any, Final, Literal, NamedTuple, cast

import attrs

from plenty_events._json import INVALID
from plenty_events._kinds import EVENT_TYPE, FieldKind, NestedKind, ScalarKind
from plenty_events._model import ServicePurchaseEvent, wire_fields
from plenty_events._report import ROOT, Report, index_path, key_path

#: The documented example payload, as JSON values with fractions as ``Decimal``:
#: read from the file the package ships (``examples/service-purchase.json`` is
#: the same file, held equal by a test).
SAMPLE: Final[dict[str, Any]] = json.loads(
    resources.files("plenty_events.testing").joinpath("service-purchase.json").read_bytes(), parse_float=Decimal
)

#: The steps from the root of a payload or an event to one of its members:
#: keys (wire keys or attribute names) and array indexes.
Path = tuple[str | int, ...]


def render(path: Path) -> str:
    """Write ``path`` as the wire path that decoding reports: ``$.resource.order.orderItems[0]``."""
    where = ROOT
    for step in path:
        where = index_path(where, step) if isinstance(step, int) else key_path(where, step)
    return where


# Paths -------------------------------------------------------------------------

_NAME: Final = r"\.([A-Za-z_][A-Za-z0-9_]*)"
_INDEX: Final = r"\[(\d+)\]"
_WIRE_STEP: Final = re.compile(rf'{_NAME}|{_INDEX}|\[("(?:[^"\\]|\\.)*")\]')
_ATTRIBUTE_STEP: Final = re.compile(rf"{_NAME}|{_INDEX}")


def _steps(text: str, pattern: re.Pattern[str], path: str, what: str) -> Path:
    """Read the steps of ``text``, each a match of ``pattern``: a name, an index or a quoted key.

    ``path`` is the path as given, for the message of the ValueError.
    """
    steps: list[str | int] = []
    position = 0
    while position < len(text):
        match = pattern.match(text, position)
        if match is None:
            break
        name, index = match.group(1), match.group(2)
        if name is not None:
            steps.append(name)
        elif index is not None:
            steps.append(int(index))
        else:
            steps.append(json.loads(match.group(3)))
        position = match.end()
    if not steps or position != len(text):
        raise ValueError(f"{path!r} is not {what}")
    return tuple(steps)


def wire_path(text: str) -> Path:
    """Read a wire path such as ``$.resource.order.orderItems[0].quantity`` (or ``$["odd key"]``).

    Raises:
        ValueError: ``text`` is not a wire path below ``$``.

    """
    what = "a wire path such as '$.resource.order.id'"
    if not text.startswith(ROOT):
        raise ValueError(f"{text!r} is not {what}")
    return _steps(text[len(ROOT) :], _WIRE_STEP, text, what)


def attribute_path(text: str) -> Path:
    """Read an attribute path such as ``resource.order.order_items[0].quantity``.

    Raises:
        ValueError: ``text`` is not an attribute path.

    """
    # The first step is a name without its dot: read the path as if it had one.
    return _steps(f".{text}", _ATTRIBUTE_STEP, text, "an attribute path such as 'resource.order.id'")


# Changing payloads and events by path ------------------------------------------


def _member(container: object, step: str | int, path: str) -> Any:
    """The member ``step`` of a JSON object or array, or a ValueError naming ``path``."""
    if isinstance(step, int) and isinstance(container, list):
        items = cast("list[object]", container)
        if step < len(items):
            return items[step]
    elif isinstance(step, str) and isinstance(container, dict):
        members = cast("dict[str, object]", container)
        if step in members:
            return members[step]
    raise ValueError(f"{path!r} names no member of the payload")


def set_wire(payload: dict[str, Any], path: str, value: object) -> None:
    """Set the member at the wire path ``path`` of ``payload``, in place.

    The last step of an object may be a new key; every other step must exist.
    """
    *parents, last = wire_path(path)
    container: Any = payload
    for step in parents:
        container = _member(container, step, path)
    if isinstance(last, str) and isinstance(container, dict):
        container[last] = value
    else:
        _member(container, last, path)  # an index that exists, or the error
        container[last] = value


def set_attribute(value: object, steps: Path, new: object, path: str) -> object:
    """Return a copy of the attrs instance or tuple ``value`` with the member at ``steps`` replaced."""
    if not steps:
        return new
    step, rest = steps[0], steps[1:]
    kind = type(value)
    if isinstance(step, int):
        items = list(cast("tuple[object, ...]", value)) if kind is tuple else []
        if step >= len(items):
            raise ValueError(f"{path!r} names no member of the {kind.__name__}")
        items[step] = set_attribute(items[step], rest, new, path)
        return tuple(items)
    if not attrs.has(kind) or step not in attrs.fields_dict(kind):
        raise ValueError(f"{path!r} names no attribute of the {kind.__name__}")
    instance: Any = value  # an instance of an attrs class, as attrs.has() said
    return attrs.evolve(instance, **{step: set_attribute(getattr(value, step), rest, new, path)})


def with_wire_changes(payload: dict[str, Any], changes: Mapping[str, object]) -> dict[str, Any]:
    """Return a deep copy of ``payload`` with the values at the given wire paths set."""
    changed = copy.deepcopy(payload)
    for path, value in changes.items():
        set_wire(changed, path, value)
    return changed


def with_attribute_changes(instance: object, changes: Mapping[str, object]) -> Any:
    """Return a copy of the attrs ``instance`` with the values at the given attribute paths set."""
    for path, value in changes.items():
        instance = set_attribute(instance, attribute_path(path), value, path)
    return instance


# The changes that make a payload invalid ---------------------------------------


def locations(model: type, path: Path = ()) -> list[tuple[Path, FieldKind]]:
    """Every field of ``model`` and its nested models, an array's at index 0, with its kind."""
    found: list[tuple[Path, FieldKind]] = []
    for field in wire_fields(model):
        here = (*path, field.wire)
        found.append((here, field.kind))
        if field.model is not None:
            many = isinstance(field.kind, NestedKind) and field.kind.many
            found.extend(locations(field.model, (*here, 0) if many else here))
    return found


@functools.cache
def _optional(model: type) -> frozenset[Path]:
    """The paths, as ``locations`` gives them, of the fields of ``model`` that may be absent."""
    found: set[Path] = set()
    for field in wire_fields(model):
        if not field.required:
            found.add((field.wire,))
        elif field.model is not None:
            many = isinstance(field.kind, NestedKind) and field.kind.many
            found.update((field.wire, *((0,) if many else ()), *rest) for rest in _optional(field.model))
    return frozenset(found)


def required(path: Path, model: type = ServicePurchaseEvent) -> bool:
    """Tell whether the key at ``path`` (as ``locations`` gives it) must be there."""
    return path not in _optional(model)


def objects(model: type, path: Path = ()) -> list[Path]:
    """The path of every JSON object of ``model``'s payload, the envelope first, an array's item at index 0."""
    found = [path]
    for here, kind in locations(model, path):
        if isinstance(kind, NestedKind):
            found.append((*here, 0) if kind.many else here)
    return found


#: The key that the changes add where a payload has no such key.
UNKNOWN_KEY: Final = "unexpectedKey"


class Change(NamedTuple):
    """One change to a valid payload that decoding must reject, and the error it reports.

    ``how`` is ``"set"`` (the value at ``path`` becomes ``value``),
    ``"remove"`` (the key at ``path`` goes) or ``"extra"`` (the object at
    ``path`` gets the key ``UNKNOWN_KEY`` with ``value``).
    """

    path: Path
    how: Literal["set", "remove", "extra"]
    value: object
    code: str


def _lenient_code(kind: FieldKind, value: object) -> str | None:
    """The one error code the lenient rule of ``kind`` reports for ``value``, or ``None`` if it accepts it."""
    report = Report()
    if isinstance(kind, ScalarKind):
        rejected = kind.lenient(value, ROOT, "value", report) is INVALID
    else:
        rejected = kind.lenient(value, ROOT, "value", report)[0] is None
    codes = [error.code for error in report.errors()]
    if rejected and len(codes) == 1:
        return codes[0]
    return None


@functools.cache
def changes(*, strict: bool) -> tuple[Change, ...]:
    """The single changes to a valid payload that decoding in the mode rejects, each with its error code.

    Strict mode: each kind's wrong values with their declared codes, every
    key removed, and an unknown key added to every object.

    Lenient mode: the wrong values that the kind's lenient rule rejects, with
    the code it reports; the removal of every key that lenient mode does not
    fill in. Unknown keys are repairs there. The envelope's ``type`` keeps
    only its removal: a string there without a model is an unknown event.
    """
    found: list[Change] = []
    for path, kind in locations(ServicePurchaseEvent):
        for value, code in kind.wrong:
            if strict:
                found.append(Change(path, "set", value, code))
            elif kind is not EVENT_TYPE and (lenient := _lenient_code(kind, value)) is not None:
                found.append(Change(path, "set", value, lenient))
        if required(path) and (strict or not kind.optional):
            found.append(Change(path, "remove", None, "missing"))
    if strict:
        found.extend(Change(path, "extra", 1, "extra_forbidden") for path in objects(ServicePurchaseEvent))
    return tuple(found)


def apply(payload: dict[str, Any], change: Change) -> tuple[dict[str, Any], str]:
    """Return a deep copy of ``payload`` with ``change`` made, and the wire path of its error."""
    changed = copy.deepcopy(payload)
    *parents, last = change.path if change.how != "extra" else (*change.path, UNKNOWN_KEY)
    container: Any = changed
    for step in parents:
        container = container[step]
    if change.how == "remove":
        del container[last]
    else:
        container[last] = change.value
    return changed, render((*parents, last))


# The rewrites that lenient mode repairs ----------------------------------------


class Rewrite(NamedTuple):
    """A way to write the value at ``path`` that lenient mode repairs back to it (``...``: leave the key out)."""

    path: Path
    variant: Callable[[Any], object]


@functools.cache
def rewrites() -> tuple[Rewrite, ...]:
    """Every scalar field that has variants, an order item's at index 0, with each variant."""
    return tuple(
        Rewrite(path, variant)
        for path, kind in locations(ServicePurchaseEvent)
        if isinstance(kind, ScalarKind)
        for variant in kind.variants
    )


def rewrite(payload: dict[str, Any], change: Rewrite) -> bool:
    """Rewrite the value at ``change.path`` in place; tell whether the payload changed."""
    *parents, last = change.path
    container: Any = payload
    for step in parents:
        container = container[step]
    if last not in container:  # an optional key the payload left out
        return False
    original = container[last]
    value = change.variant(original)
    if value is ...:
        del container[last]
        return True
    # Some variants leave some values as they are: "male" or None is "male".
    if type(value) is type(original) and value == original:
        return False
    container[last] = value
    return True


def add_unknown(payload: dict[str, Any], path: Path, value: object) -> None:
    """Add the key ``UNKNOWN_KEY`` with ``value`` to the object at ``path``, in place."""
    container: Any = payload
    for step in path:
        container = container[step]
    container[UNKNOWN_KEY] = value
