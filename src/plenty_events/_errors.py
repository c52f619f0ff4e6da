"""What decoding reports: the errors that reject a payload and the repairs that don't."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from collections.abc import Iterable

#: At most this many errors or repairs are kept for one payload; a hostile body
#: with 50,000 bad keys must not make a 50,000-line log entry.
MAX_REPORTED = 100

#: The longest path of an error or repair, in characters. A longer one keeps
#: its start and its end, with an ellipsis between.
MAX_PATH_LENGTH = 200

#: The longest message of an error or repair, in characters.
MAX_MESSAGE_LENGTH = 200

#: The listed errors of one payload, and its listed repairs, add up to at
#: most this many characters of their ``str()``; those that would not fit are
#: counted in the last entry, as those past ``MAX_REPORTED`` are. So a
#: ``DecodeError`` renders in about 10 KB, whatever the body.
MAX_REPORT_LENGTH = 10_000


@attrs.frozen
class _Finding:
    """What decoding found at one place: its path, a stable code, and a sentence."""

    path: str
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        """Return `{"path": ..., "code": ..., "message": ...}`, ready for JSON."""
        return {"path": self.path, "code": self.code, "message": self.message}

    def __str__(self) -> str:
        return f"{self.path}: {self.message} [{self.code}]"


class ErrorDetail(_Finding):
    """One reason a payload was rejected.

    `str(error)` is a compact one-line form, `path: message [code]`.

    Attributes:
        path: Where, as a JSONPath rooted at `$` with the wire keys, such as
            `$.resource.order.orderItems[0].quantity`.
        code: A stable, machine-readable code such as `int_type`; the
            [errors page](errors.md) lists every code.
        message: One sentence for humans. It never repeats a personal value.
    """

    # No attrs decorator: with no field of its own, the class is served by
    # _Finding's generated methods, which read the class of the object they
    # are given; its own would cost a compile() at every import.
    __slots__ = ()


class Repair(_Finding):
    """One change lenient decoding made to accept a payload.

    `str(repair)` is a compact one-line form, `path: message [code]`, so a
    receiver can log all repairs of an event with
    `"; ".join(map(str, event.repairs))`.

    Attributes:
        path: Where, as a JSONPath rooted at `$` with the wire keys.
        code: A stable, machine-readable code such as `int_from_string`; the
            [errors page](errors.md) lists every code.
        message: What was done, in one sentence without personal values.
    """

    # No attrs decorator: with no field of its own, the class is served by
    # _Finding's generated methods, which read the class of the object they
    # are given; its own would cost a compile() at every import.
    __slots__ = ()


class DecodeError(ValueError):
    """A payload broke the rules of the mode it was decoded in.

    A `ValueError`, and the only exception that
    [decode][plenty_events.decode] raises. `str(exc)` lists the errors one
    per line.

    What `decode` raises is bounded, however large or broken the body: at
    most 100 errors, of at most 10,000 characters together, then one entry
    counting the rest; each path at most 200 characters, each message at
    most 200. `str(exc)` stays under 11,000 characters; `repr(exc)`,
    `to_dict()` and `to_json()` under 25,000.

    Attributes:
        errors: Every violation found, not only the first, each an
            [ErrorDetail][plenty_events.ErrorDetail] with the wire path it was
            found at. At most 100 are listed; past that, a last
            `too_many_errors` entry at `$` says how many more there were.

    Examples:
        >>> import plenty_events
        >>> try:
        ...     plenty_events.decode(b'{"id": 1, "type": "SERVICE.PLUGIN.PURCHASE"}', strict=True)
        ... except plenty_events.DecodeError as exc:
        ...     print(exc.errors[0])
        $.id: expected a string, got an integer [string_type]
    """

    errors: tuple[ErrorDetail, ...]

    def __init__(self, errors: Iterable[ErrorDetail]) -> None:
        self.errors = tuple(errors)
        if not self.errors:
            raise ValueError("a DecodeError needs at least one error")
        super().__init__(self.errors)

    def __str__(self) -> str:
        count = len(self.errors)
        head = "1 error" if count == 1 else f"{count} errors"
        lines = "".join(f"\n  {error}" for error in self.errors)
        return f"invalid payload, {head}:{lines}"

    def __reduce__(self) -> tuple[type[DecodeError], tuple[tuple[ErrorDetail, ...]]]:
        return (type(self), (self.errors,))

    def to_dict(self) -> dict[str, object]:
        """Return the errors as a JSON-ready body for an HTTP 400 or 422 answer.

        Examples:
            >>> import plenty_events
            >>> try:
            ...     plenty_events.decode(b"[]")
            ... except plenty_events.DecodeError as exc:
            ...     exc.to_dict()
            {'errors': [{'path': '$', 'code': 'object_type', 'message': 'expected an object, got an array'}]}
        """
        return {"errors": [error.to_dict() for error in self.errors]}

    def to_json(self) -> str:
        """Return [to_dict][plenty_events.DecodeError.to_dict] as compact JSON text."""
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))


def shorten(text: str, limit: int = 40) -> str:
    """Cut ``text`` to about ``limit`` characters for a message or a path."""
    if len(text) <= limit:
        return text
    return f"{text[: limit - 1]}…"
