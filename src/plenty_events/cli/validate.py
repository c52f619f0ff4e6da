"""``plenty-events validate`` and ``plenty-events schema``.

``validate`` streams: files and standard input are read a line at a time,
so an archive of any size is checked in constant memory. Whether a file is
JSON Lines or one JSON document is decided by a flag or by its extension,
never by looking at its content.

Output never shows a personal value in full: a valid payload is summarised by
its id, type, contact id with masked name, and total gross; an invalid one by
the paths and reasons of its errors. Text output escapes control characters
in every value a sender or a file system controls, so that no id, type or
file name can forge a line or move the cursor.

``plenty-events schema`` lives here too: both are about the wire format.
"""

from __future__ import annotations

import argparse
import contextlib
import decimal
import gzip
import json
import os
import re
import stat
import time
import zlib
from collections import Counter
from typing import TYPE_CHECKING, Final, Protocol, TextIO

import attrs

from plenty_events import (
    DecodedLine,
    DecodeError,
    EventType,
    Line,
    RejectedLine,
    ServicePurchaseEvent,
    decode,
    decode_lines,
    json_schema,
)
from plenty_events._lines import MAX_LINE_BYTES, too_long
from plenty_events._privacy import masked, type_hint

from ._app import EXIT_INVALID, EXIT_USAGE, EXIT_VALID, Command, Streams, UsageError, clean, display

if TYPE_CHECKING:
    from collections.abc import Generator, Iterable, Iterator, Sequence

    from plenty_events import ErrorDetail, Repair, UnknownEvent

    Event = ServicePurchaseEvent | UnknownEvent

#: The extensions of the files a directory is walked for, and what they hold.
JSON_LINES_SUFFIXES: Final = (".jsonl", ".ndjson")
JSON_SUFFIXES: Final = (".json",)
GZIP_SUFFIX: Final = ".gz"

#: At most this many distinct paths are counted per summary; past that, a
#: path is counted as "other paths", so that a hostile archive with a million
#: distinct unknown keys cannot grow the summary without bound.
MAX_SUMMARY_PATHS: Final = 1000

#: The total gross of an event is summed with 34 significant digits (IEEE
#: decimal128), exact for every strictly valid payload. A lenient price such
#: as ``1e-999999999`` is rounded, and flagged, instead of taking a billion digits.
_TOTAL: Final = decimal.Context(prec=34, rounding=decimal.ROUND_HALF_EVEN, traps=[])


# -- sources ------------------------------------------------------------------


@attrs.frozen
class _Source:
    """One input: a file, or standard input for ``-``."""

    path: str
    name: str
    lines: bool
    size: int


def _is_json_lines(path: str, args: argparse.Namespace) -> bool:
    if args.jsonl or args.json:
        return bool(args.jsonl)
    # Neither .jsonl nor .json (stdin, .txt, ...): JSON Lines, whose one-line
    # file is one compact payload.
    return not path.lower().removesuffix(GZIP_SUFFIX).endswith(JSON_SUFFIXES)


def _walked(path: str) -> bool:
    return path.lower().removesuffix(GZIP_SUFFIX).endswith(JSON_SUFFIXES + JSON_LINES_SUFFIXES)


def _sources(args: argparse.Namespace, failures: list[tuple[str, str]]) -> list[_Source]:
    """The inputs in order: files as given, directories walked; a directory that fails goes in ``failures``."""
    sources: list[_Source] = []
    for path in args.files:
        if path != "-" and os.path.isdir(path):  # noqa: PTH112 -- paths stay strings, as given
            sources += _walk(path, args, failures)
        else:
            sources.append(_source(path, args))
    return sources


def _walk(top: str, args: argparse.Namespace, failures: list[tuple[str, str]]) -> Iterator[_Source]:
    def failed(exc: OSError) -> None:
        failures.append((display(exc.filename or top), _reason(exc)))

    for directory, subdirectories, files in os.walk(top, onerror=failed):
        subdirectories.sort()
        for file in sorted(files):
            if not _walked(file):
                continue
            path = os.path.join(directory, file)  # noqa: PTH118 -- strings, as walked
            if _special(path):
                # A FIFO blocks its reader, /dev/zero never ends: a walk reads regular files only.
                failures.append((display(path), "not a regular file"))
            else:
                yield _source(path, args)


def _special(path: str) -> bool:
    """Whether `path` (its target, for a symlink) exists and is not a regular file."""
    try:
        mode = os.stat(path).st_mode  # noqa: PTH116 -- paths stay strings, as walked
    except OSError:  # reported when it is opened
        return False
    return not stat.S_ISREG(mode)


def _source(path: str, args: argparse.Namespace) -> _Source:
    size = 0
    if path != "-":
        with contextlib.suppress(OSError):  # reported when it is opened
            size = os.stat(path).st_size  # noqa: PTH116 -- paths stay strings, as given
    return _Source(path, "-" if path == "-" else display(path), _is_json_lines(path, args), size)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, (EOFError, zlib.error, gzip.BadGzipFile)):
        return "not a complete gzip file"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return type(exc).__name__


class _Readable(Protocol):
    def readline(self, size: int = -1, /) -> bytes: ...
    def read(self, size: int = -1, /) -> bytes: ...


class _Positioned(Protocol):
    def tell(self) -> int: ...


@attrs.frozen
class _ReadFailure:
    """A file that could not be read (to the end): why, in a few words."""

    reason: str


@contextlib.contextmanager
def _opened(source: _Source, stdin: TextIO) -> Generator[tuple[_Readable, _Positioned]]:
    """The file to read, and the raw file under it whose position tells the progress."""
    if source.path == "-":
        yield stdin.buffer, stdin
        return
    with open(source.path, "rb") as raw:  # noqa: PTH123 -- a path from the command line
        if source.path.lower().endswith(GZIP_SUFFIX):
            with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                yield unzipped, raw
        else:
            yield raw, raw


def _payloads(
    source: _Source, args: argparse.Namespace, stdin: TextIO, progress: _Progress
) -> Iterator[Line[Event] | _ReadFailure]:
    """The source's payloads; a read failure comes last, after what could be read."""
    try:
        with _opened(source, stdin) as (file, raw):
            progress.start(source, raw)
            if source.lines:
                yield from decode_lines(file, strict=args.strict, max_bytes=args.max_bytes)
            else:
                yield _document(file, args)
    except (OSError, EOFError, zlib.error) as exc:
        yield _ReadFailure(_reason(exc))
    finally:
        progress.finish(source)


def _document(file: _Readable, args: argparse.Namespace) -> Line[Event]:
    data = file.read(args.max_bytes + 1)
    if len(data) > args.max_bytes:
        return RejectedLine(1, None, too_long(args.max_bytes))
    try:
        return DecodedLine(1, decode(data, strict=args.strict), None)
    except DecodeError as exc:
        return RejectedLine(1, None, exc)


# -- progress -----------------------------------------------------------------


class _Progress:
    """A one-line progress display on standard error, redrawn at most ten times a second."""

    interval: Final = 0.1

    def __init__(self, stderr: TextIO | None, files: int) -> None:
        self._stderr = stderr
        self._files = files
        self._index = 0  # the number of the file being read, from 1
        self._size = 0  # its size on disk; 0 for standard input
        self._done = 0  # bytes of the files finished
        self._raw: _Positioned | None = None
        self._name = ""
        self._started = time.monotonic()
        self._next = self._started + self.interval  # a run that ends sooner shows nothing
        self._payloads = 0
        self.shown = False

    @property
    def active(self) -> bool:
        return self._stderr is not None

    def start(self, source: _Source, raw: _Positioned) -> None:
        self._raw = None if source.path == "-" else raw
        self._name = source.name
        self._size = source.size
        self._index += 1

    def finish(self, source: _Source) -> None:
        self._done += source.size
        self._raw = None

    def _position(self) -> int:
        try:
            return self._raw.tell() if self._raw is not None else 0
        except OSError:  # not seekable, such as a named pipe
            return 0

    def tick(self, payloads: int) -> None:
        """Count the payloads seen; redraw when it is time."""
        self._payloads = payloads
        now = time.monotonic()
        if now < self._next or self._stderr is None:
            return
        self._next = now + self.interval
        position = self._position()
        done = self._done + position
        rate = payloads / max(now - self._started, 1e-9)
        # The share of the file being read, of its size on disk: a gzipped
        # file's raw position moves through the compressed bytes, so its
        # share is right too, and a file after others starts at 0 %.
        share = f" {min(position / self._size, 1):4.0%}" if self._size else ""
        which = f" [{self._index:,}/{self._files:,}]" if self._files > 1 else ""
        name = self._name if len(self._name) <= 40 else f"…{self._name[-39:]}"  # the end tells the file
        line = f"{name}{which}{share} {done / 1e6:,.0f} MB, {_count(payloads, 'payload')}, {rate:,.0f}/s"
        self._stderr.write(f"\r\x1b[K{line}")
        self._stderr.flush()
        self.shown = True

    def clear(self) -> None:
        """Erase the line, before other output or at the end."""
        if self.shown and self._stderr is not None:
            self._stderr.write("\r\x1b[K")
            self._stderr.flush()
            self.shown = False


def _progress(args: argparse.Namespace, streams: Streams, sources: Sequence[_Source]) -> _Progress:
    show = args.progress
    if show is None:
        isatty = getattr(streams.stderr, "isatty", None)
        show = bool(isatty and isatty())
    return _Progress(streams.stderr if show else None, len(sources))


# -- summary ------------------------------------------------------------------


_INDEX: Final = re.compile(r"\[\d+\]")


class _Tally:
    """Payloads with each code, and with each code at each path (indices as ``[*]``)."""

    def __init__(self) -> None:
        self.codes: Counter[str] = Counter()
        self.paths: dict[str, Counter[str]] = {}
        self.other: Counter[str] = Counter()
        self._distinct = 0

    def add(self, findings: Iterable[ErrorDetail | Repair]) -> None:
        seen = {(finding.code, _INDEX.sub("[*]", finding.path)) for finding in findings}
        self.codes.update({code for code, _ in seen})
        for code, path in seen:
            paths = self.paths.setdefault(code, Counter())
            if path in paths or self._distinct < MAX_SUMMARY_PATHS:
                self._distinct += path not in paths
                paths[path] += 1
            else:
                self.other[code] += 1

    def to_dict(self) -> dict[str, object]:
        result: dict[str, object] = {}
        for code, count in sorted(self.codes.items()):
            paths = dict(sorted(self.paths[code].items()))
            result[code] = {"payloads": count, "paths": paths, "otherPaths": self.other[code]}
        return result

    def lines(self, payloads: int) -> Iterator[str]:
        for code, count in sorted(self.codes.items(), key=lambda item: (-item[1], item[0])):
            yield f"  {code}: {count:,} ({_share(count, payloads)})"
            for path, times in sorted(self.paths[code].items(), key=lambda item: (-item[1], item[0])):
                yield f"    {clean(path)}: {times:,}"
            if self.other[code]:
                yield f"    other paths: {self.other[code]:,}"


def _count(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _share(count: int, total: int) -> str:
    return f"{count / total:.1%}"  # a code was counted, so a payload was


class _Types:
    """Valid payloads of each event type; past MAX_SUMMARY_PATHS distinct types, counted as other types."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.other = 0

    def add(self, kind: str) -> None:
        if kind in self.counts or len(self.counts) < MAX_SUMMARY_PATHS:
            self.counts[kind] += 1
        else:
            self.other += 1

    def lines(self, payloads: int) -> Iterator[str]:
        for kind, count in sorted(self.counts.items(), key=lambda item: (-item[1], item[0])):
            yield f"  {clean(kind)}: {count:,} ({_share(count, payloads)})"
        if self.other:
            yield f"  other types: {self.other:,}"


class _Summary:
    def __init__(self) -> None:
        self.types = _Types()
        self.files = 0
        self.unreadable = 0
        self.valid = 0
        self.repaired = 0
        self.invalid = 0
        self.errors = _Tally()
        self.repairs = _Tally()

    @property
    def payloads(self) -> int:
        return self.valid + self.invalid

    def to_dict(self) -> dict[str, object]:
        return {
            "files": self.files,
            "unreadable": self.unreadable,
            "payloads": self.payloads,
            "valid": self.valid,
            "repaired": self.repaired,
            "invalid": self.invalid,
            "types": dict(sorted(self.types.counts.items())),
            "otherTypes": self.types.other,
            "errors": self.errors.to_dict(),
            "repairs": self.repairs.to_dict(),
        }

    def text(self) -> str:
        files = _count(self.files, "file")
        if self.unreadable:
            files += f" ({self.unreadable:,} unreadable)"
        counts = f"{self.valid:,} valid ({self.repaired:,} repaired), {self.invalid:,} invalid"
        lines = [f"summary: {files}, {_count(self.payloads, 'payload')}: {counts}"]
        # Only a type without a model is news: a run of purchases only is
        # not told that it holds purchases.
        if self.types.other or set(self.types.counts) - set(EventType):
            lines += ["types (valid payloads of each event type):", *self.types.lines(self.payloads)]
        if self.errors.codes:
            lines += ["errors (payloads with each code):", *self.errors.lines(self.payloads)]
        if self.repairs.codes:
            lines += ["repairs (payloads with each code):", *self.repairs.lines(self.payloads)]
        return "\n".join(lines)


# -- one payload's result -----------------------------------------------------


def _total_gross(event: ServicePurchaseEvent) -> tuple[decimal.Decimal, bool]:
    """The sum of the gross prices, and whether it is exact."""
    with decimal.localcontext(_TOTAL) as context:
        total = sum((item.price_gross for item in event.resource.order.order_items), decimal.Decimal(0))
        return total, not context.flags[decimal.Inexact]


def _purchase(event: ServicePurchaseEvent) -> tuple[int, str, decimal.Decimal, bool]:
    """The contact id, the masked customer name, the total gross, and whether it is exact."""
    contact = event.resource.contact
    total, exact = _total_gross(event)
    return contact.id, f"{masked(contact.first_name)} {masked(contact.last_name)}".strip(), total, exact


def _kind(event: Event) -> str:
    """The event's type as output shows it: an unknown one is sender text, shown as the repr shows it."""
    return str(event.type) if isinstance(event, ServicePurchaseEvent) else type_hint(event.type)


def _describe(finding: ErrorDetail | Repair) -> str:
    return f"{clean(finding.path)}: {clean(finding.message)} [{clean(finding.code)}]"


class _Output:
    """Writes results in the chosen format, as much of them as asked for."""

    def __init__(self, args: argparse.Namespace, out: TextIO, progress: _Progress) -> None:
        self._json = args.format == "json"
        self._out = out
        self._progress = progress
        self.valid = not (args.errors_only or args.quiet)
        self.invalid = not args.quiet

    def _write(self, text: str) -> None:
        self._progress.clear()
        self._out.write(text + "\n")

    def _write_json(self, result: dict[str, object]) -> None:
        # ASCII: no control character, and no lone surrogate that a strict
        # UTF-8 stdout could not encode.
        self._write(json.dumps(result, ensure_ascii=True))

    def unreadable(self, name: str, reason: str) -> None:
        if self._json:
            self._write_json({"file": name, "error": f"cannot read: {reason}"})
        else:
            self._write(f"{name}: cannot read: {reason}")

    def event(self, name: str, number: int, event: Event) -> None:
        kind = _kind(event)
        purchase = _purchase(event) if isinstance(event, ServicePurchaseEvent) else None
        if self._json:
            result: dict[str, object] = {"file": name, "line": number, "valid": True, "id": event.id, "type": kind}
            if purchase is not None:
                contact_id, customer, total, exact = purchase
                result["customer"] = {"contactId": contact_id, "name": customer}
                result |= {"totalGross": str(total), "totalGrossExact": exact}
            result["repairs"] = [repair.to_dict() for repair in event.repairs]
            self._write_json(result)
            return
        line = f"{name}:{number}: valid {clean(event.id)} {clean(kind)}, "
        if purchase is not None:
            contact_id, customer, total, exact = purchase
            line += f"customer #{contact_id} {clean(customer)}".rstrip()
            line += f", total gross {'' if exact else '~'}{total}"
        else:
            line += "no model for this type, kept raw"
        if event.repairs:
            line += "\n  repaired: " + "; ".join(map(_describe, event.repairs))
        self._write(line)

    def error(self, name: str, number: int, error: DecodeError) -> None:
        if self._json:
            errors = [detail.to_dict() for detail in error.errors]
            self._write_json({"file": name, "line": number, "valid": False, "errors": errors})
            return
        head = f"{name}:{number}: invalid, {_count(len(error.errors), 'error')}"
        self._write("\n".join([head, *(f"  {_describe(detail)}" for detail in error.errors)]))

    def summary(self, summary: _Summary) -> None:
        if self._json:
            self._write_json({"summary": summary.to_dict()})
        else:
            self._write(summary.text())


# -- validate -----------------------------------------------------------------


#: A JSON Lines input of at least this many lines, none of them JSON, looks
#: like one JSON document spread over lines: the run ends with a hint.
_HINT_LINES: Final = 2


class _Run:
    """One run of ``validate``: what it reads, what it writes, what it counted."""

    def __init__(self, args: argparse.Namespace, streams: Streams) -> None:
        self.args = args
        self.stdin = streams.stdin
        self.stderr = streams.stderr
        self.failures: list[tuple[str, str]] = []
        self.sources = _sources(args, self.failures)
        self.progress = _progress(args, streams, self.sources)
        self.output = _Output(args, streams.stdout, self.progress)
        self.summary = _Summary()

    def __call__(self) -> int:
        summary, output = self.summary, self.output
        for name, reason in self.failures:
            summary.unreadable += 1
            output.unreadable(name, reason)
        for source in self.sources:
            summary.files += 1
            self._check(source)
        self.progress.clear()
        output.summary(summary)
        if summary.unreadable:
            return EXIT_USAGE
        return EXIT_INVALID if summary.invalid else EXIT_VALID

    def _check(self, source: _Source) -> None:
        summary, output, progress, name = self.summary, self.output, self.progress, source.name
        ticking = progress.active
        not_json = others = 0  # lines that are not JSON, and any other payloads
        for line in _payloads(source, self.args, self.stdin, progress):
            if isinstance(line, _ReadFailure):
                summary.unreadable += 1
                output.unreadable(name, line.reason)
                continue
            if line.error is not None:
                number, error = line.number, line.error
                if {detail.code for detail in error.errors} == {"json_invalid"}:
                    not_json += 1
                else:
                    others += 1
                summary.invalid += 1
                summary.errors.add(error.errors)
                if output.invalid:
                    output.error(name, number, error)
            else:
                number, event = line.number, line.event
                others += 1
                summary.valid += 1
                summary.types.add(_kind(event))
                if event.repairs:
                    summary.repaired += 1
                    summary.repairs.add(event.repairs)
                if output.valid:
                    output.event(name, number, event)
            if ticking:
                progress.tick(summary.payloads)
        if source.lines and not others and not_json >= _HINT_LINES:
            progress.clear()
            self.stderr.write(
                f"plenty-events: hint: no line of {name} is JSON: it looks like one JSON document over several "
                "lines, and it was read as JSON Lines, one payload per line; --json reads each input as one payload\n"
            )


def _validate(args: argparse.Namespace, streams: Streams) -> int:
    if args.max_bytes < 1:
        raise UsageError("--max-bytes must be at least 1")
    return _Run(args, streams)()


def _validate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="a file, a directory to walk, or '-' for stdin")
    parser.add_argument("--strict", action="store_true", help="accept the documented contract only")
    parser.add_argument("--format", choices=["text", "json"], default="text", help="output format (default: text)")
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument("--jsonl", action="store_true", help="read every input as JSON Lines, one payload per line")
    kind.add_argument("--json", action="store_true", help="read every input as one JSON payload")
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument("--errors-only", action="store_true", help="print invalid payloads only, and the summary")
    shown.add_argument("--quiet", "-q", action="store_true", help="print the summary only (and unreadable files)")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show progress on stderr (default: when stderr is a terminal)",
    )
    parser.add_argument(
        "--max-bytes",
        type=int,
        default=MAX_LINE_BYTES,
        metavar="N",
        help=f"reject a payload longer than N bytes (default: {MAX_LINE_BYTES:,}, 1 MiB)",
    )


_VALIDATE_DESCRIPTION: Final = """\
Validate each FILE. A directory is walked for .json, .jsonl and .ndjson files,
also gzipped (.gz); '-' reads standard input.

What a file holds is decided by flag or extension, never by its content:
--jsonl or .jsonl/.ndjson is JSON Lines, one payload per line (blank lines
skipped); --json or .json is one payload; anything else, and standard input,
is JSON Lines. Input is read a line at a time, in constant memory.

Each payload is reported, then a summary: payloads, valid, repaired,
invalid, and how many payloads had each error and repair code, at which path
(the drift report). Every file is reported, even after one that cannot be read.

Exit status: 0 all valid; 1 a payload is invalid; 2 a usage error or a file
that cannot be read; 70 an internal error (a bug); 130 interrupted; 141
standard output closed early (as with '| head').
"""

VALIDATE: Final = Command(
    "validate",
    help="validate payload files, JSON Lines archives and directories",
    description=_VALIDATE_DESCRIPTION,
    arguments=_validate_arguments,
    run=_validate,
)


def _schema(_args: argparse.Namespace, streams: Streams) -> int:
    streams.stdout.write(json.dumps(json_schema(), indent=2) + "\n")
    return EXIT_VALID


SCHEMA: Final = Command(
    "schema",
    help="print the JSON Schema of the strict wire format",
    description="Print the draft 2020-12 JSON Schema of the strict wire format.",
    arguments=lambda _parser: None,
    run=_schema,
)
