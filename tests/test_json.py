"""The quick parse: the value the full parse reads, or a refusal, under either parser."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from helpers import key_count
from plenty_events import _json
from plenty_events._report import Report
from plenty_events.testing import sample_payload, to_json
from strategies import near_payloads

SAMPLE = to_json(sample_payload())

#: The parser choice itself, taken before a run with ``--json-parser`` replaces it.
choose: Callable[[], Callable[[bytes], object]] = _json.quick_loads.__wrapped__  # type: ignore[attr-defined]


def _msgspec_loads() -> Callable[[bytes], object]:
    pytest.importorskip("msgspec", reason="the speedups extra is not installed")
    return choose()


@pytest.fixture(params=["stdlib", "msgspec"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test with each parser of the quick path in turn."""
    loads = _json.stdlib_loads if request.param == "stdlib" else _msgspec_loads()
    monkeypatch.setattr(_json, "quick_loads", lambda: loads)
    return str(request.param)


@given(near_payloads())
def test_the_quick_parse_reads_what_the_full_parse_reads(payload: dict[str, Any]) -> None:
    """For each parser, the value is the full parse's, numbers written alike, and the colons are counted."""
    text = to_json(payload)
    expected = _json.dumps(_json.parse(text, Report(), strict=True))
    for loads in (_json.stdlib_loads, *([_msgspec_loads()] if "msgspec" in sys.modules else [])):
        value = loads(text)
        assert _json.dumps(value) == expected
    parsed = _json.parse_quick(text)
    assert parsed is not None
    assert _json.dumps(parsed[0]) == expected
    assert parsed[1] == text.count(b":")


@pytest.mark.parametrize(
    "body",
    [
        b" " + SAMPLE,
        b"\xef\xbb\xbf" + SAMPLE,
        SAMPLE.decode().encode("utf-16"),
        b"[" + SAMPLE + b"]",
        SAMPLE[:-1],
        SAMPLE + b"x",
        SAMPLE.replace(b'"priceNet":41.1765', b'"priceNet":NaN'),
        SAMPLE.replace(b"SuperService", b"\xff"),
        SAMPLE.replace(b"SuperService", b"\\ud800"),
        SAMPLE.replace(b"SuperService", b"\\udc00\\ud800"),
        b'{"a":' + b"[" * 2000 + b"]" * 2000 + b"}",
        b'{"a":' + b"0" * 5000 + b"1}",
    ],
    ids=[
        "leading space",
        "byte order mark",
        "UTF-16",
        "an array",
        "cut short",
        "trailing garbage",
        "NaN",
        "invalid UTF-8",
        "escaped lone surrogate",
        "escaped surrogates in the wrong order",
        "nesting past the bound",
        "a leading zero",
    ],
)
def test_the_quick_parse_leaves_unusual_bodies_to_the_full_parse(body: bytes, parser: str) -> None:
    """A body the full parse would refuse or repair, or one too deep to try, is not parsed quickly."""
    assert _json.parse_quick(body) is None, parser


def test_a_str_with_a_lone_surrogate_is_left_to_the_full_parse(parser: str) -> None:
    """A str that UTF-8 cannot encode is not parsed quickly."""
    assert _json.parse_quick('{"a":"\ud800"}') is None, parser


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview, lambda data: data.decode()])
def test_every_kind_of_body_is_parsed_quickly(kind: Callable[[bytes], Any], parser: str) -> None:
    """bytes, bytearray, memoryview and str all parse, to the same value."""
    parsed = _json.parse_quick(kind(SAMPLE))
    assert parsed is not None, parser
    assert parsed[0] == _json.parse(SAMPLE, Report(), strict=True)


def test_a_long_body_within_the_bound_is_parsed_quickly(parser: str) -> None:
    """A body over the bound's length is still tried when its brackets and colons stay under it."""
    body = b'{"a":"' + b"x" * 5000 + b'"}'
    assert _json.parse_quick(body) == ({"a": "x" * 5000}, 1), parser


@pytest.mark.parametrize("escaped", [b"\\udfff", b"\\ud83d\\ude00"], ids=["lone", "pair"])
def test_the_standard_library_refuses_escaped_surrogates(escaped: bytes) -> None:
    """stdlib_loads raises ValueError on any escaped surrogate: the full parse tells a pair from a lone one."""
    with pytest.raises(ValueError, match="surrogate"):
        _json.stdlib_loads(b'{"a":"' + escaped + b'"}')
    assert _json.stdlib_loads(b'{"a":"\\u00e9"}') == {"a": "\u00e9"}


def test_msgspec_is_chosen_when_installed() -> None:
    """With the speedups extra, the quick parse is msgspec's decoder, numbers read as Decimal."""
    msgspec = pytest.importorskip("msgspec", reason="the speedups extra is not installed")
    loads = choose()
    assert isinstance(loads.__self__, msgspec.json.Decoder)
    assert _json.dumps(loads(b"[1.10,2]")) == "[1.10,2]"


def test_the_standard_library_is_chosen_without_msgspec(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without msgspec, the quick parse is the standard library's."""
    monkeypatch.setitem(sys.modules, "msgspec", None)  # makes the import fail
    assert choose() is _json.stdlib_loads


def _nested(levels: int) -> bytes:
    """An object whose value nests ``levels`` deep in all, the object counted."""
    return b'{"a":' + b"[" * (levels - 1) + b"]" * (levels - 1) + b"}"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (SAMPLE, True),
        (SAMPLE.replace(b'"contact":{', b'"contact":{"id":1,'), False),
        (SAMPLE.replace(b"SuperService", b"Plan: Pro"), False),
        (_nested(_json.MAX_DEPTH), True),
        (_nested(_json.MAX_DEPTH + 1), False),
    ],
    ids=["sample", "duplicate key", "colon in a string", "as deep as allowed", "too deep"],
)
def test_settled_tells_when_the_full_parse_would_add_nothing(body: bytes, expected: bool, parser: str) -> None:
    """A quick parse is final without duplicate keys or excess depth; else parse() must see the text."""
    parsed = _json.parse_quick(body)
    assert parsed is not None, parser
    assert _json.settled(*parsed) is expected
    report = Report()
    full = _json.parse(body, report, strict=True)
    if expected:
        assert full == parsed[0]
        assert not report.errors()
    else:
        assert report.errors() or body.count(b":") != key_count(full)


@st.composite
def _garbled(draw: st.DrawFn) -> bytes:
    """The sample with a few bytes somewhere replaced by arbitrary ones."""
    start = draw(st.integers(0, len(SAMPLE)))
    end = draw(st.integers(start, min(start + 8, len(SAMPLE))))
    return SAMPLE[:start] + draw(st.binary(max_size=8)) + SAMPLE[end:]


@given(_garbled() | st.binary(max_size=40))
def test_the_two_parsers_accept_the_same_bytes_alike(data: bytes) -> None:
    """Msgspec's parser and the standard library's refuse the same bodies and read the others alike."""
    msgspec_loads = _msgspec_loads()
    assume(not _json.SURROGATE_ESCAPE_BYTES.search(data))  # the stdlib's side refuses even a valid pair
    results = []
    for loads in (_json.stdlib_loads, msgspec_loads):
        try:
            results.append(_json.dumps(loads(data)))
        except Exception:  # noqa: BLE001 -- which exception does not matter: both go to parse()
            results.append(None)
    assert results[0] == results[1]
