"""The quick path of decode: a valid purchase event without a report, or a hand-over to the full decode."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import plenty_events
from helpers import key_count, long_road
from plenty_events import DecodeError, _decode, _json
from plenty_events.testing import payloads, sample_payload, to_json
from strategies import near_payloads

SAMPLE = to_json(sample_payload())


def quick(data: bytes) -> object:
    """The quick path alone: the event, or None for the full decode."""
    parsed = _json.parse_quick(data)
    return None if parsed is None else _decode._quick(*parsed)


@given(near_payloads())
def test_what_the_quick_path_returns_the_full_decode_returns_in_both_modes(payload: dict[str, Any]) -> None:
    """A quick result is the event both modes' full decodes return, without a repair."""
    data = to_json(payload)
    event = quick(data)
    if event is None:
        return
    assert isinstance(event, plenty_events.ServicePurchaseEvent)
    for strict in (True, False):
        expected = long_road(data, strict=strict)
        assert isinstance(expected, plenty_events.ServicePurchaseEvent)
        assert event == expected
        assert expected.repairs == ()
    assert event.repairs == ()


@given(near_payloads(), st.booleans())
def test_decode_gives_the_full_decodes_result_and_findings(payload: dict[str, Any], strict: bool) -> None:
    """Whichever path it takes, and whether it parses once or twice, decode returns what the full decode does."""
    data = to_json(payload)
    expected = long_road(data, strict=strict)
    try:
        event = plenty_events.decode(data, strict=strict)
    except DecodeError as exc:
        assert isinstance(expected, DecodeError)
        assert exc.errors == expected.errors
        return
    assert event == expected
    assert event.repairs == expected.repairs  # type: ignore[union-attr]


@given(payloads(max_items=8))
def test_valid_payloads_take_the_quick_path(payload: dict[str, Any]) -> None:
    """Every strictly valid payload whose strings hold no colon is decoded quickly, with whitespace too."""
    data = to_json(payload)
    if data.count(b":") != key_count(payload):
        return  # a colon in a string: see the test below
    assert quick(data) is not None
    assert quick(b"{\n  " + data[1:-1] + b"\n}\n") is not None


def test_the_sample_takes_the_quick_path() -> None:
    """The documented example is decoded quickly, to the event the full decode returns."""
    assert quick(SAMPLE) == long_road(SAMPLE, strict=True)


def test_a_colon_in_a_string_takes_the_full_decode() -> None:
    """Colons in strings spoil the count that proves the keys unique: the full decode decides, and accepts."""
    data = SAMPLE.replace(b"SuperService", b"Plan: Pro")
    assert quick(data) is None
    assert plenty_events.decode(data, strict=True).resource.order.order_items[0].order_item_name == "Plan: Pro"


@pytest.mark.parametrize(
    "data",
    [
        SAMPLE.replace(b'"contact":{', b'"contact":{"id":1,'),
        SAMPLE.replace(b'"contact":{', b'"contact":{"id":1,').replace(b"SuperService", b"a:b"),
        SAMPLE.replace(b'"orderItems":[{', b'"orderItems":[{"quantity":7,'),
    ],
    ids=["duplicate", "duplicate and a colon in a string", "duplicate in an item"],
)
@pytest.mark.parametrize("strict", [True, False])
def test_a_duplicate_key_never_passes_quickly(data: bytes, strict: bool) -> None:
    """A duplicate key, even beside a colon in a string, goes to the full decode, which rejects it."""
    assert quick(data) is None
    with pytest.raises(DecodeError) as raised:
        plenty_events.decode(data, strict=strict)
    assert "duplicate_key" in {error.code for error in raised.value.errors}


@pytest.mark.parametrize(
    "data",
    [
        SAMPLE.replace(b"SERVICE.PLUGIN.PURCHASE", b"SERVICE.PLUGIN.REFUND"),
        SAMPLE.replace(b'"country":"DE"', b'"country":"de"'),
        SAMPLE.replace(b'"priceNet":41.1765', b'"priceNet":41.17651'),
    ],
    ids=["another type", "needs a repair", "invalid"],
)
def test_anything_else_takes_the_full_decode(data: bytes) -> None:
    """Another event type, a payload needing a repair, or an invalid one, is not decoded quickly."""
    assert quick(data) is None
