"""Wire paths, and the collector that every decoding step reports into."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Final

from ._errors import MAX_MESSAGE_LENGTH, MAX_PATH_LENGTH, MAX_REPORT_LENGTH, MAX_REPORTED, ErrorDetail, Repair, shorten
from ._privacy import masked

ROOT = "$"

#: A key shows in a path as it is when it is an identifier of at most this
#: many characters, as every key of the wire format is (the longest,
#: ``payPalTransactionId``, has 19). Such key names are the format's
#: vocabulary, not personal data; any other key is shown as a masked hint.
MAX_KEY_LENGTH: Final = 32

#: How much of a path longer than MAX_PATH_LENGTH is kept from its start;
#: the rest of the budget goes to its end, which names the value.
_PATH_HEAD: Final = 60
_PATH_TAIL: Final = MAX_PATH_LENGTH - _PATH_HEAD - 1


def bounded_path(path: str) -> str:
    """Cut a path longer than MAX_PATH_LENGTH to its start and end, with ``…`` between.

    Cutting a path and then extending it and cutting it again gives the same
    path as cutting the whole: a path can be built step by step and stays
    short at every step.
    """
    if len(path) <= MAX_PATH_LENGTH:
        return path
    return f"{path[:_PATH_HEAD]}…{path[-_PATH_TAIL:]}"


def key_path(parent: str, key: object) -> str:
    """Return the path of ``key`` inside the object at ``parent``.

    A key that is an identifier of at most MAX_KEY_LENGTH characters is
    written ``.key``. Any other key may be a value the sender put there, a
    name or an email address: it is written in brackets as its masked hint,
    its first character and ``***``, as a JSON string with ASCII escapes
    (``["m***"]`` for ``"my key"``). A path names a place; it does not echo
    a hostile or personal input.
    """
    # An ASCII identifier is [A-Za-z_][A-Za-z0-9_]*.
    if type(key) is str and len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isidentifier():
        path = f"{parent}.{key}"
        return path if len(path) <= MAX_PATH_LENGTH else bounded_path(path)
    text = key if type(key) is str else _safe_repr(key)
    # ASCII escapes keep a lone surrogate in a hostile key printable.
    return bounded_path(f"{parent}[{json.dumps(masked(text), ensure_ascii=True)}]")


def _safe_repr(key: object) -> str:
    # A mapping passed to decode may hold any key: an int too long for
    # repr(), or an object whose __repr__ raises.
    try:
        return repr(key)
    except Exception:  # noqa: BLE001
        return f"<{type(key).__name__}>"


def index_path(parent: str, index: int) -> str:
    """Return the path of item ``index`` of the array at ``parent``."""
    return bounded_path(f"{parent}[{index}]")


def member_path(parent: str, key: str | int | None) -> str:
    """Return the path of a member: a key, an index, or (``None``) ``parent`` itself."""
    if key is None:
        return parent
    return index_path(parent, key) if type(key) is int else key_path(parent, key)


def _size(path: str, code: str, message: str) -> int:
    """The length of the finding's ``str()``: ``path: message [code]``."""
    return len(path) + len(code) + len(message) + 5


class Report:
    """Collects the errors and repairs of one decode.

    One instance lives for one call of ``decode``: nothing is global, so
    concurrent decodes never see each other's findings.

    Each path is cut to MAX_PATH_LENGTH and each message to
    MAX_MESSAGE_LENGTH. The first findings are listed, up to MAX_REPORTED
    of them and MAX_REPORT_LENGTH characters together; from the first that
    does not fit on, findings are only counted.
    """

    __slots__ = (
        "_error_length",
        "_errors",
        "_omitted_errors",
        "_omitted_repairs",
        "_repair_length",
        "_repairs",
        "failed",
    )

    def __init__(self) -> None:
        #: Whether any error was reported, listed or not: what ``bool()`` says,
        #: read where a method call per object would count.
        self.failed = False
        self._errors: list[ErrorDetail] = []
        self._repairs: list[Repair] = []
        self._omitted_errors = 0
        self._omitted_repairs = 0
        self._error_length = 0
        self._repair_length = 0

    def __bool__(self) -> bool:
        """Tell whether any error was reported, listed or not."""
        return self.failed

    def error_count(self) -> int:
        """Count the errors reported so far, listed or not."""
        return len(self._errors) + self._omitted_errors

    def error(self, path: str, code: str, message: str) -> None:
        """Record that the value at ``path`` breaks a rule."""
        self.failed = True
        path, message = bounded_path(path), shorten(message, MAX_MESSAGE_LENGTH)
        size = _size(path, code, message)
        if (
            not self._omitted_errors
            and len(self._errors) < MAX_REPORTED
            and self._error_length + size <= MAX_REPORT_LENGTH
        ):
            self._errors.append(ErrorDetail(path, code, message))
            self._error_length += size
        else:
            self._omitted_errors += 1

    def repair(self, path: str, code: str, message: str) -> None:
        """Record that the value at ``path`` was repaired."""
        path, message = bounded_path(path), shorten(message, MAX_MESSAGE_LENGTH)
        size = _size(path, code, message)
        if (
            not self._omitted_repairs
            and len(self._repairs) < MAX_REPORTED
            and self._repair_length + size <= MAX_REPORT_LENGTH
        ):
            self._repairs.append(Repair(path, code, message))
            self._repair_length += size
        else:
            self._omitted_repairs += 1

    def errors(self) -> tuple[ErrorDetail, ...]:
        """Return the errors, with a last line counting those left out."""
        if self._omitted_errors:
            more = ErrorDetail(
                ROOT,
                "too_many_errors",
                _more(self._omitted_errors, "error"),
            )
            return (*self._errors, more)
        return tuple(self._errors)

    def repairs(self) -> tuple[Repair, ...]:
        """Return the repairs, with a last line counting those left out."""
        if self._omitted_repairs:
            more = Repair(
                ROOT,
                "too_many_repairs",
                _more(self._omitted_repairs, "repair"),
            )
            return (*self._repairs, more)
        return tuple(self._repairs)


def _more(count: int, noun: str) -> str:
    """The message of the finding that counts those not listed: ``1 more error is not listed``."""
    return f"1 more {noun} is not listed" if count == 1 else f"{count} more {noun}s are not listed"


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
