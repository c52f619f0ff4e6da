"""Coverage-guided fuzzing of ``plenty_events.decode`` with atheris (libFuzzer).

The invariant, checked in both modes for every input: ``decode`` returns an
event or raises ``DecodeError`` with at least one error whose path starts
with ``$``; no other exception escapes. Every rendering of the errors, or of
the event's repairs, stays within the documented bounds. An event accepted in mode ``s``
encodes to bytes that decode, in mode ``s`` and leniently, to an equal event.
When the input is valid UTF-8, the same text passed as ``str`` is accepted as
an equal event, or rejected, like the bytes. And whichever road ``decode``
takes (the fast road, or the explaining road), it returns the event, repairs
and errors of the explaining road alone: the full parse, then the walk.

Run from the repository root (see fuzz/README.md)::

    python fuzz/fuzz_decode.py fuzz/corpus -dict=fuzz/json.dict -max_total_time=60

A crash writes the input to ``crash-<sha1>`` in the working directory;
replay it with ``python fuzz/fuzz_decode.py crash-<sha1>``.

Without atheris installed, the script runs the target once over each file
it is given (a directory: each file in it), as continuous integration does
with the corpus, so that the target cannot rot::

    python fuzz/fuzz_decode.py fuzz/corpus

The long road is the one private seam used: ``_json.parse`` then
``_explain.decode_value`` with ``_walk.STRICT`` or ``LENIENT``, the explaining road alone,
which the fast road must agree with.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

try:
    import atheris
except ImportError:  # the smoke run: the target over the corpus, without coverage guidance
    atheris = None

with atheris.instrument_imports() if atheris is not None else contextlib.nullcontext():
    import plenty_events
    from plenty_events import DecodeError, ServicePurchaseEvent, UnknownEvent, _json
    from plenty_events._decode import BUILTIN_MODELS
    from plenty_events._explain import decode_value
    from plenty_events._report import Report
    from plenty_events._walk import LENIENT, STRICT

#: At most this many errors are listed, plus one line counting the rest.
MAX_ERRORS = 101
#: The bounds docs/errors.md states, in characters.
MAX_PATH = MAX_MESSAGE = 200
MAX_TEXT = 11_000
MAX_JSON = 25_000


def _check_findings(
    findings: tuple[plenty_events.ErrorDetail | plenty_events.Repair, ...], text: str, json_text: str
) -> None:
    """Check the paths and messages of errors or repairs, and the size of their renderings."""
    for finding in findings:
        path, message = finding.path, finding.message
        if not path.startswith("$") or len(path) > MAX_PATH or len(message) > MAX_MESSAGE:
            raise AssertionError(f"unbounded finding {finding!r:.300}")
    if len(text) > MAX_TEXT or len(json_text) > MAX_JSON:
        raise AssertionError(f"a rendering of {len(text)} or {len(json_text)} characters")


def _verdict(data: bytes | str, *, strict: bool) -> object:
    """Decode ``data``; return the event, or the tuple of error codes."""
    try:
        event = plenty_events.decode(data, strict=strict)
    except DecodeError as exc:
        errors = exc.errors
        if not 1 <= len(errors) <= MAX_ERRORS:
            raise AssertionError(f"{len(errors)} errors listed") from exc
        for error in errors:
            if not error.code:
                raise AssertionError(f"bad error detail {error!r}") from exc
        _check_findings(errors, str(exc), exc.to_json())
        return tuple(errors)
    if not isinstance(event, ServicePurchaseEvent if strict else (ServicePurchaseEvent, UnknownEvent)):
        raise AssertionError(f"decode returned {type(event).__name__}")  # noqa: TRY004
    encoded = plenty_events.encode(event)
    if plenty_events.decode(encoded, strict=strict) != event:
        raise AssertionError("the encoding does not decode to the same event in the same mode")
    if plenty_events.decode(encoded) != event:
        raise AssertionError("the encoding does not decode to the same event leniently")
    repr(event)
    _check_findings(event.repairs, "; ".join(map(str, event.repairs)), repr(event.repairs))
    return event, event.repairs


def _long_road(data: bytes | str, *, strict: bool) -> object:
    """Decode on the explaining road alone: the verdict of the full parse and the walk."""
    report = Report()
    value = _json.parse(data, report, strict=strict)
    if value is _json.INVALID:
        return tuple(report.errors())
    try:
        event = decode_value(value, STRICT if strict else LENIENT, report, BUILTIN_MODELS)
    except DecodeError as exc:
        return tuple(exc.errors)
    return event, event.repairs  # type: ignore[attr-defined]


def test_one_input(data: bytes) -> None:
    """Check the invariant for one input, in both modes, as bytes and as text."""
    for strict in (False, True):
        from_bytes = _verdict(data, strict=strict)
        if from_bytes != _long_road(data, strict=strict):
            raise AssertionError(f"decode and the long road disagree: {from_bytes!r:.200}")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        from_text = _verdict(text, strict=strict)
        # Both rejected (the errors may differ: a NUL second byte means
        # UTF-16 only in bytes), or both accepted as equal events.
        rejected = isinstance(from_text, tuple), isinstance(from_bytes, tuple)
        if rejected != (True, True) and from_text != from_bytes:
            raise AssertionError(f"str and bytes disagree: {from_text!r:.200} != {from_bytes!r:.200}")


def main() -> None:
    """Hand the arguments to libFuzzer; without atheris, run the target over the files given."""
    if atheris is not None:
        atheris.Setup(sys.argv, test_one_input)
        atheris.Fuzz()
        return
    files = [
        found
        for argument in sys.argv[1:]
        for found in (sorted(Path(argument).iterdir()) if Path(argument).is_dir() else [Path(argument)])
    ]
    if not files:
        raise SystemExit("usage: python fuzz/fuzz_decode.py CORPUS_DIR_OR_FILE...")
    for path in files:
        test_one_input(path.read_bytes())
    print(f"{len(files)} inputs checked without atheris: no finding")


if __name__ == "__main__":
    main()
