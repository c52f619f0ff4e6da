"""The explaining road: decode a model's object field by field, and say why not.

Every payload that the fast road (``_fast``) declines comes here, already
parsed with its duplicate keys marked. The walk reads each field of a model
as ``_model.wire_fields`` declares it, applies the rule of its kind in the
mode, and reports every error and repair at its wire path.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Final, NamedTuple, cast, final

import attrs

from ._json import INVALID, check
from ._kinds import NestedKind, ScalarKind, fail, obj
from ._model import NO_EXTRA, Extra, extra_field, wire_fields
from ._report import Report, index_path, key_path

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ._kinds import FieldKind, NestedRule, Rule


@final
class Mode:
    """The rules of one mode: ``STRICT`` or ``LENIENT``.

    A kind holds its strict and its lenient rule; the mode picks one, and
    decides what a missing or an unknown key is.
    """

    __slots__ = ("name", "strict")

    def __init__(self, *, strict: bool) -> None:
        self.strict = strict
        self.name = "strict" if strict else "lenient"

    def __repr__(self) -> str:
        return f"<{self.name} mode>"

    def rule(self, kind: ScalarKind) -> Rule:
        """Return the kind's rule in this mode."""
        return kind.strict if self.strict else kind.lenient

    def nested_rule(self, kind: NestedKind) -> NestedRule:
        """Return the nested kind's rule in this mode."""
        return kind.strict if self.strict else kind.lenient

    def missing(self, kind: FieldKind, parent: str, key: str, report: Report) -> object:
        """Decide a documented key that is not there: required, or in lenient mode an optional ``""``."""
        if kind.optional and not self.strict:
            report.repair(key_path(parent, key), "missing_to_empty", "filled in a missing key with an empty string")
            return ""
        return fail(parent, key, report, "missing", "the key is required")

    def unknown(
        self, obj: dict[str, object], keys: Iterable[str], parent: str, report: Report, *, keep: bool
    ) -> object:
        """Decide keys outside the documented ones: errors; in lenient mode kept, or ignored, and reported.

        Returns what the object's ``extra`` holds: the kept keys with plain
        copies of their JSON values (checked like any value, so a duplicate
        key or a lone surrogate inside is an error), or ``NO_EXTRA``.
        """
        if self.strict:
            for name in keys:
                report.error(key_path(parent, name), "extra_forbidden", "the key is not part of the wire format")
            return NO_EXTRA
        if not keep:
            for name in keys:
                report.repair(
                    key_path(parent, name), "key_ignored", "ignored a key that is not part of the wire format"
                )
            return NO_EXTRA
        kept: dict[str, object] = {}
        for name in keys:
            path = key_path(parent, name)
            report.repair(path, "key_kept", "kept a key that is not part of the wire format in extra")
            kept[name] = check(obj[name], path, report, floats=False)
        return Extra(kept)


STRICT: Final = Mode(strict=True)
"""The documented contract, exactly."""

LENIENT: Final = Mode(strict=False)
"""What can be repaired without guessing, and is reported."""


def mode(*, strict: bool) -> Mode:
    """Return ``STRICT`` or ``LENIENT``."""
    return STRICT if strict else LENIENT


MISSING: Final = object()
"""What ``dict.get`` returns for a key that is not there."""


# Named tuples rather than attrs classes: they are built on first use, when
# an attrs class would cost a compile() of its generated methods; and the
# walk unpacks a field in one step.
class Field(NamedTuple):
    """One field of a plan: its wire key and kind, and how to decode its value."""

    wire: str
    kind: FieldKind
    rule: Rule | None  # scalars
    nested: NestedRule | None  # objects and arrays of objects
    plan: Plan | None
    many: bool  # an array of objects
    required: bool  # an optional key may be absent: the model's default holds then


class Plan(NamedTuple):
    """How to decode one model class in one mode, compiled from its wire fields."""

    model: type
    fields: tuple[Field, ...]
    keys: frozenset[str]
    mode: Mode
    keeps_extra: bool
    #: The model's ``__init__`` arguments of the fields, in their order.
    aliases: tuple[str, ...]
    #: The wire fields are the model's first positional arguments, in order:
    #: a positional call builds it at half the cost of keywords.
    positional: bool


def _positional(model: type, aliases: list[str]) -> bool:
    leading = [field.alias for field in attrs.fields(model) if field.init and not field.kw_only][: len(aliases)]
    return leading == aliases


@functools.cache
def plan(model: type, mode: Mode) -> Plan:
    """Return the plan of ``model`` in ``mode``, the same object on every call."""
    init_aliases = {field.name: field.alias for field in attrs.fields(model)}
    fields = tuple(
        Field(
            wire=field.wire,
            kind=field.kind,
            rule=mode.rule(field.kind) if isinstance(field.kind, ScalarKind) else None,
            nested=mode.nested_rule(field.kind) if isinstance(field.kind, NestedKind) else None,
            plan=None if field.model is None else plan(field.model, mode),
            many=isinstance(field.kind, NestedKind) and field.kind.many,
            required=field.required,
        )
        for field in wire_fields(model)
    )
    aliases = tuple(init_aliases[field.name] for field in wire_fields(model))
    return Plan(
        model,
        fields,
        frozenset(f.wire for f in fields),
        mode,
        extra_field(model),
        aliases,
        _positional(model, list(aliases)),
    )


def decode_object(obj: dict[str, object], path: str, plan: Plan, report: Report) -> object:
    """Decode the object at ``path`` into ``plan``'s model, or return INVALID."""
    values: list[object] = []
    for wire, kind, rule, nested, item_plan, many, required in plan.fields:
        value = obj.get(wire, MISSING)
        if value is MISSING:
            # An optional key's absence is no finding: its field keeps the model's default.
            values.append(plan.mode.missing(kind, path, wire, report) if required else MISSING)
        elif rule is not None:
            values.append(rule(value, path, wire, report))
        elif nested is None or item_plan is None:
            raise AssertionError(f"{wire} has neither a rule nor a model")
        else:
            # The nested rule checks the container, and names its path.
            container, child = nested(value, path, wire, report)
            if container is None:
                values.append(INVALID)
            elif many:
                items = cast("list[object]", container)  # what the array rule returns
                values.append(
                    tuple(_member(item, index_path(child, i), item_plan, report) for i, item in enumerate(items))
                )
            else:
                # A duplicate key reported in the object makes it INVALID, as any error does.
                values.append(decode_object(cast("dict[str, object]", container), child, item_plan, report))
    extra: object = NO_EXTRA
    if not plan.keys.issuperset(obj):
        unknown = [key for key in obj if key not in plan.keys]
        extra = plan.mode.unknown(obj, unknown, path, report, keep=plan.keeps_extra)
    # Any error makes the whole decode fail: an object is built only while there is none.
    if report:
        return INVALID
    try:
        if plan.positional:  # every field required: no value is MISSING
            return plan.model(*values) if extra is NO_EXTRA else plan.model(*values, extra=extra)
        keywords = {alias: value for alias, value in zip(plan.aliases, values, strict=True) if value is not MISSING}
        return plan.model(**keywords) if extra is NO_EXTRA else plan.model(**keywords, extra=extra)
    except Exception as exc:  # noqa: BLE001 -- a registered model's validator: the verdict is an error
        return fail(path, None, report, "invalid", f"the values do not fit the model ({type(exc).__name__})")


def _member(value: object, path: str, plan: Plan, report: Report) -> object:
    """Decode an item of an array, which should be an object of ``plan``'s model."""
    found = obj(value, path, None, report)
    return INVALID if found is None else decode_object(found, path, plan, report)
