"""Encoding: the wire-format mapping and compact UTF-8 JSON with exact numbers."""

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import plenty_events
from plenty_events import _json
from plenty_events.testing import events, sample_payload, to_json
from tests.strategies import repairable

EVENT = plenty_events.decode(sample_payload(), strict=True)


def test_to_dict_is_the_wire_mapping():
    """to_dict gives camelCase keys, Unix-second ints, Decimal prices and enum values as strings."""
    wire = plenty_events.to_dict(EVENT)
    assert wire == sample_payload()
    assert type(wire["type"]) is str
    assert type(wire["resource"]["contact"]["gender"]) is str
    assert type(wire["resource"]["order"]["orderItems"]) is list


def test_encode_is_compact_utf8_json_equal_to_the_sample():
    """Encode writes compact JSON, byte-identical to the compact sample."""
    assert plenty_events.encode(EVENT) == to_json(sample_payload())


def test_non_ascii_is_written_as_utf8():
    """Non-ASCII text is UTF-8, not escapes."""
    event = attrs.evolve(EVENT, id="évt_😀")
    assert plenty_events.encode(event).startswith('{"id":"évt_😀"'.encode())


def test_no_gender_encodes_as_the_empty_string():
    """Gender None is the wire's empty string."""
    contact = attrs.evolve(EVENT.resource.contact, gender=None)
    assert plenty_events.to_dict(contact)["gender"] == ""


@pytest.mark.parametrize(
    "price",
    [
        Decimal("41.1765"),
        Decimal("0.0001"),
        Decimal("49.00"),
        Decimal("1E+3"),
        Decimal("-0"),
        Decimal("123456789012345.6789"),
    ],
)
def test_prices_are_written_exactly(price):
    """A Decimal is written as its exact literal and parses back to the same Decimal."""
    item = attrs.evolve(EVENT.resource.order.order_items[0], price_net=price)
    written = json.loads(plenty_events.encode(item), parse_float=Decimal, parse_int=Decimal)["priceNet"]
    assert written == price
    assert written.as_tuple() == price.as_tuple() or price == 0


def test_a_naive_timestamp_cannot_be_encoded():
    """A naive datetime has no Unix time: ValueError."""
    with pytest.raises(ValueError, match="naive"):
        plenty_events.encode(attrs.evolve(EVENT, created_at=datetime(2020, 1, 1)))  # noqa: DTZ001


def test_a_fraction_of_a_second_cannot_be_encoded():
    """The wire format carries whole seconds: ValueError rather than silent truncation."""
    with pytest.raises(ValueError, match="whole seconds"):
        plenty_events.encode(attrs.evolve(EVENT, created_at=datetime(2020, 1, 1, 0, 0, 0, 5, tzinfo=UTC)))


def test_other_zones_encode_as_the_same_instant():
    """An aware datetime in another zone encodes to its Unix seconds."""
    moment = datetime(2017, 11, 14, 11, 41, 6, tzinfo=timezone(timedelta(hours=1)))
    assert plenty_events.to_dict(attrs.evolve(EVENT, created_at=moment))["createdAt"] == 1510656066


@pytest.mark.parametrize("price", [Decimal("NaN"), Decimal("Infinity")])
def test_non_finite_numbers_cannot_be_encoded(price):
    """NaN and Infinity are not JSON numbers: ValueError."""
    item = attrs.evolve(EVENT.resource.order.order_items[0], price_net=price)
    with pytest.raises(ValueError, match="JSON number"):
        plenty_events.encode(item)


def test_a_lone_surrogate_cannot_be_encoded():
    """A string UTF-8 cannot hold is a ValueError (UnicodeEncodeError)."""
    with pytest.raises(ValueError, match="surrogate"):
        plenty_events.encode(attrs.evolve(EVENT, id="\ud800"))


@pytest.mark.parametrize("value", [object(), {1: 2}, {1, 2}])
def test_non_json_values_cannot_be_encoded(value):
    """An UnknownEvent built by hand with a non-JSON resource fails with TypeError."""
    event = plenty_events.UnknownEvent(id="e", type="X", created_at=EVENT.created_at, resource={"x": value})
    with pytest.raises(TypeError):
        plenty_events.encode(event)


def test_floats_and_nested_values_in_an_unknown_resource_are_written():
    """A hand-built raw resource may hold floats, tuples, booleans and null."""
    event = plenty_events.UnknownEvent(
        id="e", type="X", created_at=EVENT.created_at, resource={"a": [1.5, (True, False), None]}
    )
    assert plenty_events.encode(event).endswith(b'"resource":{"a":[1.5,[true,false],null]}}')


def test_only_events_are_encoded():
    """to_dict of a value that is not an attrs event is a TypeError."""
    with pytest.raises(TypeError, match="not an event"):
        plenty_events.to_dict(42)


@given(events(max_items=3), st.booleans())
def test_msgspec_writes_what_the_librarys_writer_writes(event, redacted):
    """Encode's bytes, from msgspec, are the hand-written writer's, byte for byte."""
    if redacted:
        event = plenty_events.redact(event)
    assert plenty_events.encode(event) == _json.dumps(plenty_events.to_dict(event)).encode("utf-8")


@given(repairable())
def test_msgspec_writes_leniently_decoded_events_alike(pair):
    """A leniently decoded event, repairs and all, encodes to the hand-written writer's bytes."""
    event = plenty_events.decode(pair[1])
    assert plenty_events.encode(event) == _json.dumps(plenty_events.to_dict(event)).encode("utf-8")
