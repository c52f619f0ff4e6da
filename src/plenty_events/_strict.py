"""The strict rules: the documented contract of the wire format, exactly.

One function per field kind. Each takes the wire value, the path of the
object that holds it and its key, and the report; it returns the model value,
or reports an error and returns ``INVALID``. ``_lenient`` builds on these.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Final, cast

from . import countries
from ._errors import shorten
from ._json import INVALID, duplicate_keys
from ._model import EventType, Gender, Kind
from ._report import Report, key_path, member_path, type_name
from .timestamps import EPOCH, MAX_SECONDS, from_unix

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    Rule = Callable[[object, str, "str | int", Report], object]

MAX_ID_LENGTH: Final = 200
INT_MIN: Final = -(2**63)
INT_MAX: Final = 2**63 - 1
MAX_PLACES: Final = 4
#: Prices and quantities stay below 10**15 in magnitude: exact, and far from
#: anything the ``decimal`` context would round when summing an order.
DECIMAL_DIGITS: Final = 15
DECIMAL_LIMIT: Final = Decimal(10) ** DECIMAL_DIGITS

_EVENT_TYPES: Final = frozenset(EventType)
GENDERS: Final[dict[str, Gender | None]] = {g.value: g for g in Gender} | {"": None}


def fail(parent: str, key: str | int | None, report: Report, code: str, message: str) -> object:
    """Report an error at the member ``key`` of ``parent`` and return INVALID."""
    report.error(member_path(parent, key), code, message)
    return INVALID


def event_id(value: object, parent: str, key: str | int, report: Report) -> object:
    """A string of 1 to 200 characters."""
    if type(value) is not str:
        return fail(parent, key, report, "string_type", f"expected a string, got {type_name(value)}")
    if not value:
        return fail(parent, key, report, "string_too_short", "the id is empty")
    if len(value) > MAX_ID_LENGTH:
        return fail(
            parent,
            key,
            report,
            "string_too_long",
            f"the id has {len(value)} characters, at most {MAX_ID_LENGTH} are allowed",
        )
    return value


def event_type(value: object, parent: str, key: str | int, report: Report) -> object:  # noqa: ARG001
    """The ``type`` that picked the model, as its ``EventType`` member."""
    if type(value) is str and value in _EVENT_TYPES:
        return EventType(value)
    # Decoding dispatches on the type before it picks this rule's model.
    raise AssertionError(f"no model for event type {shown(str(value), 40)}")


def text(value: object, parent: str, key: str | int, report: Report) -> object:
    """Any string, the empty one included."""
    if type(value) is str:
        return value
    return fail(parent, key, report, "string_type", f"expected a string, got {type_name(value)}")


def integer(value: object, parent: str, key: str | int, report: Report) -> object:
    """A JSON integer literal in the signed 64-bit range (``1338.0`` is not one)."""
    if type(value) is not int:
        return fail(parent, key, report, "int_type", f"expected an integer, got {type_name(value)}")
    if not INT_MIN <= value <= INT_MAX:
        return fail(parent, key, report, "int_range", "the integer is outside the signed 64-bit range")
    return value


def timestamp(value: object, parent: str, key: str | int, report: Report) -> object:
    """Non-negative integer Unix seconds, up to the end of the year 9999."""
    if type(value) is not int:
        return fail(parent, key, report, "int_type", f"expected integer Unix seconds, got {type_name(value)}")
    if not 0 <= value <= MAX_SECONDS:
        return fail(
            parent,
            key,
            report,
            "timestamp_range",
            f"expected Unix seconds from 0 ({EPOCH:%Y-%m-%d}) to {MAX_SECONDS} (9999-12-31)",
        )
    return from_unix(value)


def decimal(value: object, parent: str, key: str | int, report: Report) -> object:
    """A JSON number with at most four decimal places, read exactly."""
    if type(value) is int:
        number = Decimal(value)
    elif type(value) is Decimal:
        number = value
    elif type(value) is float:
        return fail(
            parent,
            key,
            report,
            "number_type",
            "got a float, which cannot carry an exact price; decode the raw body instead",
        )
    else:
        return fail(parent, key, report, "number_type", f"expected a number, got {type_name(value)}")
    if bounded(number, parent, key, report) is INVALID:
        return INVALID
    exponent = number.as_tuple().exponent  # an int: bounded() let only finite numbers through
    if isinstance(exponent, int) and exponent < -MAX_PLACES:
        return fail(
            parent,
            key,
            report,
            "decimal_places",
            f"the number has {-exponent} decimal places, at most {MAX_PLACES} are allowed",
        )
    return number


def bounded(number: Decimal, parent: str, key: str | int, report: Report) -> Decimal | object:
    """Reject a number of magnitude 10**15 or more."""
    # adjusted() is the exponent of the leading digit; unlike abs() it needs
    # no arithmetic context, which would overflow on 1e999999999.
    if not number.is_finite() or (number and number.adjusted() >= DECIMAL_DIGITS):
        return fail(parent, key, report, "decimal_range", "the number's magnitude must stay below 10**15")
    return number


def gender(value: object, parent: str, key: str | int, report: Report) -> object:
    """``"male"``, ``"female"``, ``"diverse"``, or ``""`` for none (``None``)."""
    if type(value) is not str:
        return fail(parent, key, report, "string_type", f"expected a string, got {type_name(value)}")
    try:
        return GENDERS[value]
    except KeyError:
        return fail(parent, key, report, "gender", "expected 'male', 'female', 'diverse' or an empty string")


def country(value: object, parent: str, key: str | int, report: Report) -> object:
    """An uppercase ISO 3166-1 alpha-2 code, or a plentymarkets code such as ``XI``."""
    if type(value) is not str:
        return fail(parent, key, report, "string_type", f"expected a string, got {type_name(value)}")
    if countries.is_valid(value):
        return value
    return fail(
        parent,
        key,
        report,
        "country_code",
        f"{shown(value)} is not an uppercase ISO 3166-1 alpha-2 code nor a plentymarkets country code",
    )


def shown(value: str, limit: int = 8) -> str:
    """Quote a short value for a message; a long one is cut."""
    return repr(shorten(value, limit))


def obj(value: object, parent: str, key: str | int | None, report: Report) -> dict[str, object] | None:
    """A JSON object without duplicate keys; ``None`` when it is not one."""
    if not isinstance(value, dict):
        fail(parent, key, report, "object_type", f"expected an object, got {type_name(value)}")
        return None
    obj = cast("dict[str, object]", value)  # the parser, or _json.check, made the keys strings
    if type(obj) is not dict:
        where = member_path(parent, key)
        for duplicate in duplicate_keys(obj):
            report.error(key_path(where, duplicate), "duplicate_key", "the key occurs more than once in this object")
    return obj


def resource(value: object, parent: str, key: str, report: Report) -> tuple[dict[str, object] | None, str]:
    """An object (the docs say ``Resource[]``; the example, and this rule, say object)."""
    return obj(value, parent, key, report), key_path(parent, key)


def array(value: object, parent: str, key: str | int, report: Report) -> list[object] | None:
    """A non-empty JSON array."""
    if type(value) is not list:
        fail(parent, key, report, "array_type", f"expected an array, got {type_name(value)}")
        return None
    if not value:
        fail(parent, key, report, "array_too_short", "the array needs at least one item")
        return None
    return cast("list[object]", value)


def missing(kind: Kind, parent: str, key: str, report: Report) -> object:  # noqa: ARG001 -- one signature for both modes
    """Every documented key is required."""
    return fail(parent, key, report, "missing", "the key is required")


def unknown(keys: Iterable[str], parent: str, report: Report) -> None:
    """No key outside the documented ones, at any level."""
    for name in keys:
        report.error(key_path(parent, name), "extra_forbidden", "the key is not part of the wire format")


RULES: Final[dict[Kind, Rule]] = {
    Kind.EVENT_ID: event_id,
    Kind.EVENT_TYPE: event_type,
    Kind.TIMESTAMP: timestamp,
    Kind.INTEGER: integer,
    Kind.TEXT: text,
    Kind.OPTIONAL_TEXT: text,
    Kind.GENDER: gender,
    Kind.COUNTRY: country,
    Kind.DECIMAL: decimal,
}
