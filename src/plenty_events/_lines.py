"""Decoding JSON Lines: one event, or one error, per line, in constant memory."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import (
    TYPE_CHECKING,
    Any,
    Final,
    Generic,
    Literal,
    NamedTuple,
    Protocol,
    TypeAlias,
    TypeVar,
    overload,
    runtime_checkable,
)

from ._api import decode
from ._errors import DecodeError, ErrorDetail

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ._model import ServicePurchaseEvent, UnknownEvent

#: The longest line ``decode_lines`` decodes by default, in bytes: 1 MiB,
#: the body limit the security page recommends to receivers. A documented
#: payload is under 1 KiB, and one with hundreds of items under 100 KiB.
MAX_LINE_BYTES: Final = 1 << 20

#: How much of an overlong line is read at a time while it is skipped.
_SKIP_CHUNK: Final = 1 << 16

#: JSON's whitespace: a line of nothing else is blank. (``str.isspace`` would
#: take more, such as a no-break space, which JSON does not allow.)
_WHITESPACE: Final = " \t\r\n"
_WHITESPACE_BYTES: Final = _WHITESPACE.encode()
_BINARY_WHITESPACE: Final = frozenset(_WHITESPACE_BYTES)
_LF: Final = ord("\n")
_CR: Final = ord("\r")

_Event_co = TypeVar("_Event_co", covariant=True)
_T = TypeVar("_T")

if TYPE_CHECKING:

    @overload
    def _new(cls: type[DecodedLine[Any]], values: tuple[int, _T, None], /) -> DecodedLine[_T]: ...
    @overload
    def _new(cls: type[RejectedLine], values: tuple[int, None, DecodeError], /) -> RejectedLine: ...
    def _new(cls: type[tuple[Any, ...]], values: tuple[Any, ...], /) -> tuple[Any, ...]: ...
else:
    # tuple.__new__ builds a named tuple without the Python-level __new__
    # that NamedTuple generates: one Python call less for every line.
    _new = tuple.__new__


class DecodedLine(NamedTuple, Generic[_Event_co]):
    """A line that decoded: its number, its event, and ``error``, always ``None``.

    One of the two kinds of [Line][plenty_events.Line]. Testing
    ``line.error is None`` tells the two apart, for the type checkers too.

    Attributes:
        number: The line's number in its input, counting from 1; blank lines
            are counted, though never yielded.
        event: The decoded event.
        error: Always ``None``.

    Examples:
        >>> import plenty_events
            >>> from plenty_events.testing import sample_payload, to_json
            >>> line = next(plenty_events.decode_lines(to_json(sample_payload())))
            >>> line.error is None, line.event.id
            (True, 'evt_553ea8a294e2d3a75d5086a06fb53f5a')
    """

    number: int
    event: _Event_co
    error: None


class RejectedLine(NamedTuple):
    """A line that was rejected: its number, ``event``, always ``None``, and its error.

    One of the two kinds of [Line][plenty_events.Line].

    Attributes:
        number: The line's number in its input, counting from 1.
        event: Always ``None``.
        error: The [DecodeError][plenty_events.DecodeError] that rejected the line.

    Examples:
        >>> import plenty_events
        >>> line = next(plenty_events.decode_lines(b'{"id": 1}'))
        >>> line.event is None, len(line.error.errors)
        (True, 3)
    """

    number: int
    event: None
    error: DecodeError


Line: TypeAlias = DecodedLine[_Event_co] | RejectedLine
"""The outcome of one line of JSON Lines: a decoded line or a rejected one.

A [DecodedLine][plenty_events.DecodedLine] or a
[RejectedLine][plenty_events.RejectedLine]: both are named tuples of ``(number, event, error)``, of which exactly one of
``event`` and ``error`` is ``None``. ``if line.error is None:`` narrows a
``Line`` to a ``DecodedLine`` under mypy and pyright, and a ``Line`` unpacks:
``for number, event, error in decode_lines(data)``.

Examples:
    >>> import plenty_events
    >>> for line in plenty_events.decode_lines(b'{"id": 1}'):
    ...     if line.error is None:
    ...         print(line.number, line.event.id)
    ...     else:
    ...         print(line.number, line.error.errors[0].code)
    1 missing
"""


@runtime_checkable
class LineFile(Protocol):
    """What [decode_lines][plenty_events.decode_lines] needs of a file: ``readline`` with a size bound."""

    def readline(self, size: int = -1, /) -> bytes | str:
        """Read one line, or at most ``size`` bytes (characters) of it."""
        ...


#: The inputs [decode_lines][plenty_events.decode_lines] takes.
LinesInput: TypeAlias = bytes | bytearray | memoryview | LineFile | Iterable[bytes] | Iterable[str]


@overload
def decode_lines(
    data: LinesInput, *, strict: Literal[True], max_bytes: int = MAX_LINE_BYTES
) -> Iterator[Line[ServicePurchaseEvent]]: ...
@overload
def decode_lines(
    data: LinesInput, *, strict: bool = False, max_bytes: int = MAX_LINE_BYTES
) -> Iterator[Line[ServicePurchaseEvent | UnknownEvent]]: ...
def decode_lines(
    data: LinesInput, *, strict: bool = False, max_bytes: int = MAX_LINE_BYTES
) -> Iterator[Line[ServicePurchaseEvent | UnknownEvent]]:
    r"""Decode JSON Lines lazily: one [Line][plenty_events.Line] per non-blank line, in order.

    Each line goes through [decode][plenty_events.decode], so it gets exactly the event or
    the errors that ``decode`` gives that line alone. A rejected line does
    not stop the others: its ``DecodeError`` is yielded, not raised. Only
    one line is held at a time, so a file of any size decodes in constant
    memory as long as the caller does not keep the events.

    Args:
        data: The JSON Lines text: ``bytes`` (or ``bytearray``,
            ``memoryview``); a file object, binary (best) or text, such as
            ``open(path, "rb")`` or ``gzip.open(path)``, read with
            ``readline(size)``; or an iterable of lines (``bytes`` or
            ``str``, each one line, with or without its line ending), such
            as a partition of a distributed engine.
        strict: As for [decode][plenty_events.decode].
        max_bytes: The longest line decoded, in UTF-8 bytes without its
            line ending (1 MiB by default). A longer line is rejected with
            the error code ``payload_too_long``, and a file is read past it in
            chunks, so a hostile file without newlines cannot exhaust
            memory. An iterable has built its lines already: for it, the
            bound only rejects.

    Yields:
        Each non-blank line as ``DecodedLine(number, event, None)`` or
            ``RejectedLine(number, None, error)``. A blank line (empty, or
            only JSON whitespace, that is space, tab, CR and LF) is counted,
            never yielded; line endings are ``\n`` or ``\r\n``.

    Raises:
        TypeError: ``data`` is a ``str``, which would be read as an iterable
            of one-character lines; pass ``data.encode()``, or
            ``data.splitlines()``, or a file.
        ValueError: ``max_bytes`` is less than 1.

    Examples:
        >>> import plenty_events
        >>> from plenty_events.testing import sample_payload, to_json
        >>> data = to_json(sample_payload()) + b"\n\n" + b'{"id": 1}\n'
        >>> for line in plenty_events.decode_lines(data):
        ...     if line.error is None:
        ...         print(line.number, line.event.id)
        ...     else:
        ...         print(line.number, "invalid:", len(line.error.errors), "errors")
        1 evt_553ea8a294e2d3a75d5086a06fb53f5a
        3 invalid: 3 errors
    """
    if isinstance(data, str):
        # Iterating a str gives characters, each decoded as a line of its own.
        raise TypeError(
            "decode_lines() takes bytes, a file or an iterable of lines, not a str: "
            "pass text.encode(), or text.splitlines()"
        )
    if max_bytes < 1:
        raise ValueError("max_bytes must be at least 1")
    if isinstance(data, (bytes, bytearray, memoryview)):
        # A BytesIO over bytes shares their buffer: its C readline splits
        # them without a copy, and bytes take the road of files.
        return _from_file(io.BytesIO(data), strict=strict, max_bytes=max_bytes)
    if isinstance(data, LineFile):
        return _from_file(data, strict=strict, max_bytes=max_bytes)
    return _from_lines(data, strict=strict, max_bytes=max_bytes)


def too_long(max_bytes: int) -> DecodeError:
    """The error of a payload longer than ``max_bytes``."""
    return DecodeError([ErrorDetail("$", "payload_too_long", f"the payload is longer than {max_bytes:,} bytes")])


def _from_file(file: LineFile, *, strict: bool, max_bytes: int) -> Iterator[Line[ServicePurchaseEvent | UnknownEvent]]:
    # One generator, with the per-line work inline: at 100,000 lines each
    # layer or call costs as much as a few percent of the decoding.
    readline, limit, number = file.readline, max_bytes + 2, 0  # room for "\r\n"
    while line := readline(limit):
        number += 1
        if len(line) == limit and not _ends(line):
            # Skip the rest of the line a chunk at a time: a file without
            # newlines must not be read into memory whole.
            while (rest := readline(_SKIP_CHUNK)) and not _ends(rest):
                pass
            yield _new(RejectedLine, (number, None, too_long(max_bytes)))
        elif (result := _decode(number, line, strict, max_bytes)) is not None:
            yield result


def _from_lines(
    lines: Iterable[bytes | str], *, strict: bool, max_bytes: int
) -> Iterator[Line[ServicePurchaseEvent | UnknownEvent]]:
    for number, line in enumerate(lines, start=1):
        if (result := _decode(number, line, strict, max_bytes)) is not None:
            yield result


def _ends(line: bytes | str) -> bool:
    return line.endswith("\n") if isinstance(line, str) else line.endswith(b"\n")


def _decode(
    number: int, line: bytes | str, strict: bool, max_bytes: int
) -> DecodedLine[ServicePurchaseEvent | UnknownEvent] | RejectedLine | None:
    """The outcome of one line with or without its ending; ``None`` for a blank line."""
    content: bytes | str
    if isinstance(line, str):
        if line[:1] in _WHITESPACE and not line.strip(_WHITESPACE):
            return None
        content = line.removesuffix("\n").removesuffix("\r")
        size = len(content)
        # A code point takes at most four bytes: most lines need no encoding to be measured.
        if size * 4 > max_bytes:
            size = len(content.encode("utf-8", "surrogatepass"))
    else:
        # Indexing and slicing rather than "in" and removesuffix: at 100,000
        # lines the difference is a few percent of the whole decode.
        if (not line or line[0] in _BINARY_WHITESPACE) and not line.strip(_WHITESPACE_BYTES):
            return None
        content = line[:-1] if line[-1] == _LF else line
        if content and content[-1] == _CR:
            content = content[:-1]
        size = len(content)
    if size > max_bytes:
        return _new(RejectedLine, (number, None, too_long(max_bytes)))
    try:
        return _new(DecodedLine, (number, decode(content, strict=strict), None))
    except DecodeError as exc:
        return _new(RejectedLine, (number, None, exc))
