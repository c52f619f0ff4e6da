"""Bytes to JSON values, and JSON values to bytes.

This is the first and the last step of the data flow. Parsing yields plain
JSON values: ``dict`` (string keys), ``list``, ``str``, ``int``, ``Decimal``
for every number with a fraction or exponent (never a float), ``bool`` and
``None``. Everything a JSON parser can get wrong is decided here, once, for
both modes: encoding, byte order marks, ``NaN``, duplicate keys, lone
surrogates, depth.

msgspec parses where the colon count proves that no key occurred twice;
the stdlib parser, which marks duplicate keys, parses the rest and words
what is wrong with a text that is not JSON.
"""

from __future__ import annotations

import decimal
import functools
import itertools
import json
import math
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Final, cast

import msgspec

from ._report import ROOT, Report, index_path, key_path, type_name

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from ._types import JSONValue

#: How deep JSON values may nest. The documented payload nests four levels;
#: the bound keeps every walk over a value, and its encoding, far from
#: Python's recursion limit.
MAX_DEPTH: Final = 64

#: The most digits an integer literal may have. It is Python's default
#: ``sys.get_int_max_str_digits()``, the length past which converting
#: decimal text to ``int`` takes quadratic time; the parser enforces it
#: itself, so that a process that turns Python's limit off or down gets the
#: same verdicts.
MAX_INT_DIGITS: Final = 4300

#: The decimal context numbers are read under, whatever the caller's is.
#: Reading a literal is exact under any context; the context only decides
#: what happens to an exponent past what ``Decimal`` can hold: here it
#: raises ``InvalidOperation`` rather than turning the literal into ``NaN``.
#: Every field is given, since a ``Context`` copies the rest from the
#: process-wide ``decimal.DefaultContext``, which callers may change.
NUMBERS: Final = decimal.Context(
    prec=28,
    rounding=decimal.ROUND_HALF_EVEN,
    Emin=-999_999,
    Emax=999_999,
    capitals=1,
    clamp=0,
    flags=[],
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)

INVALID: Final = object()
"""Returned where a value could not be parsed; the reason is in the report."""

#: A decimal number written as text, as lenient decoding reads one from a
#: string: sign, digits with an optional point, an optional exponent. Unlike
#: int() and Decimal() alone, it refuses "1_000", "NaN" and non-ASCII digits.
DECIMAL_TEXT: Final = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")

_BOM: Final = "\ufeff"
_SURROGATE_ESCAPE: Final = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
#: A bracket (group 1), or a string, which hides the brackets inside it. A
#: string that never closes runs to the end of the text, and the possessive
#: quantifiers never give back what they took: each character is read once,
#: so the scan is linear however the text ends. (A pattern that needs the
#: closing quote is retried from every quote in an unterminated string, and
#: reads the rest of the text each time.)
_BRACKET_OR_STRING: Final = re.compile(r'"(?:[^"\\]++|\\[\s\S]?)*+"?|([\[\]{}])')
_NESTING: Final = {"[": 1, "{": 1, "]": -1, "}": -1}


class _Duplicated(dict[str, object]):
    """An object in which a key occurred twice; the last value won.

    Marking the object and finding it again afterwards, where its path is
    known, is cheaper than tracking paths inside the parser.
    """

    __slots__ = ("duplicates",)
    duplicates: list[str]


class _NonFiniteError(ValueError):
    pass


class _TooManyDigitsError(ValueError):
    pass


def _pairs(pairs: list[tuple[str, object]]) -> dict[str, object]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    marked = _Duplicated(obj)
    marked.duplicates = []
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            marked.duplicates.append(key)
        seen.add(key)
    return marked


def _reject_constant(name: str) -> object:
    raise _NonFiniteError(name)


def _integer(literal: str) -> int:
    """Read a JSON integer literal, of at most MAX_INT_DIGITS digits."""
    if len(literal) - literal.startswith("-") > MAX_INT_DIGITS:
        raise _TooManyDigitsError
    try:
        return int(literal)
    except ValueError:
        # The process set a lower limit than ours; Decimal's conversion to
        # int is not bound by it, and is exact.
        return int(Decimal(literal))


def read_decimal(literal: str) -> Decimal:
    """Read a JSON number literal exactly, under the library's own decimal context.

    Raises:
        decimal.InvalidOperation: the exponent is past what ``Decimal`` holds.

    """
    return Decimal(literal, NUMBERS)


_DECODER: Final = json.JSONDecoder(
    parse_float=read_decimal,
    parse_int=_integer,
    parse_constant=_reject_constant,
    object_pairs_hook=_pairs,
)


#: msgspec's parser, untyped: the numbers as the stdlib parser reads them.
_UNTYPED: Final = msgspec.json.Decoder(float_hook=read_decimal)

#: What :func:`_without_duplicates` returns for a text it leaves to the stdlib parser.
_DECLINED: Final = object()


def _without_duplicates(text: str | bytes) -> object:
    """Parse ``text`` with msgspec where that gives what the stdlib parser gives; else return _DECLINED.

    msgspec parses faster, but keeps the last of two equal keys silently.
    Each key has a colon after it, and each colon in a string is one more:
    where the objects hold as many keys as the text has colons, no key
    occurred twice. Anything msgspec refuses (invalid JSON, a lone
    surrogate, an integer of more than MAX_INT_DIGITS digits, or more than
    the process allows) is left to the stdlib parser, which says why.
    ``text`` is the body's UTF-8 bytes, or the str passed in.
    """
    try:
        value = _UNTYPED.decode(text)
        keys = _keys(value)
    except (ValueError, ArithmeticError, RecursionError):
        # msgspec's DecodeError is a ValueError. RecursionError: a caller's
        # recursion limit below the depth, which is at most MAX_DEPTH here.
        return _DECLINED
    return value if keys == colons(text) else _DECLINED


def colons(text: str | bytes) -> int:
    """Count the colons of JSON text: one after each key, and one for each colon in a string."""
    return text.count(":") if isinstance(text, str) else text.count(b":")


def _keys(value: Any) -> int:
    """Count the keys of the objects in ``value``, a parsed JSON value at most MAX_DEPTH deep."""
    # Any, and its class tested as an attribute, so that no type checker
    # narrows it to a container of unknowns: a cast per call would cost more
    # than the rest of the count.
    if value.__class__ is dict:
        keys = len(value)
        members: Iterable[Any] = value.values()
    elif value.__class__ is list:
        keys = 0
        members = value
    else:
        return 0
    for member in members:
        if type(member) in _CONTAINERS:
            keys += _keys(member)
    return keys


_CONTAINERS: Final = (dict, list)


def parse(data: bytes | bytearray | memoryview | str, report: Report, *, strict: bool) -> object:
    """Parse JSON text into JSON values, or report why not and return INVALID."""
    not_utf8 = isinstance(data, str)  # a str may hold what UTF-8 cannot
    body: str | bytes
    if isinstance(data, str):
        text = body = data
    else:
        try:
            raw = bytes(data)
        except ValueError:  # a memoryview released before the call
            report.error(ROOT, "json_invalid", "the body is a released memoryview")
            return INVALID
        if raw[:2] in (b"\xff\xfe", b"\xfe\xff") or (raw[:1] == b"\x00" or raw[1:2] == b"\x00"):
            report.error(ROOT, "json_invalid", "the body is UTF-16 or UTF-32 text; JSON on the wire is UTF-8")
            return INVALID
        try:
            text, body = raw.decode("utf-8"), raw  # msgspec reads the bytes as they are
        except UnicodeDecodeError as exc:
            report.error(ROOT, "json_invalid", f"the body is not valid UTF-8 (byte {exc.start})")
            return INVALID
    if text.count("[") + text.count("{") > MAX_DEPTH and _depth(text) > MAX_DEPTH:
        # Refused before parsing: the C parser recurses once per level, and
        # under a raised recursion limit that would overflow the C stack.
        report.error(ROOT, "json_depth", f"the body nests deeper than {MAX_DEPTH} levels")
        return INVALID
    if text.startswith(_BOM):
        if strict:
            report.error(ROOT, "json_invalid", "the body starts with a byte order mark")
            return INVALID
        report.repair(ROOT, "bom_removed", "removed the byte order mark before the body")
        text = body = text[1:]
    try:
        # Under a context of our own: the caller's may not trap an exponent
        # that Decimal cannot hold, and would let it through as NaN.
        with decimal.localcontext(NUMBERS):
            value = _without_duplicates(body)
            if value is not _DECLINED:
                return value  # msgspec refuses every lone surrogate: nothing is left to check
            value = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        report.error(ROOT, "json_invalid", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg.lower()}")
        return INVALID
    except _NonFiniteError as exc:
        report.error(ROOT, "json_invalid", f"{exc} is not a JSON number")
        return INVALID
    except InvalidOperation:
        report.error(ROOT, "json_invalid", "a number literal's exponent is out of range")
        return INVALID
    except RecursionError:  # pragma: no cover -- the depth check above comes first
        report.error(ROOT, "json_depth", f"the body nests deeper than {MAX_DEPTH} levels")
        return INVALID
    except _TooManyDigitsError:
        # Converting a longer literal to int would take quadratic time; no
        # valid payload comes near it.
        report.error(ROOT, "json_invalid", f"an integer literal has more than {MAX_INT_DIGITS} digits")
        return INVALID
    if ("\\u" in text and _SURROGATE_ESCAPE.search(text)) or (not_utf8 and _SURROGATE.search(text)):
        # Rare: an escape, or a str passed in, can carry a lone surrogate.
        return check(value, ROOT, report)
    return value


def _depth(text: str) -> int:
    """Return how deep the brackets of JSON ``text`` nest, strings left out, in linear time.

    Up to where the text stops being JSON, strings are delimited as the
    parser delimits them, so the depth is the one the parser would reach.
    """
    brackets = "".join(_BRACKET_OR_STRING.findall(text))  # strings match with an empty group
    return max(itertools.accumulate(map(_NESTING.__getitem__, brackets)), default=0)


def duplicate_keys(obj: dict[str, object]) -> list[str]:
    """Return the keys that occurred more than once in ``obj``'s JSON text."""
    return obj.duplicates if isinstance(obj, _Duplicated) else []


def check(value: object, path: str, report: Report, *, floats: bool = True) -> JSONValue | object:
    """Check that ``value`` is a JSON value and return a plain copy of it.

    Used where values did not come from the parser (a mapping passed to
    ``decode``) and where a value is kept as it is (the resource of an
    unknown event type). Reports non-JSON types, non-string keys, non-finite
    numbers, lone surrogates, duplicate keys and nesting past
    :data:`MAX_DEPTH`, each at its path, and returns INVALID if any was found.

    A subclass of a JSON type (a ``str`` subclass, a ``StrEnum`` or
    ``IntEnum`` member, a ``list`` subclass) is copied as the plain value it
    holds, read without calling its methods, so that the rules, which test
    exact types, see what the wire would carry.

    With ``floats=False``, a float is replaced by the ``Decimal`` of its
    shortest repr (``0.1`` stays ``0.1``) and the repair reported, so that a
    value kept raw encodes and decodes to itself.

    The walk keeps its own stack, so no input, however deep, reaches Python's
    recursion limit.
    """
    errors_before = report.error_count()
    root: list[object] = [None]
    # Each entry: the value, its path, its depth, and where to put its copy.
    stack: list[tuple[object, str, int, Callable[[object], None]]] = [
        (value, path, 0, lambda copy: root.__setitem__(0, copy))
    ]
    while stack:
        item, where, depth, put = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                report.error(where, "string_unicode", "the string holds a lone surrogate, which UTF-8 cannot encode")
            put(_plain_str(item))
        elif item is None or isinstance(item, bool):
            put(item)
        elif isinstance(item, int):
            put(item if type(item) is int else int.__int__(item))
        elif isinstance(item, (float, Decimal)):
            if not _finite(item):
                report.error(where, "json_invalid", "NaN and Infinity are not JSON numbers")
            elif isinstance(item, float) and not floats:
                report.repair(where, "number_from_float", "read a float by its shortest repr")
                item = Decimal(float.__repr__(item))
            put(_plain_number(item))
        elif depth >= MAX_DEPTH and isinstance(item, (Mapping, list)):
            report.error(where, "json_depth", f"the value nests deeper than {MAX_DEPTH} levels")
        elif isinstance(item, Mapping):
            mapping = cast("Mapping[object, object]", item)
            for duplicate in duplicate_keys(cast("dict[str, object]", item)) if isinstance(item, dict) else ():
                report.error(
                    key_path(where, duplicate), "duplicate_key", "the key occurs more than once in this object"
                )
            obj: dict[str, object] = {}
            put(obj)
            for key, member in mapping.items():
                if not isinstance(key, str):
                    report.error(
                        key_path(where, key), "json_type", f"object keys must be strings, got {type_name(key)}"
                    )
                    continue
                key = _plain_str(key)  # noqa: PLW2901 -- the key as the wire carries it
                if key in obj:  # two str subclass keys that hold the same text
                    report.error(key_path(where, key), "duplicate_key", "the key occurs more than once in this object")
                if _SURROGATE.search(key):
                    report.error(
                        key_path(where, key),
                        "string_unicode",
                        "the key holds a lone surrogate, which UTF-8 cannot encode",
                    )
                obj[key] = None
                stack.append((member, key_path(where, key), depth + 1, functools.partial(obj.__setitem__, key)))
        elif isinstance(item, list):
            items = cast("list[object]", item)
            array: list[object] = [None] * len(items)
            put(array)
            stack.extend(
                (member, index_path(where, i), depth + 1, functools.partial(array.__setitem__, i))
                for i, member in enumerate(items)
            )
        else:
            report.error(where, "json_type", f"{type_name(item)} is not a JSON value")
    return INVALID if report.error_count() > errors_before else root[0]


def _plain_number(number: float | Decimal) -> float | Decimal:
    if type(number) is float or type(number) is Decimal:
        return number
    return float.__float__(number) if isinstance(number, float) else Decimal(number)


def _plain_str(text: str) -> str:
    # str.__str__ copies a subclass's text into a plain str without calling
    # the subclass's own __str__.
    return text if type(text) is str else str.__str__(text)


def _finite(number: float | Decimal) -> bool:
    # math.isfinite would turn a Decimal such as 1E+999999999 into an inf float.
    return number.is_finite() if isinstance(number, Decimal) else math.isfinite(number)


_encode_string = json.encoder.encode_basestring


def dumps(value: object) -> str:
    """Serialise a JSON value as compact JSON text, numbers exactly as they are.

    ``Decimal`` becomes its exact literal (``Decimal("41.1765")`` is
    ``41.1765``), never a float. Raises ``ValueError`` for a non-finite number
    and ``TypeError`` for a value that is not JSON.
    """
    parts: list[str] = []
    _write(value, parts.append)
    return "".join(parts)


def _write(value: object, out: Callable[[str], object]) -> None:
    if isinstance(value, str):
        out(_encode_string(value))
    elif value is None:
        out("null")
    elif value is True:
        out("true")
    elif value is False:
        out("false")
    elif isinstance(value, int):
        out(int.__repr__(value))
    elif isinstance(value, (Decimal, float)):
        if not _finite(value):
            raise ValueError(f"{value} cannot be written as a JSON number")
        out(str(value) if isinstance(value, Decimal) else float.__repr__(value))
    elif isinstance(value, Mapping):
        out("{")
        first = True
        for key, member in cast("Mapping[object, object]", value).items():
            if not isinstance(key, str):
                raise TypeError(f"object keys must be strings, got {type(key).__name__}")
            if not first:
                out(",")
            first = False
            out(_encode_string(key))
            out(":")
            _write(member, out)
        out("}")
    elif isinstance(value, (list, tuple)):
        out("[")
        for i, member in enumerate(cast("list[object] | tuple[object, ...]", value)):
            if i:
                out(",")
            _write(member, out)
        out("]")
    else:
        raise TypeError(f"{type(value).__name__} is not a JSON value")
