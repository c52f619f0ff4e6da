"""The fast road: msgspec checks a valid payload in C, and glue builds the model.

For each model the road defines a ``msgspec.Struct`` whose fields carry the
msgspec types of their kinds (``_kinds``): types, ``Meta`` bounds and
literals that msgspec enforces while it parses. msgspec also checks the
envelope's event type, and where there are several models picks the model's
struct by it, as the tag of a union. The decoder forbids unknown keys; the kinds' conversions then turn the decoded
values into model values, and generated glue fills the attrs objects.

What this road accepts, the explaining road (``_walk``) accepts in either
mode, with the same result and nothing to report. Anything else it
declines, by returning ``None``, and the explaining road decides, and says
why. Two things msgspec does not check are checked here:

- duplicate keys, which msgspec resolves silently: the JSON text has a colon
  after each key, and one more for each colon in a string, so an event whose
  objects hold as many keys as the text has colons had no key twice; where
  strings hold colons, ``_json.colons_explained`` finds them in the struct;
- depth: the only untyped values are the decimals', which msgspec parses
  recursively, so the road declines a text with more than
  ``MAX_BRACKETS`` opening brackets, a nesting far from any C stack's
  limit, whatever the recursion limit.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Literal, Union, cast, final

import attrs
import msgspec

from ._codegen import define
from ._filling import fill, fills_slots, or_default
from ._json import INVALID, brackets, colons_explained
from ._kinds import NestedKind, ScalarKind, read_fraction
from ._model import WireField, wire_fields
from ._report import ROOT, Report

if TYPE_CHECKING:
    from collections.abc import Callable

    #: (decoded struct, the text, its colons) -> the event, or None when a key occurred twice.
    Builder = Callable[[Any, str | bytes, int], object]

#: The most opening brackets a text on this road may hold; Python's default
#: recursion limit, a depth the interpreter deems safe for recursing C code.
MAX_BRACKETS: Final = 1000

#: The key of the envelope that picks the model.
TAG: Final = "type"


@final
class FastRoad:
    """The fast road for a set of models, each for its event type.

    >>> from plenty_events import ServicePurchaseEvent
    >>> from plenty_events.testing import sample_payload, to_json
    >>> road = FastRoad({"SERVICE.PLUGIN.PURCHASE": ServicePurchaseEvent})
    >>> road.decode(to_json(sample_payload())).resource.contact.id
    1337
    >>> road.decode(b'{"id": 1}') is None
    True

    """

    __slots__ = ("_builders", "_decoder")

    def __init__(self, models: Mapping[str, type]) -> None:
        # Several models: msgspec picks the struct by its tag. One model: its
        # struct checks the type as a field, since msgspec requires a lone
        # struct's tag only where it is there.
        tagged = len(models) > 1
        structs = {event_type: struct(model, event_type, tagged=tagged) for event_type, model in models.items()}
        union: Any = Union  # subscripted with types known at run time only
        wire_type = union[tuple(structs.values())]
        self._decoder = msgspec.json.Decoder(wire_type, float_hook=read_fraction)
        self._builders: dict[type, Builder] = {
            structs[event_type]: builder(model, event_type) for event_type, model in models.items()
        }

    def decode(self, data: object) -> object | None:
        """Decode a valid event from JSON text; return ``None`` for the explaining road.

        Anything but JSON text (an already parsed mapping, say) is the
        explaining road's too.
        """
        if type(data) is bytes:
            colons = data.count(b":")
        elif isinstance(data, str):
            colons = data.count(":")
        elif isinstance(data, (bytes, bytearray, memoryview)):
            try:
                data = bytes(cast("bytes | bytearray | memoryview[int]", data))
            except ValueError:  # a released memoryview, which the explaining road words
                return None
            colons = data.count(b":")
        else:
            return None
        # A text cannot hold more brackets than characters: a short one needs no count.
        if len(data) > MAX_BRACKETS and brackets(data) > MAX_BRACKETS:
            return None
        try:
            wire = self._decoder.decode(data)
            return self._builders[type(wire)](wire, data, colons)
        except Exception:  # noqa: BLE001 -- whatever fails is the explaining road's to say
            # msgspec's errors are ValueErrors; so are read_fraction's and the
            # conversions', and a str's that UTF-8 cannot encode. Also: an
            # ArithmeticError for an exponent that Decimal cannot hold, a
            # RecursionError under a caller's low recursion limit, whatever a
            # registered model's validator raises.
            return None


@functools.cache
def struct(model: type, tag: str | None = None, *, tagged: bool = False) -> type[msgspec.Struct]:
    """Return the msgspec struct of ``model``'s wire fields.

    For an envelope, ``tag`` is its event type: msgspec's tag where
    ``tagged``, else a field that must be there and hold it.
    """
    fields: list[tuple[str, object] | tuple[str, object, object]] = []
    rename: dict[str, str] = {}
    for field in wire_fields(model):
        if tag is not None and field.wire == TAG:
            continue
        if isinstance(field.kind, NestedKind):
            if field.model is None:
                raise AssertionError(f"{model.__name__}.{field.name}: a nested kind without a model")
            wire_type = field.kind.wire(struct(field.model))
        else:
            wire_type = field.kind.wire()
        if field.required:
            fields.append((field.name, wire_type))
        else:
            # An absent optional key is UNSET, which the glue leaves to the model's default.
            optional: Any = wire_type  # a type, known at run time only
            fields.append((field.name, optional | msgspec.UnsetType, msgspec.UNSET))
        rename[field.name] = field.wire
    options: dict[str, Any] = {}
    if tagged:
        options = {"tag_field": TAG, "tag": tag}
    elif tag is not None:
        fields.append((_TAG_NAME, Literal[tag]))
        rename[_TAG_NAME] = TAG
    return msgspec.defstruct(
        f"{model.__name__}Wire",
        fields,
        rename=rename,
        forbid_unknown_fields=True,
        # An optional field may come before a required one: the glue reads fields by name.
        kw_only=True,
        # Structs of JSON values hold no cycles: the garbage collector need not track them.
        gc=False,
        **options,
    )


#: The attribute of an untagged envelope struct that holds the event type.
_TAG_NAME: Final = "event_type_tag"


def builder(model: type, tag: str) -> Builder:
    """Return the generated function that builds a ``model`` event from its struct.

    The glue calls the kinds' conversions by name and fills the attrs
    objects' slots, which builds what their ``__init__`` builds for less (see
    ``_filling``; a model whose ``__init__`` does more, such as a validator,
    is built by its ``__init__``). A traceback shows its lines (``_codegen``).
    """
    glue = _Glue()
    name = glue.envelope(model, tag)
    define(glue.lines, glue.namespace, f"fast road {model.__name__} {tag}")
    return glue.namespace[name]  # type: ignore[no-any-return]


class _Glue:
    """The source of one envelope's builder, and the names it uses."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.namespace: dict[str, Any] = {"UNSET": msgspec.UNSET}
        self.done: set[type] = set()

    def envelope(self, model: type, tag: str) -> str:
        """Emit ``build_{model}(wire, text, colons)`` for the envelope; return its name."""
        name = f"build_{model.__name__}"
        body: list[str] = []
        result = self._model(model, "wire", "event", body, tag)
        count = self._count(model, "wire", tag)
        # Where strings hold colons too, they must make up the difference.
        self.namespace["colons_explained"] = colons_explained
        self.lines.append(f"def {name}(wire, text, colons):")
        self.lines.append(f"    if {count} != colons and not colons_explained(wire, text, colons):")
        self.lines.append("        return None  # a key occurred twice, or a colon beside an escape")
        self.lines.extend(f"    {line}" for line in body)
        self.lines.append(f"    return {result}")
        return name

    def _model(self, model: type, wire: str, result: str, body: list[str], tag: str | None = None) -> str:
        """Emit the lines that build ``model`` from the struct ``wire`` into ``result``; return ``result``."""
        values: dict[str, str] = {}
        for field in wire_fields(model):
            member = f"{wire}.{field.name}"
            if tag is not None and field.wire == TAG:
                values[field.name] = self._constant(f"{model.__name__}_{field.name}", _tag_value(field, tag))
            elif isinstance(field.kind, ScalarKind) and not field.required:
                converted = self._converted(field.kind, member)
                values[field.name] = or_default(model, field.name, f"{member} is UNSET", converted, self._constant)
            elif isinstance(field.kind, ScalarKind):
                values[field.name] = self._converted(field.kind, member)
            elif field.model is None:
                raise AssertionError(f"{model.__name__}.{field.name}: a nested kind without a model")
            elif field.kind.many:
                values[field.name] = f"tuple(map({self._item_builder(field.model)}, {member}))"
            else:
                variable = f"{result}_{field.name}"
                body.append(f"{wire}_{field.name} = {member}")
                values[field.name] = self._model(field.model, f"{wire}_{field.name}", variable, body)
        self._construct(model, result, values, body)
        return result

    def _converted(self, kind: ScalarKind, member: str) -> str:
        if kind.convert is None:
            return member
        name = self._constant(f"convert_{kind.name.replace(' ', '_')}", kind.convert)
        arguments = [self._constant(f"{name}_with_{index}", value) for index, value in enumerate(kind.convert_with)]
        return f"{name}({', '.join([member, *arguments])})"

    def _constant(self, name: str, value: object) -> str:
        self.namespace[name] = value
        return name

    def _item_builder(self, model: type) -> str:
        """Emit ``build_{model}(wire)`` for the items of an array, once; return its name."""
        name = f"build_{model.__name__}"
        if model not in self.done:
            self.done.add(model)
            body: list[str] = []
            result = self._model(model, "wire", "item", body)
            self.lines.append(f"def {name}(wire):")
            self.lines.extend(f"    {line}" for line in body)
            self.lines.append(f"    return {result}")
            self.lines.append("")
        return name

    def _construct(self, model: type, result: str, values: dict[str, str], body: list[str]) -> None:
        """Emit the lines that build ``model`` from ``values`` (field name to expression)."""
        if fills_slots(model):
            body += fill(model, result, values, self._constant)
            return
        model_name = self._constant(model.__name__, model)
        fields = attrs.fields_dict(model)
        arguments = ", ".join(f"{fields[name].alias}={value}" for name, value in values.items())
        body.append(f"{result} = {model_name}({arguments})")

    def _count(self, model: type, wire: str, tag: str | None = None) -> str:
        """Return an expression for the number of keys in the objects of ``wire``, a struct of ``model``."""
        constant, terms = self._terms(model, wire, tag)
        return " + ".join([str(constant), *terms])

    def _terms(self, model: type, wire: str, tag: str | None = None) -> tuple[int, list[str]]:
        """Count the keys of ``wire``'s objects: a constant, and the expressions of its arrays."""
        fields = wire_fields(model)
        # The tag is a key of the envelope whether or not the model keeps it.
        required = [field for field in fields if field.required]
        constant = len(required) + (tag is not None and all(field.wire != TAG for field in fields))
        terms: list[str] = []
        for field in fields:
            member = f"{wire}.{field.name}"
            if not field.required:
                terms.append(f"({member} is not UNSET)")
                continue
            if field.model is None:
                continue
            if isinstance(field.kind, NestedKind) and field.kind.many:
                item_constant, item_terms = self._terms(field.model, "item")
                if item_terms:
                    terms.append(f"sum([{' + '.join([str(item_constant), *item_terms])} for item in {member}])")
                else:
                    terms.append(f"len({member}) * {item_constant}")
            else:
                nested_constant, nested_terms = self._terms(field.model, member)
                constant += nested_constant
                terms += nested_terms
        return constant, terms


def _tag_value(field: WireField, tag: str) -> object:
    """The model value of the envelope's tag: what its kind makes of it."""
    if not isinstance(field.kind, ScalarKind):
        raise TypeError(f"the envelope's {TAG!r} must be a scalar field")
    # The strict rule gives what the wire type and conversion give (the
    # kinds' proofs), without building msgspec's view of the type.
    value = field.kind.strict(tag, ROOT, TAG, Report())
    if value is INVALID:
        raise TypeError(f"the event type {tag!r} is not a value of the envelope's {TAG!r} field")
    return value
