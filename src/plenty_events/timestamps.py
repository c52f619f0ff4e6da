"""Unix seconds to aware UTC datetimes and back, and the lenient timestamp parser.

The webhook carries every timestamp as integer Unix seconds. Strict decoding
accepts exactly that ([from_unix][plenty_events.timestamps.from_unix]); lenient
decoding also accepts the forms that other systems turn them into
([parse][plenty_events.timestamps.parse]). Encoding always writes integer seconds
([to_unix][plenty_events.timestamps.to_unix]).

Examples:
    >>> from plenty_events import timestamps
    >>> timestamps.from_unix(1510656066)
    datetime.datetime(2017, 11, 14, 10, 41, 6, tzinfo=datetime.timezone.utc)
    >>> timestamps.to_unix(timestamps.from_unix(1510656066))
    1510656066
    >>> timestamps.parse("2019-12-18T08:13:45+01:00").moment
    datetime.datetime(2019, 12, 18, 7, 13, 45, tzinfo=datetime.timezone.utc)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Final, NamedTuple

from ._codegen import lazy_pattern
from ._json import DECIMAL_TEXT

if TYPE_CHECKING:
    from datetime import tzinfo

__all__ = [
    "LOCAL_ZONE_NAME",
    "MAX_MILLISECONDS",
    "MAX_SECONDS",
    "MIN_SECONDS",
    "Conversion",
    "from_unix",
    "parse",
    "to_unix",
]

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

MIN_SECONDS: Final = -62_135_596_800
"""0001-01-01T00:00:00Z, the earliest moment a `datetime` holds."""

MAX_SECONDS: Final = 253_402_300_799
"""9999-12-31T23:59:59Z, the latest whole second a `datetime` holds."""

MAX_MILLISECONDS: Final = MAX_SECONDS * 1000 + 999
"""The largest number [parse][plenty_events.timestamps.parse] reads as Unix milliseconds."""

LOCAL_ZONE_NAME: Final = "Europe/Berlin"
"""The zone [parse][plenty_events.timestamps.parse] assumes for a date and time without an offset.

plentymarkets runs in Germany and its REST API writes local German time
(`+01:00` in winter, `+02:00` in summer), so a time without an offset,
such as `"2014-04-09 23:18:24"`, is read as German local time.
"""

# A date *and* a time: a bare date would make us guess the time of day.
_DATE_TIME: Final = lazy_pattern(r"[0-9]{4}-?[0-9]{2}-?[0-9]{2}[T ][0-9]{2}")


class Conversion(NamedTuple):
    """What [parse][plenty_events.timestamps.parse] made of a value.

    Attributes:
        moment: The aware UTC datetime, in whole seconds.
        repairs: `(code, message)` pairs saying what was changed to get
            there; empty when the value was already integer Unix seconds.
    """

    moment: datetime
    repairs: tuple[tuple[str, str], ...]


def from_unix(seconds: int) -> datetime:
    """Return the aware UTC datetime of integer Unix `seconds`.

    Raises:
        TypeError: `seconds` is not an `int` (a `bool` is not one here).
        ValueError: It lies outside the years 1 to 9999.
    """
    if type(seconds) is not int:
        raise TypeError(f"Unix seconds must be an int, not {type(seconds).__name__}")
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise ValueError("Unix seconds outside the years 1 to 9999")
    return EPOCH + timedelta(seconds=seconds)


def to_unix(moment: datetime) -> int:
    """Return the integer Unix seconds of an aware `moment`.

    Raises:
        ValueError: `moment` is naive, or has a fraction of a second, which
            the wire format cannot carry.
    """
    if moment.utcoffset() is None:
        raise ValueError("a naive datetime has no defined Unix time; attach a tzinfo")
    if moment.microsecond:
        raise ValueError("the wire format carries whole seconds; drop the microseconds")
    delta = moment - EPOCH
    return delta.days * 86_400 + delta.seconds


def parse(value: object) -> Conversion:
    """Read a timestamp the way lenient decoding does.

    Accepted, in this order:

    - an `int` from [MIN_SECONDS][plenty_events.timestamps.MIN_SECONDS] to
      [MAX_SECONDS][plenty_events.timestamps.MAX_SECONDS]: Unix seconds, unchanged.
      Every integer that strict decoding accepts means seconds here too.
    - a larger `int` up to [MAX_MILLISECONDS][plenty_events.timestamps.MAX_MILLISECONDS]:
      Unix milliseconds. A value in seconds that large would lie past the
      year 9999, so the two readings never overlap; milliseconds before
      1978-01-11 are below the bound and read as seconds.
    - a `Decimal` or `float` (seconds, or milliseconds by the same rule),
      and a string holding a decimal number: the fraction of a second is
      dropped (rounded towards the past, as Unix time does).
    - an ISO 8601 / RFC 3339 string with a date and a time: with an offset or
      `Z` it is converted to UTC; without one (plentymarkets'
      `"2014-04-09 23:18:24"`) it is read in
      [LOCAL_ZONE_NAME][plenty_events.timestamps.LOCAL_ZONE_NAME].

    Returns:
        The moment, and the repairs that reading it took.

    Raises:
        ValueError: Anything else, such as a boolean, unparseable text, a
            date without a time, or a moment outside the years 1 to 9999.

    Examples:
        >>> from plenty_events import timestamps
        >>> conversion = timestamps.parse("1510656066000")
        >>> conversion.moment.isoformat()
        '2017-11-14T10:41:06+00:00'
        >>> [code for code, _ in conversion.repairs]
        ['timestamp_from_string', 'timestamp_milliseconds']
    """
    if isinstance(value, bool):
        raise ValueError("a boolean is not a timestamp")  # noqa: TRY004 -- one error type for every unreadable value
    if type(value) is int:
        return _from_number(value, ())
    if isinstance(value, float):
        return _from_number(Decimal(repr(value)), (("number_from_float", "read a float"),))
    if isinstance(value, Decimal):
        return _from_number(value, ())
    if isinstance(value, str):
        text = value.strip()
        if DECIMAL_TEXT.match(text):
            try:
                number = Decimal(text)
            except InvalidOperation as exc:  # an exponent past what Decimal can hold
                raise ValueError("the number is outside the years 1 to 9999") from exc
            return _from_number(number, (("timestamp_from_string", "read a number from a string"),))
        if _DATE_TIME.match(text):
            return _from_text(text)
        raise ValueError("the text is neither a number nor an ISO 8601 date and time")
    raise ValueError("expected a number or a string")


def _from_number(number: int | Decimal, repairs: tuple[tuple[str, str], ...]) -> Conversion:
    if isinstance(number, Decimal):
        if not number.is_finite() or number.adjusted() > 16:
            raise ValueError("the number is outside the years 1 to 9999")
        whole = int(number.to_integral_value(rounding=ROUND_FLOOR))
        if whole != number:
            repairs = (*repairs, ("timestamp_fraction", "dropped the fraction of a second"))
        elif number.as_tuple().exponent != 0:
            repairs = (*repairs, ("int_from_fraction", "read an integral fraction as an integer"))
        number = whole
    if MIN_SECONDS <= number <= MAX_SECONDS:
        return Conversion(EPOCH + timedelta(seconds=number), repairs)
    if MAX_SECONDS < number <= MAX_MILLISECONDS:
        seconds, millis = divmod(number, 1000)
        repairs = (*repairs, ("timestamp_milliseconds", "read Unix milliseconds as seconds"))
        if millis and not any(code == "timestamp_fraction" for code, _ in repairs):
            repairs = (*repairs, ("timestamp_fraction", "dropped the fraction of a second"))
        return Conversion(EPOCH + timedelta(seconds=seconds), repairs)
    raise ValueError("the number is outside the years 1 to 9999")


def _from_text(text: str) -> Conversion:
    # dateutil's parser costs an import; only lenient string timestamps need it.
    from dateutil.parser import isoparse  # noqa: PLC0415

    try:
        moment = isoparse(text)
    except (ValueError, OverflowError) as exc:
        raise ValueError("the text is not an ISO 8601 date and time") from exc
    repairs: tuple[tuple[str, str], ...] = (("timestamp_from_string", "read an ISO 8601 date and time"),)
    if moment.utcoffset() is None:
        moment = moment.replace(tzinfo=_local_zone())
        repairs = (*repairs, ("timestamp_local_time", f"read a time without offset as {LOCAL_ZONE_NAME} time"))
    try:
        moment = moment.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("the moment is outside the years 1 to 9999") from exc
    if moment.microsecond:
        moment = moment.replace(microsecond=0)
        repairs = (*repairs, ("timestamp_fraction", "dropped the fraction of a second"))
    return Conversion(moment, repairs)


def _local_zone() -> tzinfo:
    from dateutil import tz  # noqa: PLC0415

    zone = tz.gettz(LOCAL_ZONE_NAME)
    if zone is None:  # pragma: no cover -- dateutil ships its own zone data
        raise AssertionError(f"no time zone data for {LOCAL_ZONE_NAME}")
    return zone
