"""The explaining road: decode a model's object field by field, and say why not.

Every payload that the fast road (``_fast``) declines comes here, already
parsed with its duplicate keys marked. The walk reads each field of a model
as ``_model.wire_fields`` declares it, applies the rule of its kind in the
mode, and reports every error and repair at its wire path.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, NamedTuple, final

import attrs

from ._codegen import define
from ._filling import fill, fills_slots, or_default
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


MISSING: Final = object()
"""What ``dict.get`` returns for a key that is not there."""


# Named tuples rather than attrs classes: they are built on first use, when
# an attrs class would cost a compile() of its generated methods.
class Field(NamedTuple):
    """One field of a plan: its wire key and kind, and how to decode its value."""

    wire: str
    kind: FieldKind
    rule: Rule | None  # scalars
    nested: NestedRule | None  # objects and arrays of objects
    plan: Plan | None
    many: bool  # an array of objects
    required: bool  # an optional key may be absent: the model's default holds then


#: Decodes the object at a path into the plan's model, or returns INVALID: (object, path, report) -> model.
Walk = Callable[[dict[str, object], str, Report], object]


class Plan(NamedTuple):
    """How to decode one model class in one mode: its wire keys, and the walk generated from its fields."""

    keys: frozenset[str]
    walk: Walk


def _positional(model: type, aliases: tuple[str, ...]) -> bool:
    """Tell whether the wire fields are the model's first positional arguments, in order.

    A positional call builds the model for about two thirds of what keywords cost.
    """
    leading = [field.alias for field in attrs.fields(model) if field.init and not field.kw_only][: len(aliases)]
    return leading == list(aliases)


@functools.cache
def plan(model: type, mode: Mode) -> Plan:
    """Return the plan of ``model`` in ``mode``, the same object on every call."""
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
    keys = frozenset(field.wire for field in fields)
    return Plan(keys, _walker(model, mode, fields, keys))


def _walker(model: type, mode: Mode, fields: tuple[Field, ...], keys: frozenset[str]) -> Walk:
    """Generate the walk of a ``model`` object in ``mode``: each field's rule called by name.

    For each field, in order: the key's value, else what the mode makes of
    a missing key (an optional key's absence is no finding: its field keeps
    the model's default); the kind's rule on a scalar; on an object or an
    array, the nested rule, which checks the container and names its path,
    then the nested model's walk. Then the keys outside the plan, as the
    mode decides. Any error makes the whole decode fail: the object is built
    only while the report holds none.
    """
    init_aliases = {field.name: field.alias for field in attrs.fields(model)}
    # The model's __init__ arguments of the wire fields, in their order.
    aliases = tuple(init_aliases[field.name] for field in wire_fields(model))
    namespace: dict[str, Any] = dict(  # noqa: C408 -- the generated source's names, written as identifiers
        MISSING=MISSING,
        INVALID=INVALID,
        NO_EXTRA=NO_EXTRA,
        KEYS=keys,
        ALIASES=aliases,
        Model=model,
        missing=mode.missing,
        unknown=mode.unknown,
        member=_member,
        index_path=index_path,
        unfit=_unfit,
        by_keywords=_by_keywords,
    )
    body: list[str] = []
    values: list[str] = []
    for index, (wire, kind, rule, nested, item_plan, many, required) in enumerate(fields):
        value, key = f"v{index}", repr(wire)
        namespace[f"kind{index}"] = kind
        values.append(value)
        body.append(f"{value} = obj.get({key}, MISSING)")
        # A value of the kind's plain type is taken as it is: no call of the rule.
        unless_plain = ""
        if (plain := _plain_type(kind)) is not None:
            namespace[f"plain{index}"] = plain
            unless_plain = f"type({value}) is not plain{index}"
        if required:
            body += [f"if {value} is MISSING:", f"    {value} = missing(kind{index}, path, {key}, report)"]
            body.append(f"elif {unless_plain}:" if unless_plain else "else:")
        else:
            body.append(f"if {value} is not MISSING{f' and {unless_plain}' if unless_plain else ''}:")
        if rule is not None:
            namespace[f"rule{index}"] = rule
            body.append(f"    {value} = rule{index}({value}, path, {key}, report)")
            continue
        if nested is None or item_plan is None:
            raise AssertionError(f"{model.__name__}.{wire} has neither a rule nor a model")
        namespace[f"nested{index}"], namespace[f"walk{index}"] = nested, item_plan.walk
        body.append(f"    container, child = nested{index}({value}, path, {key}, report)")
        if many:
            items = f"[member(item, index_path(child, i), walk{index}, report) for i, item in enumerate(container)]"
            body.append(f"    {value} = INVALID if container is None else tuple({items})")
        else:
            # A duplicate key reported in the object makes it INVALID, as any error does.
            body.append(f"    {value} = INVALID if container is None else walk{index}(container, child, report)")
    keep = "True" if extra_field(model) else "False"
    body += [
        "extra = NO_EXTRA",
        "if not KEYS.issuperset(obj):",
        f"    extra = unknown(obj, [key for key in obj if key not in KEYS], path, report, keep={keep})",
        "if report.failed:",
        "    return INVALID",
    ]
    if fills_slots(model):
        body += _filled(model, values, namespace)
    else:
        body += _called(model, aliases, values)
    lines = ["def walk(obj, path, report):", *(f"    {line}" for line in body)]
    define(lines, namespace, f"{mode.name} walk {model.__name__}")
    return namespace["walk"]  # type: ignore[no-any-return]


def _filled(model: type, values: list[str], namespace: dict[str, Any]) -> list[str]:
    """The lines that build the object by filling its slots (``_filling``): nothing of the model's own runs."""

    def constant(name: str, value: object) -> str:
        namespace[name] = value
        return name

    by_name: dict[str, str] = {}
    for field, value in zip(wire_fields(model), values, strict=True):
        # An absent optional key: the model's default.
        by_name[field.name] = (
            value if field.required else or_default(model, field.name, f"{value} is MISSING", value, constant)
        )
    if extra_field(model):
        by_name["extra"] = or_default(model, "extra", "extra is NO_EXTRA", "extra", constant)
    return [*fill(model, "made", by_name, constant), "return made"]


def _called(model: type, aliases: tuple[str, ...], values: list[str]) -> list[str]:
    """The lines that build the object by calling the model, whose validators may refuse the values."""
    body = ["try:"]
    arguments = ", ".join(values)
    if _positional(model, aliases):  # every field required: no value is MISSING
        body += [
            "    if extra is NO_EXTRA:",
            f"        return Model({arguments})",
            f"    return Model({arguments}, extra=extra)",
        ]
    else:
        body.append(f"    return by_keywords(Model, ALIASES, ({arguments}{',' if len(values) == 1 else ''}), extra)")
    return [
        *body,
        "except Exception as exc:  # a registered model's validator: the verdict is an error",
        "    return unfit(exc, path, report)",
    ]


def _plain_type(kind: FieldKind) -> type | None:
    """Return the type whose every value both of ``kind``'s rules return as it is, reporting nothing; else None.

    That is a scalar kind's wire type where it is ``str`` or ``bool``, with
    no conversion: msgspec takes any value of it, so the fast road does, and
    both rules must agree with the fast road.
    """
    if not isinstance(kind, ScalarKind) or kind.convert is not None:
        return None
    wire = kind.wire()
    return wire if wire is str or wire is bool else None


def _member(value: object, path: str, walk: Walk, report: Report) -> object:
    """Decode an item of an array, which should be an object of the walk's model."""
    found = obj(value, path, None, report)
    return INVALID if found is None else walk(found, path, report)


def _by_keywords(model: type, aliases: tuple[str, ...], values: tuple[object, ...], extra: object) -> object:
    """Build ``model`` from the values of the fields that are there: an absent optional field keeps its default."""
    keywords = {alias: value for alias, value in zip(aliases, values, strict=True) if value is not MISSING}
    return model(**keywords) if extra is NO_EXTRA else model(**keywords, extra=extra)


def _unfit(exc: Exception, path: str, report: Report) -> object:
    """Report that the model refused the values (its validator raised ``exc``), and return INVALID."""
    return fail(path, None, report, "invalid", f"the values do not fit the model ({type(exc).__name__})")
