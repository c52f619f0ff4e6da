"""plenty_events.timestamps: Unix seconds to aware UTC datetimes and back, and the lenient parser."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plenty_events import timestamps


@given(st.integers(min_value=timestamps.MIN_SECONDS, max_value=timestamps.MAX_SECONDS))
def test_from_unix_and_to_unix_are_inverse(seconds):
    """Every second a datetime can hold converts to an aware UTC datetime and back."""
    moment = timestamps.from_unix(seconds)
    assert moment.tzinfo is UTC
    assert timestamps.to_unix(moment) == seconds


@pytest.mark.parametrize("seconds", [timestamps.MIN_SECONDS - 1, timestamps.MAX_SECONDS + 1, 10**100])
def test_from_unix_rejects_seconds_outside_the_years_1_to_9999(seconds):
    """Out of range is a ValueError, never an OverflowError."""
    with pytest.raises(ValueError, match="outside"):
        timestamps.from_unix(seconds)


@pytest.mark.parametrize("value", [True, 1.0, Decimal(1), "1"])
def test_from_unix_takes_only_ints(value):
    """Booleans, floats, decimals and strings are a TypeError."""
    with pytest.raises(TypeError):
        timestamps.from_unix(value)


def test_to_unix_rejects_naive_datetimes():
    """A naive datetime has no Unix time."""
    with pytest.raises(ValueError, match="naive"):
        timestamps.to_unix(datetime(2020, 1, 1))  # noqa: DTZ001


def test_to_unix_rejects_sub_second_precision():
    """The wire format cannot carry microseconds."""
    with pytest.raises(ValueError, match="whole seconds"):
        timestamps.to_unix(datetime(2020, 1, 1, microsecond=1, tzinfo=UTC))


def test_to_unix_honours_the_offset():
    """An aware datetime in another zone gives the Unix seconds of its instant."""
    moment = datetime(2017, 11, 14, 11, 41, 6, tzinfo=timezone(timedelta(hours=1)))
    assert timestamps.to_unix(moment) == 1510656066


def test_parse_keeps_integer_seconds_without_repairs():
    """Integer seconds are the canonical form: no repair."""
    assert timestamps.parse(1510656066) == (timestamps.from_unix(1510656066), ())


@given(st.integers(min_value=timestamps.MAX_SECONDS + 1, max_value=timestamps.MAX_MILLISECONDS))
def test_parse_reads_large_integers_as_milliseconds(millis):
    """Every integer past the seconds range, up to MAX_MILLISECONDS, is milliseconds, floored to the second."""
    conversion = timestamps.parse(millis)
    assert timestamps.to_unix(conversion.moment) == millis // 1000
    assert conversion.repairs[0][0] == "timestamp_milliseconds"


def test_parse_floors_negative_fractions_towards_the_past():
    """-0.5 seconds is 1969-12-31T23:59:59Z, as Unix time counts."""
    assert timestamps.parse(Decimal("-0.5")).moment == datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)


def test_parse_reads_floats_by_their_shortest_repr():
    """A float from a parsed body is read through its repr, not its binary value."""
    conversion = timestamps.parse(1510656066.0)
    assert conversion.moment == timestamps.from_unix(1510656066)
    assert [code for code, _ in conversion.repairs] == ["number_from_float", "int_from_fraction"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2014-04-09 23:18:24", datetime(2014, 4, 9, 21, 18, 24, tzinfo=UTC)),
        ("2014-01-09 23:18:24", datetime(2014, 1, 9, 22, 18, 24, tzinfo=UTC)),
        ("2014-01-09T23:18:24", datetime(2014, 1, 9, 22, 18, 24, tzinfo=UTC)),
        ("20140109T231824", datetime(2014, 1, 9, 22, 18, 24, tzinfo=UTC)),
    ],
)
def test_parse_reads_times_without_offset_in_german_local_time(text, expected):
    """A date and time without offset is Europe/Berlin time: +01:00 in winter, +02:00 in summer."""
    conversion = timestamps.parse(text)
    assert conversion.moment == expected
    assert ("timestamp_local_time", "read a time without offset as Europe/Berlin time") in conversion.repairs


@pytest.mark.parametrize(
    "value", [True, None, [], "soon", "2017-11-14", "", 10**20, Decimal("NaN"), "9999-12-31T23:59:59-01:00"]
)
def test_parse_rejects_what_it_cannot_read_without_guessing(value):
    """Booleans, non-numbers, bare dates and moments outside the years 1 to 9999 are a ValueError."""
    with pytest.raises(ValueError):  # noqa: PT011 -- the messages are tested through decode
        timestamps.parse(value)
