"""Bytes to JSON values, and JSON values to bytes.

This is the first and the last step of the data flow. Parsing yields plain
JSON values: ``dict`` (string keys), ``list``, ``str``, ``int``, ``Decimal``
for every number with a fraction or exponent (never a float), ``bool`` and
``None``. Everything a JSON parser can get wrong is decided here, once, for
both modes: encoding, byte order marks, ``NaN``, duplicate keys, lone
surrogates, depth.

msgspec parses where the colons prove that no key occurred twice
(``colons_explained``); the stdlib parser, which marks duplicate keys,
parses the rest and words what is wrong with a text that is not JSON.
"""

from __future__ import annotations

import decimal
import itertools
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Final, cast

import msgspec

from ._codegen import lazy_pattern
from ._report import ROOT, Report, index_path, key_path, type_name

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

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
DECIMAL_TEXT: Final = lazy_pattern(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")

_BOM: Final = "\ufeff"
_SURROGATE_ESCAPE: Final = lazy_pattern(r"\\u[dD][89a-fA-F]")
_SURROGATE: Final = lazy_pattern("[\ud800-\udfff]")
#: A bracket (group 1), or a string, which hides the brackets inside it. A
#: string that never closes runs to the end of the text, and the possessive
#: quantifiers never give back what they took: each character is read once,
#: so the scan is linear however the text ends. (A pattern that needs the
#: closing quote is retried from every quote in an unterminated string, and
#: reads the rest of the text each time.)
_BRACKET_OR_STRING: Final = lazy_pattern(r'"(?:[^"\\]++|\\[\s\S]?)*+"?|([\[\]{}])')
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
        return int(Decimal(literal, NUMBERS))


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

#: msgspec's encoder, which writes a parsed value again to count its colons.
_WRITER: Final = msgspec.json.Encoder()

#: What ``_without_duplicates`` returns for a text it leaves to the stdlib parser.
_DECLINED: Final = object()


def _without_duplicates(text: str | bytes) -> object:
    """Parse ``text`` with msgspec where that gives what the stdlib parser gives; else return _DECLINED.

    msgspec parses faster, but keeps the last of two equal keys silently:
    its value is taken where the colons prove that no key occurred twice.
    In a text without a backslash, ``colons_explained`` decides; in one
    with, where the objects hold as many keys as the text has colons, none
    of them is in a string and no key occurred twice. Anything msgspec
    refuses (invalid JSON, a lone surrogate, an integer of more than
    MAX_INT_DIGITS digits, or more than the process allows) is left to the
    stdlib parser, which says why. ``text`` is the body's UTF-8 bytes, or
    the str passed in.
    """
    count = colons(text)
    try:
        value = _UNTYPED.decode(text)
        once = colons_explained(value, text, count) or (_escaped(text) and _keys(value) == count)
    except (ValueError, ArithmeticError, RecursionError):
        # msgspec's DecodeError is a ValueError. RecursionError: a caller's
        # recursion limit below the depth, which is at most MAX_DEPTH here.
        return _DECLINED
    return value if once else _DECLINED


def colons_explained(value: object, text: str | bytes, colons: int) -> bool:
    r"""Tell whether the ``colons`` of JSON ``text`` without a backslash are all in ``value``, its parse.

    Then no key of ``text`` occurred twice. Each colon of JSON text ends a
    key or stands in a string. Written again, the value that msgspec parsed
    from the text (untyped, or into structs that keep every key and every
    string as it is) has a colon after each key it kept and each colon of
    its strings. A key that occurred twice left one member out of the
    value, with its colon: the value has fewer colons than the text. That
    needs every string of the text to read as it is written, as it does
    where no backslash starts an escape; a text with a backslash is never
    proved here (its ``\u003a`` is a colon only once parsed).

    >>> text = '{"name": "Plan: Pro"}'
    >>> colons_explained(_UNTYPED.decode(text), text, colons(text))
    True
    >>> text = '{"name": "Plan: Pro", "name": "Plan"}'
    >>> colons_explained(_UNTYPED.decode(text), text, colons(text))
    False
    """
    return not _escaped(text) and _WRITER.encode(value).count(b":") == colons


def _escaped(text: str | bytes) -> bool:
    """Tell whether JSON text holds a backslash: an escape, in a string."""
    return "\\" in text if isinstance(text, str) else b"\\" in text


def brackets(text: str | bytes) -> int:
    """Count the opening brackets of JSON text: at least its depth."""
    if isinstance(text, str):
        return text.count("[") + text.count("{")
    return text.count(b"[") + text.count(b"{")


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
    if brackets(text) > MAX_DEPTH and _depth(text) > MAX_DEPTH:
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
        # Each number is read under the library's own context (read_decimal,
        # _integer): the caller's may not trap an exponent that Decimal
        # cannot hold, and would let it through as NaN.
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


class ReadOnlyObject(Mapping[str, Any]):
    """A JSON object that cannot be changed: what lenient decoding keeps of a value it does not know.

    It reads like the ``dict`` it was parsed from, equals it, pickles, and
    hashes by its contents (its values are read-only too: arrays are
    ``ReadOnlyArray``), so an event that keeps one stays what it was decoded as.

    Example:
        >>> kept = ReadOnlyObject({"a": ReadOnlyArray((1,))})
        >>> kept["a"], kept == {"a": [1]}
        ((1,), True)

    """

    __slots__ = ("_items",)

    def __init__(self, items: dict[str, Any]) -> None:
        self._items = items

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(frozenset(self._items.items()))

    def __eq__(self, other: object) -> bool:
        return self._items == (other._items if isinstance(other, ReadOnlyObject) else other)

    def __repr__(self) -> str:
        # The values are the sender's: only the number of keys shows.
        return f"<read-only JSON object: {len(self._items)} keys>"

    def __reduce__(self) -> tuple[type[ReadOnlyObject], tuple[dict[str, Any]]]:
        return (ReadOnlyObject, (self._items,))


class ReadOnlyArray(tuple[Any, ...]):
    """A JSON array that cannot be changed: a tuple that also equals the ``list`` it was parsed from.

    Example:
        >>> ReadOnlyArray((1, 2)) == [1, 2]
        True

    """

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, list):
            other = tuple(cast("list[object]", other))
        return tuple[Any, ...].__eq__(self, other) is True

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return tuple[Any, ...].__hash__(self)


#: What _visit returns for a container whose walk it opened.
_OPENED: Final = object()


class _Check:
    """One walk of ``check``: a frame per open container, at most MAX_DEPTH + 1.

    Memory beyond the copy is bounded by the depth: a member's path is
    written only when something is reported at it, and no object is made
    per member but its copy.
    """

    __slots__ = ("floats", "frames", "keys", "path", "report")

    def __init__(self, path: str, report: Report, *, floats: bool) -> None:
        self.path = path
        self.report = report
        self.floats = floats
        # Each frame: the members still to read (key or index, value), the
        # copy so far, and whether the container is an object.
        self.frames: list[tuple[Iterator[tuple[Any, object]], Any, bool]] = []
        # The key or index of each open container but the first, in its parent.
        self.keys: list[object] = []

    def where(self, key: object = None, *, member: bool = True) -> str:
        """Return the path of member ``key`` of the innermost open container; of the container if not ``member``."""
        where = self.path
        # The container the step is in tells a key from an index.
        for (_, _, is_object), step in zip(self.frames, (*self.keys, key) if member else self.keys, strict=False):
            where = key_path(where, step) if is_object else index_path(where, cast("int", step))
        return where

    def run(self, value: object) -> object:
        copy = self.visit(value, None)
        while self.frames:
            members, out, is_object = self.frames[-1]
            for key, member in members:
                if is_object:
                    key = self.key(key, out)  # noqa: PLW2901 -- the key as the wire carries it
                    if key is None:
                        continue
                copy = self.visit(member, key)
                if copy is _OPENED:
                    self.keys.append(key)
                    break
                if is_object:
                    out[key] = copy
                else:
                    out.append(copy)
            else:
                self.frames.pop()
                copy = self.close(out, is_object=is_object)
                if not self.frames:
                    break
                key = self.keys.pop()
                parent = self.frames[-1]
                if parent[2]:
                    parent[1][key] = copy
                else:
                    parent[1].append(copy)
        return copy

    def key(self, key: object, out: dict[str, object]) -> str | None:
        """Check a key of an object; return it as a plain str, or None if its member is left out."""
        if not isinstance(key, str):
            self.report.error(self.where(key), "json_type", f"object keys must be strings, got {type_name(key)}")
            return None
        key = _plain_str(key)
        if key in out:  # two str subclass keys that hold the same text
            self.report.error(self.where(key), "duplicate_key", "the key occurs more than once in this object")
        if _SURROGATE.search(key):
            self.report.error(
                self.where(key), "string_unicode", "the key holds a lone surrogate, which UTF-8 cannot encode"
            )
        return key

    def close(self, out: Any, *, is_object: bool) -> object:
        if self.floats:
            return out
        return ReadOnlyObject(out) if is_object else ReadOnlyArray(out)

    def visit(self, item: object, key: object) -> object:
        """Return the plain copy of a scalar, or open a container's walk and return _OPENED."""
        if isinstance(item, str):
            if _SURROGATE.search(item):
                self.report.error(
                    self.where(key), "string_unicode", "the string holds a lone surrogate, which UTF-8 cannot encode"
                )
            return _plain_str(item)
        if item is None or isinstance(item, bool):
            return item
        if isinstance(item, int):
            return item if type(item) is int else int.__int__(item)
        if isinstance(item, (float, Decimal)):
            if not _finite(item):
                self.report.error(self.where(key), "json_invalid", "NaN and Infinity are not JSON numbers")
            elif isinstance(item, float) and not self.floats:
                self.report.repair(self.where(key), "number_from_float", "read a float by its shortest repr")
                item = Decimal(float.__repr__(item))
            return _plain_number(item)
        is_object = isinstance(item, Mapping)
        if not is_object and not isinstance(item, (list, tuple) if not self.floats else list):
            self.report.error(self.where(key), "json_type", f"{type_name(item)} is not a JSON value")
            return None
        if len(self.frames) >= MAX_DEPTH:
            self.report.error(self.where(key), "json_depth", f"the value nests deeper than {MAX_DEPTH} levels")
            return None
        if is_object:
            mapping = cast("Mapping[object, object]", item)
            for duplicate in duplicate_keys(cast("dict[str, object]", item)) if isinstance(item, dict) else ():
                self.report.error(
                    key_path(self.where(key), duplicate),
                    "duplicate_key",
                    "the key occurs more than once in this object",
                )
            self.frames.append((iter(mapping.items()), {}, True))
        else:
            self.frames.append((enumerate(cast("list[object]", item)), [], False))
        return _OPENED


def check(value: object, path: str, report: Report, *, floats: bool = True) -> JSONValue | object:
    """Check that ``value`` is a JSON value and return a plain copy of it.

    Used where values did not come from the parser (a mapping passed to
    ``decode``) and where a value is kept as it is (the resource of an
    unknown event type, the unknown keys lenient decoding keeps). Reports
    non-JSON types, non-string keys, non-finite numbers, lone surrogates,
    duplicate keys and nesting past ``MAX_DEPTH``, each at its path,
    and returns INVALID if any was found.

    A subclass of a JSON type (a ``str`` subclass, a ``StrEnum`` or
    ``IntEnum`` member, a ``list`` subclass) is copied as the plain value it
    holds, read without calling its methods, so that the rules, which test
    exact types, see what the wire would carry.

    With ``floats=False``, for a value kept raw, a float is replaced by the
    ``Decimal`` of its shortest repr (``0.1`` stays ``0.1``) and the repair
    reported, so that the value encodes and decodes to itself; and the copy
    is read-only all the way down: objects become ``ReadOnlyObject``,
    arrays ``ReadOnlyArray`` (a tuple is read as an array, since a kept value is checked
    again when it is decoded once more).

    The walk keeps its own stack, one frame per open container, so no input,
    however deep, reaches Python's recursion limit; beyond the copy it holds
    no object per member, so memory stays a constant factor of the value's.
    """
    errors_before = report.error_count()
    copy = _Check(path, report, floats=floats).run(value)
    return INVALID if report.error_count() > errors_before else copy


def thaw(value: object) -> object:
    """Return a value kept read-only as plain JSON values: objects as ``dict``, arrays as ``list``.

    Nesting is at most ``MAX_DEPTH`` levels, which the check that made
    the value enforced, so the recursion stays shallow.
    """
    if isinstance(value, ReadOnlyObject):
        return {key: thaw(member) for key, member in value.items()}
    if isinstance(value, tuple):
        return [thaw(member) for member in cast("tuple[object, ...]", value)]
    return value


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
    # A comparison, not math.isfinite, for a float: NaN compares false, and
    # the math module is an extension that no decode needs to load.
    return number.is_finite() if isinstance(number, Decimal) else abs(number) < _INFINITY


_INFINITY: Final = float("inf")


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
