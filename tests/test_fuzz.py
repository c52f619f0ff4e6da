"""Property-based fuzzing: any input decodes to an event that round-trips, or to a DecodeError.

The rule, in both modes: ``decode`` returns an event or raises a
``DecodeError`` with at least one error whose path starts with ``$``; never
any other exception. An event accepted in mode ``s`` satisfies
``decode(encode(e), strict=s) == e``, and ``decode(encode(e)) == e``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import plenty_events
from plenty_events import DecodeError, ServicePurchaseEvent, UnknownEvent
from plenty_events.testing import sample_payload
from tests.helpers import long_road, with_value, without
from tests.strategies import paths

MODES = st.booleans()

#: Strings that stress the text layer: lone surrogates, NUL, a byte order
#: mark, non-BMP characters, numbers in disguise.
AWKWARD_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "\ufeff",
        "\ud800",
        "a\udc00b",
        "\U0001f600",
        "1e999999999",
        "NaN",
        "-0",
        "1338.0",
    ]
)
TEXT = st.text(max_size=12) | AWKWARD_TEXT
NUMBERS = (
    st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.decimals(allow_nan=False, allow_infinity=False, places=4)
    | st.sampled_from(
        [
            Decimal("1e999999999"),
            Decimal("-1e-999999999"),
            Decimal("0e-5"),
            Decimal("1E+18"),
        ]
    )
)
SCALARS = st.none() | st.booleans() | NUMBERS | TEXT

#: JSON values as the parser yields them (``Decimal`` for fractions).
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=16,
)

#: Values a framework may hand over that are not JSON values at all.
PYTHON_ONLY = st.sampled_from(
    [
        float("nan"),
        float("inf"),
        -float("inf"),
        set(),
        frozenset({1}),
        (),
        (1, 2),
        object(),
        b"bytes",
        1j,
    ]
)
FLOATS = st.floats(allow_nan=False, allow_infinity=False)


def to_text(value: object) -> str:
    """Write a JSON value as JSON text, decimals exact, non-ASCII escaped."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(key)}:{to_text(member)}" for key, member in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(to_text(member) for member in value) + "]"
    if isinstance(value, Decimal):
        # "5E0" keeps Decimal('5') a fraction literal, as the parser would read it.
        text = str(value)
        return text if any(mark in text for mark in ".eE") else f"{text}E0"
    return json.dumps(value)


SAMPLE_PATHS = paths(sample_payload())


def replace_at(path: tuple[Any, ...], value: object) -> dict[str, Any]:
    """Return the documented example with the value at ``path`` replaced."""
    return with_value(sample_payload(), path, value)


def remove_at(path: tuple[Any, ...]) -> dict[str, Any]:
    """Return the documented example without the value at ``path``."""
    return without(sample_payload(), path)


def check_error(exc: DecodeError) -> DecodeError:
    """Assert the shape of a DecodeError and return it."""
    assert exc.errors
    assert len(exc.errors) <= 101
    for error in exc.errors:
        assert error.path.startswith("$"), error
        assert error.code
        assert error.message
    assert json.loads(exc.to_json()) == exc.to_dict()
    assert str(exc)
    return exc


def check(data: object, *, strict: bool) -> object:
    """Decode ``data`` and assert the rule; return the event or the DecodeError.

    Text must also get the verdict of the explaining road alone, without the fast road.
    """
    expected = long_road(data, strict=strict) if isinstance(data, (bytes, str)) else None
    try:
        event = plenty_events.decode(data, strict=strict)  # type: ignore[arg-type]
    except DecodeError as exc:
        if expected is not None:
            assert isinstance(expected, DecodeError)
            assert exc.errors == expected.errors
        return check_error(exc)
    if expected is not None:
        assert event == expected
        assert event.repairs == expected.repairs  # type: ignore[attr-defined]
    assert isinstance(event, ServicePurchaseEvent if strict else (ServicePurchaseEvent, UnknownEvent))
    encoded = plenty_events.encode(event)
    assert plenty_events.decode(encoded, strict=strict) == event
    assert plenty_events.decode(encoded) == event
    assert all(repair.path.startswith("$") for repair in event.repairs)
    repr(event)
    return event


@given(JSON_VALUES, MODES)
def test_any_json_text_decodes_or_fails_cleanly(value: object, strict: bool) -> None:
    """Any JSON text is an event that round-trips or a DecodeError rooted at $."""
    check(to_text(value).encode(), strict=strict)


@given(JSON_VALUES, MODES)
def test_any_parsed_value_decodes_or_fails_cleanly(value: object, strict: bool) -> None:
    """Any parsed JSON value is an event that round-trips or a DecodeError rooted at $."""
    check(value, strict=strict)


@given(st.sampled_from(SAMPLE_PATHS), JSON_VALUES | FLOATS, MODES)
def test_example_with_one_part_replaced(path: tuple[Any, ...], value: object, strict: bool) -> None:
    """The example with any leaf or subtree replaced, as a mapping and as text, obeys the rule."""
    payload = replace_at(path, value)
    as_mapping = check(payload, strict=strict)
    if not isinstance(value, float):
        as_text = check(to_text(payload).encode(), strict=strict)
        # The text and the mapping of the same JSON value get the same verdict.
        assert isinstance(as_text, DecodeError) == isinstance(as_mapping, DecodeError)


@given(st.sampled_from(SAMPLE_PATHS), PYTHON_ONLY, MODES)
def test_example_with_a_non_json_python_value(path: tuple[Any, ...], value: object, strict: bool) -> None:
    """A Python value that JSON cannot hold, anywhere in the example, is a DecodeError rooted at $."""
    result = check(replace_at(path, value), strict=strict)
    assert isinstance(result, DecodeError)
    assert {error.code for error in result.errors} & {"json_type", "json_invalid"}


@given(st.sampled_from(SAMPLE_PATHS), MODES)
def test_example_with_one_key_removed(path: tuple[Any, ...], strict: bool) -> None:
    """The example without any one key or item obeys the rule."""
    check(remove_at(path), strict=strict)


@given(st.sampled_from([p[:-1] for p in SAMPLE_PATHS] + [()]), TEXT, JSON_VALUES, MODES)
def test_example_with_one_key_added(parent: tuple[Any, ...], key: str, value: object, strict: bool) -> None:
    """The example with any key added to any object obeys the rule."""
    payload = sample_payload()
    target: Any = payload
    for step in parent:
        target = target[step]
    if isinstance(target, dict):
        target[key] = value
    check(payload, strict=strict)
    check(to_text(payload).encode(), strict=strict)


@given(st.binary(max_size=256), MODES)
def test_arbitrary_bytes(data: bytes, strict: bool) -> None:
    """Arbitrary bytes are an event that round-trips or a DecodeError rooted at $."""
    check(data, strict=strict)


EXAMPLE_BYTES = to_text(sample_payload()).encode()


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(0, len(EXAMPLE_BYTES)), st.binary(max_size=4), st.integers(0, 4)),
        min_size=1,
        max_size=4,
    ),
    MODES,
)
def test_example_bytes_mutated(edits: list[tuple[int, bytes, int]], strict: bool) -> None:
    """The example's bytes with a few bytes replaced, inserted or deleted obey the rule."""
    data = bytearray(EXAMPLE_BYTES)
    for offset, insert, delete in edits:
        data[offset : offset + delete] = insert
    check(bytes(data), strict=strict)
