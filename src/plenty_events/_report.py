"""Wire paths, and the collector that every decoding step reports into."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Final

from ._errors import MAX_REPORTED, ErrorDetail, Repair, shorten

ROOT = "$"

_LONGEST_KEY = 64
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def key_path(parent: str, key: object) -> str:
    """Return the path of ``key`` inside the object at ``parent``.

    Keys that are not identifiers use bracket notation, and long ones are cut:
    a path names a place, it does not echo a hostile input.
    """
    if type(key) is str and len(key) <= _LONGEST_KEY and _IDENTIFIER.match(key):
        return f"{parent}.{key}"
    text = key if type(key) is str else _safe_repr(key)
    # ASCII escapes keep a lone surrogate in a hostile key printable.
    return f"{parent}[{json.dumps(shorten(text, _LONGEST_KEY), ensure_ascii=True)}]"


def _safe_repr(key: object) -> str:
    # A mapping passed to decode may hold any key: an int too long for
    # repr(), or an object whose __repr__ raises.
    try:
        return repr(key)
    except Exception:  # noqa: BLE001
        return f"<{type(key).__name__}>"


def index_path(parent: str, index: int) -> str:
    """Return the path of item ``index`` of the array at ``parent``."""
    return f"{parent}[{index}]"


def member_path(parent: str, key: str | int | None) -> str:
    """Return the path of a member: a key, an index, or (``None``) ``parent`` itself."""
    if key is None:
        return parent
    return index_path(parent, key) if type(key) is int else key_path(parent, key)


class Report:
    """Collects the errors and repairs of one decode.

    One instance lives for one call of ``decode``: nothing is global, so
    concurrent decodes never see each other's findings.
    """

    __slots__ = ("_errors", "_omitted_errors", "_omitted_repairs", "_repairs")

    def __init__(self) -> None:
        self._errors: list[ErrorDetail] = []
        self._repairs: list[Repair] = []
        self._omitted_errors = 0
        self._omitted_repairs = 0

    def __bool__(self) -> bool:
        """Tell whether any error was reported."""
        return bool(self._errors)

    def error_count(self) -> int:
        """Count the errors reported so far, listed or not."""
        return len(self._errors) + self._omitted_errors

    def error(self, path: str, code: str, message: str) -> None:
        """Record that the value at ``path`` breaks a rule."""
        if len(self._errors) < MAX_REPORTED:
            self._errors.append(ErrorDetail(path, code, message))
        else:
            self._omitted_errors += 1

    def repair(self, path: str, code: str, message: str) -> None:
        """Record that the value at ``path`` was repaired."""
        if len(self._repairs) < MAX_REPORTED:
            self._repairs.append(Repair(path, code, message))
        else:
            self._omitted_repairs += 1

    def errors(self) -> tuple[ErrorDetail, ...]:
        """Return the errors, with a last line counting those left out."""
        if self._omitted_errors:
            more = ErrorDetail(
                ROOT,
                "too_many_errors",
                f"{self._omitted_errors} more errors are not listed",
            )
            return (*self._errors, more)
        return tuple(self._errors)

    def repairs(self) -> tuple[Repair, ...]:
        """Return the repairs, with a last line counting those left out."""
        if self._omitted_repairs:
            more = Repair(
                ROOT,
                "too_many_repairs",
                f"{self._omitted_repairs} more repairs are not listed",
            )
            return (*self._repairs, more)
        return tuple(self._repairs)


def type_name(value: object) -> str:
    """Name the JSON type of ``value`` the way the wire format would.

    Only the exact types are named so: a subclass, such as an ``IntEnum``
    member where an integer belongs, is named by its Python class, for the
    rules refuse it (and ``expected an integer, got an integer`` would tell
    nothing). Any mapping is an object.
    """
    name = _TYPE_NAMES.get(type(value))
    if name is not None:
        return name
    return "an object" if isinstance(value, Mapping) else f"a Python {type(value).__name__}"


_TYPE_NAMES: Final[dict[type, str]] = {
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    Decimal: "a fraction",
    float: "a float",
    type(None): "null",
    dict: "an object",
    list: "an array",
}
