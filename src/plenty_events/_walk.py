"""The rule-by-rule walk: decode a model's object field by field, and explain.

This is the reference decoder. It reads each field of a model (as ``_model``
declares it), applies the rule of its kind in the mode (``_strict`` or
``_lenient``), and reports every error and repair at its wire path. The
generated decoders of ``_codegen`` hand it every object they cannot pass
whole, so that an error is always found, worded and placed by this code.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Final, NamedTuple, Protocol

from . import _lenient, _strict
from ._json import INVALID
from ._model import Kind, wire_fields
from ._report import Report, index_path, key_path

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from ._strict import Rule


class Mode(Protocol):
    """The rules of one mode; the modules ``_strict`` and ``_lenient`` are the two."""

    @property
    def RULES(self) -> Mapping[Kind, Rule]: ...  # noqa: N802 -- the modules' constant

    def obj(self, value: object, parent: str, key: str | int | None, report: Report) -> dict[str, object] | None: ...
    def resource(
        self, value: object, parent: str, key: str, report: Report
    ) -> tuple[dict[str, object] | None, str]: ...
    def array(self, value: object, parent: str, key: str | int, report: Report) -> list[object] | None: ...
    def missing(self, kind: Kind, parent: str, key: str, report: Report) -> object: ...
    def unknown(self, keys: Iterable[str], parent: str, report: Report) -> None: ...


MISSING: Final = object()
"""What ``dict.get`` returns for a key that is not there."""


# Named tuples rather than attrs classes: they are built at import, when an
# attrs class costs a compile() of its generated methods.
class Field(NamedTuple):
    """One field of a plan: its wire key and kind, and how to decode its value."""

    wire: str
    kind: Kind
    rule: Rule | None  # scalars
    plan: Plan | None  # objects and arrays of objects


class Plan(NamedTuple):
    """How to decode one model class in one mode, compiled from its metadata."""

    model: type
    fields: tuple[Field, ...]
    keys: frozenset[str]


def mode(*, strict: bool) -> Mode:
    """Return the rules of the mode."""
    return _strict if strict else _lenient


@functools.cache
def plan(model: type, *, strict: bool) -> Plan:
    """Return the plan of ``model`` in the mode, the same object on every call."""
    rules = mode(strict=strict).RULES
    fields = tuple(
        Field(
            wire=field.wire,
            kind=field.kind,
            rule=rules.get(field.kind),
            plan=None if field.model is None else plan(field.model, strict=strict),
        )
        for field in wire_fields(model)
    )
    return Plan(model, fields, frozenset(f.wire for f in fields))


def member(value: object, path: str, plan: Plan, mode: Mode, report: Report) -> object:
    """Decode the value at ``path``, which should be an object of ``plan``'s model.

    A duplicate key in the object makes it INVALID, as any error inside does.
    """
    errors_before = report.error_count()
    obj = mode.obj(value, path, None, report)
    if obj is None:
        return INVALID
    decoded = decode_object(obj, path, plan, mode, report)
    return INVALID if report.error_count() != errors_before else decoded


def decode_object(obj: dict[str, object], path: str, plan: Plan, mode: Mode, report: Report) -> object:
    """Decode the object at ``path`` into ``plan``'s model, or return INVALID."""
    errors_before = report.error_count()
    values: list[object] = []
    found = 0
    for field in plan.fields:
        value = obj.get(field.wire, MISSING)
        if value is MISSING:
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


def _decode_nested(value: object, parent: str, field: Field, mode: Mode, report: Report) -> object:
    plan = field.plan
    if plan is None:
        raise AssertionError(f"{field.wire} has neither a rule nor a model")
    if field.kind is Kind.ARRAY:
        items = mode.array(value, parent, field.wire, report)
        if items is None:
            return INVALID
        path = key_path(parent, field.wire)
        return tuple(member(item, index_path(path, index), plan, mode, report) for index, item in enumerate(items))
    if field.kind is not Kind.RESOURCE:
        return member(value, key_path(parent, field.wire), plan, mode, report)
    obj, path = mode.resource(value, parent, field.wire, report)
    return INVALID if obj is None else decode_object(obj, path, plan, mode, report)
