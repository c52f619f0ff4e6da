"""The explaining road's parse: msgspec where it gives what the stdlib parser gives, the stdlib parser elsewhere."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plenty_events import _json
from plenty_events.testing import sample_payload, to_json
from tests.strategies import json_values, key_twice

SAMPLE = to_json(sample_payload()).decode()


def alike(left: object, right: object) -> bool:
    """Equal, with the same types all the way down and keys in the same order (``1`` is not ``True``)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        right_dict: dict[str, Any] = right  # type: ignore[assignment]
        return list(left) == list(right_dict) and all(alike(left[key], right_dict[key]) for key in left)
    if isinstance(left, list):
        right_list: list[Any] = right  # type: ignore[assignment]
        return len(left) == len(right_list) and all(map(alike, left, right_list))
    return left == right and repr(left) == repr(right)


def check_against_the_stdlib_parser(text: str) -> None:
    """The value msgspec gives, where taken, from the str or its UTF-8 bytes, is the stdlib parser's, to the type."""
    try:
        bodies: list[str | bytes] = [text, text.encode()]
    except UnicodeEncodeError:  # a lone surrogate: only a str can carry it
        bodies = [text]
    for body in bodies:
        quick = _json._without_duplicates(body)
        if quick is not _json._DECLINED:
            assert alike(quick, _json._DECODER.decode(text)), text[:80]


@given(json_values())
def test_msgspec_parses_any_json_value_as_the_stdlib_parser_does(value: object) -> None:
    """For any JSON value's text, msgspec's parse is declined or equal, to the type, to the stdlib parser's."""
    check_against_the_stdlib_parser(_json.dumps(value))


@st.composite
def _garbled(draw: st.DrawFn) -> str:
    """The sample with a few characters somewhere replaced by arbitrary ones."""
    start = draw(st.integers(0, len(SAMPLE)))
    end = draw(st.integers(start, min(start + 8, len(SAMPLE))))
    return SAMPLE[:start] + draw(st.text(max_size=8)) + SAMPLE[end:]


@given(_garbled())
def test_msgspec_parses_texts_near_the_sample_as_the_stdlib_parser_does(text: str) -> None:
    """Near the sample, whatever msgspec accepts it reads as the stdlib parser does; the rest it declines."""
    try:
        check_against_the_stdlib_parser(text)
    except ValueError:  # the stdlib parser refuses what msgspec declined: nothing to compare
        assert _json._without_duplicates(text) is _json._DECLINED


@given(key_twice())
def test_msgspec_never_parses_a_text_with_a_key_twice(data: bytes) -> None:
    """Whatever the first of two equal keys holds, colons or escapes, the text goes to the stdlib parser."""
    assert _json._without_duplicates(data) is _json._DECLINED
    assert _json._without_duplicates(data.decode()) is _json._DECLINED


def test_the_sample_is_parsed_by_msgspec() -> None:
    """A text without a repeated key takes msgspec's parse, as a str or as bytes, colons in strings too."""
    assert _json._without_duplicates(SAMPLE) == sample_payload()
    assert _json._without_duplicates(SAMPLE.encode()) == sample_payload()
    with_colons = SAMPLE.replace("SuperService", "a:b").replace("Kassel", "::")
    assert _json._without_duplicates(with_colons.encode()) == _json._DECODER.decode(with_colons)


@pytest.mark.parametrize("text", ['"a\\nb"', '{"a":"\\n","b":[{"c":"\\u003a"}]}', '["\\t",1]'])
def test_a_text_with_an_escape_is_proved_by_its_keys(text: str) -> None:
    """With a backslash in the text, as many keys as colons prove that no key repeated: msgspec's parse is taken."""
    assert alike(_json._without_duplicates(text), _json._DECODER.decode(text))


@pytest.mark.parametrize(
    "text",
    ['{"a":"b:c","d":"\\n"}', '{"a":"b:c","d":"\\u003a"}', '{"a":"d","a":"b\\u003ac"}'],
    ids=["beside an escape", "beside an escaped colon", "an escaped colon making up for a key twice"],
)
def test_a_colon_in_a_string_beside_an_escape_goes_to_the_stdlib_parser(text: str) -> None:
    """In a text with a backslash, strings may not read as written: colons in them prove nothing."""
    assert _json._without_duplicates(text) is _json._DECLINED


@pytest.mark.parametrize(
    "text",
    [
        '{"a":1,"a":2}',
        '{"a":{"b":1,"b":1}}',
        '{"a":"b:c","a":1}',
        '{"a:b":1,"a:b":1}',
        "[" + "9" * 4301 + "]",
        '["\\ud800"]',
        "[NaN]",
        "\ufeff{}",
        "[1e999999999999999999999]",
        "{",
    ],
    ids=[
        "a key twice",
        "a key twice inside",
        "a key twice beside a colon in a string",
        "a key with a colon twice",
        "4301 digits",
        "a lone surrogate",
        "NaN",
        "a byte order mark",
        "an exponent past Decimal",
        "cut",
    ],
)
def test_msgspec_leaves_to_the_stdlib_parser_what_it_cannot_read_alike(text: str) -> None:
    """Repeated keys, beside colons in strings too, and all that msgspec refuses, go to the stdlib parser."""
    assert _json._without_duplicates(text) is _json._DECLINED


@pytest.fixture
def int_digits() -> Iterator[None]:
    """Raise the interpreter's digit limit for the test, and restore it afterwards."""
    before = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(100_000)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(before)


@pytest.mark.usefixtures("int_digits")
def test_msgspec_declines_an_integer_past_the_digit_bound_whatever_the_interpreter_allows() -> None:
    """With the interpreter's limit raised, msgspec still leaves an integer of 4301 digits to the stdlib parser."""
    assert _json._without_duplicates("[" + "9" * (_json.MAX_INT_DIGITS + 1) + "]") is _json._DECLINED
    assert _json._without_duplicates("[" + "9" * _json.MAX_INT_DIGITS + "]") == [int("9" * _json.MAX_INT_DIGITS)]


@pytest.mark.parametrize("escape", ['"\\n",', ""], ids=["with an escape", "without"])
def test_msgspec_never_raises_under_a_recursion_limit_below_the_depth(escape: str) -> None:
    """A caller's recursion limit below the value's depth never makes the parse raise; with an escape it falls back."""
    text = "[" + escape + "[" * 999 + "]" * 1000
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + 50)
    try:
        quick = _json._without_duplicates(text)
    finally:
        sys.setrecursionlimit(limit)
    if escape:
        assert quick is _json._DECLINED  # the key count recurses in Python, under the caller's limit
    elif quick is not _json._DECLINED:
        # msgspec's C code keeps a limit of its own on Python 3.12 and later: the value is taken whole.
        value: Any = quick
        for _ in range(999):
            assert type(value) is list
            assert len(value) == 1
            value = value[0]
        assert value == []


def test_fractions_are_read_as_exact_decimals() -> None:
    """Msgspec hands each fraction's literal to the reader: no float on the way."""
    assert _json._without_duplicates('{"p":41.1765,"q":1.50,"r":1E+3}') == {
        "p": Decimal("41.1765"),
        "q": Decimal("1.50"),
        "r": Decimal("1E+3"),
    }


def test_a_kept_object_iterates_its_keys_and_shows_only_their_number():
    """A read-only object iterates its keys in order; its repr counts them and shows no value."""
    kept = _json.ReadOnlyObject({"name": "Erika", "town": "Kassel"})
    assert list(kept) == ["name", "town"]
    assert repr(kept) == "<read-only JSON object: 2 keys>"
    assert "Erika" not in repr(kept)


def test_a_kept_array_differs_from_another_list():
    """A read-only array is unequal to a list or tuple with other members, and equal to its own."""
    kept = _json.ReadOnlyArray((1, 2))
    assert kept != [1, 3]
    assert kept != (2, 1)
    assert not kept != [1, 2]  # noqa: SIM202 -- the != operator itself is under test
