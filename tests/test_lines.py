"""decode_lines: JSON Lines from bytes, binary files and iterables, one Line per non-blank line."""

from __future__ import annotations

import gc
import gzip
import io
import pickle
import typing
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import plenty_events
from plenty_events import DecodedLine, DecodeError, Line, RejectedLine, decode_lines
from plenty_events._lines import MAX_LINE_BYTES
from plenty_events.testing import payloads, sample_payload, to_json

SAMPLE = to_json(sample_payload())
BAD = b'{"id": 1}'


def outcomes(lines: Any) -> list[tuple[int, object]]:
    """(number, event id or first error code) of each Line."""
    result: list[tuple[int, object]] = []
    for line in lines:
        assert (line.event is None) != (line.error is None)
        result.append((line.number, line.error.errors[0].code if line.error else line.event.id))
    return result


def sources(data: bytes) -> dict[str, Any]:
    """The same JSON Lines as every kind of input decode_lines takes."""
    return {
        "bytes": data,
        "bytearray": bytearray(data),
        "memoryview": memoryview(data),
        "binary file": io.BytesIO(data),
        "gzip file": gzip.GzipFile(fileobj=io.BytesIO(gzip.compress(data))),
        "bytes lines": iter(data.splitlines(keepends=True)),
        "str lines": [line.decode() for line in data.splitlines()],
        "text file": io.StringIO(data.decode(), newline=""),
    }


MIXED = SAMPLE + b"\n\n \t\r\n" + BAD + b"\r\n" + b"{nope\n" + SAMPLE.replace(b'"DE"', b'"de"')
EXPECTED = [
    (1, "evt_553ea8a294e2d3a75d5086a06fb53f5a"),
    (4, "missing"),
    (5, "json_invalid"),
    (6, "evt_553ea8a294e2d3a75d5086a06fb53f5a"),
]


@pytest.mark.parametrize("kind", list(sources(b"")))
def test_every_input_kind_gives_the_same_lines(kind):
    """Bytes, files and iterables give one Line per non-blank line, numbered as in the input, blanks counted."""
    assert outcomes(decode_lines(sources(MIXED)[kind])) == EXPECTED


def test_a_line_is_exactly_what_decode_gives_that_line():
    """Each line's event (with its repairs) or error is decode's for that line alone, in the mode asked."""
    lines = list(decode_lines(MIXED))
    repaired = lines[3].event
    assert repaired == plenty_events.decode(MIXED.splitlines()[-1])
    assert repaired.repairs == plenty_events.decode(MIXED.splitlines()[-1]).repairs
    assert repaired.repairs[0].code == "country_normalized"
    strict = list(decode_lines(MIXED, strict=True))
    assert outcomes(strict)[3] == (6, "country_code")
    with pytest.raises(DecodeError) as caught:
        plenty_events.decode(BAD)
    assert lines[1].error.errors == caught.value.errors


@given(st.lists(payloads(max_items=2), max_size=5), st.sampled_from([b"\n", b"\r\n"]), st.booleans())
def test_valid_lines_decode_to_their_events(items: list[dict[str, Any]], ending: bytes, final: bool) -> None:
    """Any list of valid payloads, with either line ending and with or without a last one, decodes in order."""
    data = ending.join(map(to_json, items)) + (ending if final and items else b"")
    events = [line.event for line in decode_lines(data, strict=True)]
    assert events == [plenty_events.decode(to_json(item), strict=True) for item in items]
    assert [line.number for line in decode_lines(io.BytesIO(data))] == list(range(1, len(items) + 1))


def test_a_line_unpacks_and_pickles():
    """A Line is a DecodedLine or a RejectedLine, named tuples that unpack to (number, event, error) and pickle."""
    decoded = next(decode_lines(SAMPLE))
    assert isinstance(decoded, DecodedLine)
    number, event, error = decoded
    assert (number, error) == (1, None)
    assert isinstance(event, plenty_events.ServicePurchaseEvent)
    line = next(decode_lines(BAD))
    assert isinstance(line, RejectedLine)
    assert line.event is None
    copy = pickle.loads(pickle.dumps(line))
    assert copy.number == 1
    assert copy.error.errors == line.error.errors
    assert pickle.loads(pickle.dumps(decoded)) == decoded


def test_line_names_the_two_kinds():
    """Line is the union of the two named tuples, subscriptable with the event type."""
    assert typing.get_args(Line[plenty_events.ServicePurchaseEvent]) == (
        DecodedLine[plenty_events.ServicePurchaseEvent],
        RejectedLine,
    )


@pytest.mark.parametrize("text", ["", '{"id": 1}\n'])
def test_a_str_is_refused_with_what_to_pass(text):
    """decode_lines refuses a str, which would iterate as one-character lines, and says what to pass."""
    with pytest.raises(TypeError, match=r"not a str: pass text\.encode\(\), or text\.splitlines\(\)"):
        decode_lines(text)


def test_nothing_is_read_before_the_first_line_is_asked_for():
    """decode_lines is lazy: a file is read as its lines are taken, not before."""
    file = io.BytesIO(SAMPLE + b"\n" + SAMPLE + b"\n")
    lines = decode_lines(file)
    assert file.tell() == 0
    next(lines)
    assert file.tell() == len(SAMPLE) + 1


@pytest.mark.parametrize("kind", list(sources(b"")))
def test_a_line_over_the_bound_is_one_error_and_the_next_line_is_read(kind):
    """A line longer than max_bytes is rejected with payload_too_long, and decoding goes on after it."""
    data = SAMPLE + b"\n" + b"[" * 5000 + b"\n" + SAMPLE
    lines = list(decode_lines(sources(data)[kind], max_bytes=len(SAMPLE)))
    assert outcomes(lines) == [(1, EXPECTED[0][1]), (2, "payload_too_long"), (3, EXPECTED[0][1])]
    assert str(lines[1].error.errors[0]) == f"$: the payload is longer than {len(SAMPLE):,} bytes [payload_too_long]"


def test_the_bound_counts_bytes_without_the_line_ending():
    """A line of exactly max_bytes is decoded, whatever its ending; one byte more is too long."""
    for ending in (b"", b"\n", b"\r\n"):
        for kind in ("bytes", "binary file", "bytes lines"):
            fits = decode_lines(sources(SAMPLE + ending)[kind], max_bytes=len(SAMPLE) + ending.count(b"\r"))
            assert outcomes(fits) == [(1, EXPECTED[0][1])]
            over = decode_lines(sources(SAMPLE + ending)[kind], max_bytes=len(SAMPLE) - 1)
            assert outcomes(over) == [(1, "payload_too_long")]


def test_the_bound_counts_utf8_bytes_of_a_str_line():
    """A str line is measured by its UTF-8 length: four-byte characters count four times."""
    line = '"' + "\N{GRINNING FACE}" * 100 + '"'
    assert outcomes(decode_lines([line], max_bytes=402)) == [(1, "object_type")]
    assert outcomes(decode_lines([line], max_bytes=401)) == [(1, "payload_too_long")]
    assert outcomes(decode_lines(["[1]"], max_bytes=3)) == [(1, "object_type")]


class _Counting(io.BytesIO):
    """A binary file that remembers the largest read asked of it."""

    largest = 0

    def readline(self, size: int | None = -1, /) -> bytes:
        assert size is not None
        assert size > 0
        self.largest = max(self.largest, size)
        return super().readline(size)


def test_a_file_without_newlines_is_read_in_bounded_pieces():
    """A hostile file that is one endless line is skipped in chunks, never read whole."""
    file = _Counting(b"x" * (3 * MAX_LINE_BYTES) + b"\n" + SAMPLE)
    assert outcomes(decode_lines(file)) == [(1, "payload_too_long"), (2, EXPECTED[0][1])]
    assert file.largest == MAX_LINE_BYTES + 2  # room for "\r\n"
    endless = _Counting(b"x" * (3 * MAX_LINE_BYTES))
    assert outcomes(decode_lines(endless)) == [(1, "payload_too_long")]


def test_the_default_bound_is_one_mebibyte():
    """By default a line may have 1 MiB, the body limit recommended to receivers."""
    assert MAX_LINE_BYTES == 1 << 20
    padded = SAMPLE[:-1] + b" " * (MAX_LINE_BYTES - len(SAMPLE)) + b"}"
    assert outcomes(decode_lines(padded)) == [(1, EXPECTED[0][1])]
    assert outcomes(decode_lines(padded + b" ")) == [(1, "payload_too_long")]


def test_empty_and_blank_inputs_yield_nothing():
    """No line, or blank lines only, give no Line at all."""
    for data in (b"", b"\n\n", b" \t\r\n", io.BytesIO(b"\n \n"), [], ["", "\n"]):
        assert list(decode_lines(data)) == []


def test_other_whitespace_is_not_blank():
    """A line of a no-break space or a form feed is not JSON whitespace: it is an invalid line."""
    assert outcomes(decode_lines(["\u00a0"])) == [(1, "json_invalid")]
    assert outcomes(decode_lines(b"\x0c\n")) == [(1, "json_invalid")]


def test_max_bytes_must_be_positive():
    """A bound below one byte is refused when decode_lines is called, not when it is iterated."""
    with pytest.raises(ValueError, match="max_bytes must be at least 1"):
        decode_lines(b"", max_bytes=0)


def test_decoded_events_hold_no_reference_cycle():
    """Dropping decoded events leaves nothing for the cyclic collector: freezing a bulk load loses nothing."""
    data = b"\n".join([SAMPLE, SAMPLE.replace(b'"DE"', b'"de"'), b'{"id":"e","type":"X","createdAt":0,"resource":{}}'])
    list(decode_lines(data))  # lazy caches filled
    gc.collect()
    gc.disable()
    try:
        events = [line.event for line in decode_lines(b"\n".join([data] * 50))]
        assert all(events)
        gc.collect()
        del events
        assert gc.collect() == 0
    finally:
        gc.enable()
