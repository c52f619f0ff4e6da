"""Straight-line decoders, generated once per model and mode.

A generated decoder checks a JSON value against the strict contract inline
(the exact key set, each value's type and bounds) and builds the model from
it without a function call per field. An object that does not pass whole is
handed, at its path, to the rule-by-rule walk of ``_walk``, which decides it
and reports every error and repair. So a valid payload takes the short road,
any other the reference one, object by object, with identical results: the
short road only ever accepts what the walk would accept without a finding.

The checks are the happy paths of the strict rules, which every lenient rule
also accepts unchanged; strict and lenient decoders differ only in the mode
they fall back to.

A decoder called without a report returns ``INVALID`` at the first object
that would fall back, and otherwise adds the number of keys it accepted to
``keys[0]``: the quick path of ``_decode`` uses both to prove a payload
valid without the walk.
"""

from __future__ import annotations

import functools
import linecache
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import MemberDescriptorType
from typing import TYPE_CHECKING, Any, Final, cast

import attrs

from . import countries
from ._json import INVALID
from ._model import EventType, Kind, WireField, wire_fields
from ._report import key_path
from ._strict import DECIMAL_DIGITS, GENDERS, INT_MAX, INT_MIN, MAX_ID_LENGTH, MAX_PLACES
from ._walk import member, mode, plan
from .timestamps import EPOCH, MAX_SECONDS

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._report import Report

    #: (value, path, report or None, key tally) -> the model instance, or INVALID.
    Decoder = Callable[[object, str, Report | None, list[int]], object]

#: A condition on ``v`` that holds where the strict rule of the kind accepts
#: ``v`` unchanged, and the model value the rule returns for it.
_SCALARS: Final[dict[Kind, tuple[str, str]]] = {
    Kind.EVENT_ID: ("type(v) is str and 0 < len(v) <= MAX_ID_LENGTH", "v"),
    Kind.EVENT_TYPE: ("type(v) is str and v in EVENT_TYPES", "EVENT_TYPES[v]"),
    # fromtimestamp() is faster than from_unix()'s sum, and equal; but
    # Windows' gmtime() stops at the year 3000.
    Kind.TIMESTAMP: (
        "type(v) is int and 0 <= v <= MAX_SECONDS",
        "fromtimestamp(v, UTC) if v < YEAR_3000 else EPOCH + timedelta(0, v)",
    ),
    Kind.INTEGER: ("type(v) is int and INT_MIN <= v <= INT_MAX", "v"),
    Kind.TEXT: ("type(v) is str", "v"),
    Kind.OPTIONAL_TEXT: ("type(v) is str", "v"),
    Kind.GENDER: ("type(v) is str and v in GENDERS", "GENDERS[v]"),
    Kind.COUNTRY: ("type(v) is str and v in COUNTRIES", "v"),
    # adjusted() and as_tuple(), unlike comparisons, need no decimal context:
    # the caller's could trap. Ints compare with ints.
    Kind.DECIMAL: (
        (
            "(type(v) is Decimal and v.is_finite() and (not v or v.adjusted() < DECIMAL_DIGITS)"
            " and v.as_tuple().exponent >= -MAX_PLACES)"
            " or (type(v) is int and -INT_LIMIT < v < INT_LIMIT)"
        ),
        "v if type(v) is Decimal else Decimal(v)",
    ),
    # A nested object's decoder checks its own value. A resource in an array
    # and an empty array are errors or repairs at the parent's key, which is
    # where the parent's fallback reports them.
    Kind.OBJECT: ("True", ""),
    Kind.RESOURCE: ("type(v) is dict", ""),
    Kind.ARRAY: ("type(v) is list and v", ""),
}


_YEAR_3000: Final = 32503680000  # 3000-01-01 in Unix seconds


@functools.cache
def decoder(model: type, *, strict: bool) -> Decoder:
    """Return the generated decoder of ``model`` in the mode (generated on first use).

    The decoder is one function, with the code of every nested model inline:
    calls cost more than the checks.
    """
    source = _Source(strict=strict)
    name = f"decode_{model.__name__}"
    source.line(f"def {name}(value, path, report, keys):")
    result, constant, terms = source.model(model, "value", "{path}", depth=1)
    # Without a report, getting here means that every object was accepted.
    source.line("    if report is None:")
    source.line(f"        keys[0] += {' + '.join([str(constant), *terms])}")
    source.line(f"    return {result}")
    text = "\n".join(source.lines) + "\n"
    filename = f"<plenty_events {name} {'strict' if strict else 'lenient'}>"
    # Registered like a file, as attrs does, so that tracebacks show the lines.
    linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
    exec(compile(text, filename, "exec"), source.namespace)  # noqa: S102 -- our own source, from the model
    return cast("Decoder", source.namespace[name])


class _Source:
    """The lines of one generated decoder, and the names they use."""

    def __init__(self, *, strict: bool) -> None:
        self.strict = strict
        self.lines: list[str] = []
        self.objects = 0
        self.namespace: dict[str, object] = {
            "INVALID": INVALID,
            "NEW": object.__new__,
            "MODE": mode(strict=strict),
            "member": member,
            "Decimal": Decimal,
            "timedelta": timedelta,
            "fromtimestamp": datetime.fromtimestamp,
            "UTC": UTC,
            "YEAR_3000": _YEAR_3000,
            "EPOCH": EPOCH,
            "MAX_SECONDS": MAX_SECONDS,
            "INT_MIN": INT_MIN,
            "INT_MAX": INT_MAX,
            "MAX_ID_LENGTH": MAX_ID_LENGTH,
            "MAX_PLACES": MAX_PLACES,
            "DECIMAL_DIGITS": DECIMAL_DIGITS,
            "INT_LIMIT": 10**DECIMAL_DIGITS,
            "GENDERS": GENDERS,
            "COUNTRIES": countries.valid_codes(),
            "EVENT_TYPES": {member.value: member for member in EventType},
        }

    def line(self, text: str, depth: int = 0) -> None:
        self.lines.append("    " * depth + text)

    def model(self, model: type, value: str, path: str, depth: int) -> tuple[str, int, list[str]]:
        """Emit the code that decodes ``value`` (a name) into ``model``.

        ``path`` is the body of an f-string for the value's wire path,
        evaluated only when the value falls back to the walk. Returns the
        name of the result, and the number of keys of the accepted objects:
        a constant and expressions for the arrays' share.
        """
        number = self.objects
        self.objects += 1
        result = f"r{number}"
        self.namespace[f"MODEL{number}"] = model
        self.namespace[f"PLAN{number}"] = plan(model, strict=self.strict)
        fields = wire_fields(model)
        names = self._accept(fields, number, value, depth)
        self.line("if ok:", depth)
        args: list[str] = []
        failed: list[str] = []
        constant, terms = len(fields), list[str]()
        for field, name in zip(fields, names, strict=True):
            if field.model is None:
                args.append(_bind(_SCALARS[field.kind][1], name))
                continue
            suffix = key_path("", field.wire).replace("{", "{{").replace("}", "}}")
            if field.kind is Kind.ARRAY:
                items, bad, count = self._array(field.model, number, name, f"{path}{suffix}", depth + 1)
                args.append(f"tuple({items})")
                failed.append(bad)
                terms.append(f"len({items}) * {count}")
            else:
                decoded, count, inner = self.model(field.model, name, f"{path}{suffix}", depth + 1)
                args.append(decoded)
                failed.append(f"{decoded} is INVALID")
                constant += count
                terms += inner
        indent = depth + 1
        if failed:
            self.line(f"if {' or '.join(failed)}:", depth + 1)
            self.line(f"{result} = INVALID", depth + 2)
            self.line("else:", depth + 1)
            indent += 1
        self._construct(model, number, dict(zip((field.name for field in fields), args, strict=True)), indent)
        self.line("elif report is None:", depth)
        self.line("return INVALID", depth + 1)  # nobody to tell: stop at the first doubt
        self.line("else:", depth)
        self.line(f"{result} = member({value}, f{path!r}, PLAN{number}, MODE, report)", depth + 1)
        return result, constant, terms

    def _construct(self, model: type, number: int, args: dict[str, str], depth: int) -> None:
        """Emit the code that builds ``model`` from ``args`` (field name to expression) into ``r{number}``.

        The slots are filled directly, as the attrs ``__init__`` fills them,
        at two thirds of its cost; that is only the same object for a class
        whose ``__init__`` does nothing else, which is checked here.
        """
        result = f"r{number}"
        self.line(f"{result} = NEW(MODEL{number})", depth)
        for index, field in enumerate(attrs.fields(model)):
            if field.validator is not None or field.converter is not None or field.on_setattr not in _PLAIN_SETATTR:
                raise AssertionError(f"{model.__name__}.{field.name} does more than hold a value")
            if field.name in args:
                value = args[field.name]
            elif type(field.default) not in _CONSTANTS:  # NOTHING, or a Factory
                raise AssertionError(f"{model.__name__}.{field.name} has neither a wire key nor a constant default")
            else:
                value = f"DEFAULT{number}_{index}"
                self.namespace[value] = field.default
            self.namespace[f"SET{number}_{index}"] = _slot(model, field.name).__set__
            self.line(f"SET{number}_{index}({result}, {value})", depth)
        if hasattr(model, "__attrs_post_init__") or hasattr(model, "__attrs_pre_init__"):
            raise AssertionError(f"{model.__name__} runs code when built")

    def _accept(self, fields: tuple[WireField, ...], number: int, value: str, depth: int) -> list[str]:
        """Emit the code that sets ``ok`` when ``value`` passes as a whole; return its fields' names."""
        names = [f"o{number}_{index}" for index in range(len(fields))]
        checks = [_bind(_SCALARS[field.kind][0], name) for field, name in zip(fields, names, strict=True)]
        self.line(f"if type({value}) is dict and len({value}) == {len(fields)}:", depth)
        self.line("try:", depth + 1)
        for field, name in zip(fields, names, strict=True):
            self.line(f'{name} = {value}["{field.wire}"]', depth + 2)
        self.line("except KeyError:", depth + 1)
        self.line("ok = False", depth + 2)
        self.line("else:", depth + 1)
        self.line(f"ok = {' and '.join(f'({check})' for check in checks if check != 'True') or 'True'}", depth + 2)
        self.line("else:", depth)
        self.line("ok = False", depth + 1)
        return names

    def _array(self, model: type, number: int, value: str, path: str, depth: int) -> tuple[str, str, int]:
        """Emit the loop over the items of array ``value``.

        Returns the names of the decoded items' list and of the flag set when
        one is INVALID, and the number of keys of an item.
        """
        items, index, item, bad = f"a{number}", f"i{number}", f"e{number}", f"f{number}"
        self.line(f"{items} = []", depth)
        self.line(f"{bad} = False", depth)
        self.line(f"for {index}, {item} in enumerate({value}):", depth)
        decoded, count, inner = self.model(model, item, f"{path}[{{{index}}}]", depth + 1)
        if inner:
            # The wire format has none; their count would need a sum in the loop.
            raise AssertionError(f"{model.__name__}: an array inside the items of an array")
        self.line(f"if {decoded} is INVALID:", depth + 1)
        self.line(f"{bad} = True", depth + 2)
        self.line(f"{items}.append({decoded})", depth + 1)
        return items, bad, count


#: What a frozen attrs class has for ``on_setattr``: nothing that runs on set.
_PLAIN_SETATTR: Final = (None, attrs.setters.NO_OP)
#: Defaults that every instance may share.
_CONSTANTS: Final = (type(None), bool, int, str, tuple)


def _slot(model: type, name: str) -> Any:
    """Return the slot descriptor of ``model``'s attribute ``name``."""
    descriptor = getattr(model, name, None)
    if not isinstance(descriptor, MemberDescriptorType):
        raise AssertionError(f"{model.__name__}.{name} is not a slot")  # noqa: TRY004 -- the models', not a caller's
    return descriptor


def _bind(expression: str, name: str) -> str:
    """Put ``name`` for the placeholder ``v`` in an expression of ``_SCALARS``."""
    return re.sub(r"\bv\b", name, expression)
