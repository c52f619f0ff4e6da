"""The lenient rules: what can be repaired without guessing, and is reported.

Each rule accepts everything its strict twin in ``_strict`` accepts, with the
same result, and then some: every change it makes is recorded in the report
as a repair. What cannot be repaired without guessing stays an error.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Final, cast

from . import countries, timestamps
from ._json import DECIMAL_TEXT, INVALID
from ._model import Kind
from ._report import Report, key_path, member_path, type_name
from ._strict import GENDERS, INT_MAX, INT_MIN, bounded, fail, obj
from ._strict import array as array  # noqa: PLC0414 -- the same rule in both modes
from ._strict import event_id as strict_event_id
from ._strict import event_type as event_type  # noqa: PLC0414
from ._strict import text as text  # noqa: PLC0414

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ._strict import Rule


def _repair(parent: str, key: str | int, report: Report, code: str, message: str) -> None:
    report.repair(member_path(parent, key), code, message)


def _number(value: object, parent: str, key: str | int, report: Report, *, integral: bool) -> Decimal | int | None:
    """Read an int, a fraction, a float or a decimal string; report what was read."""
    if type(value) is int or type(value) is Decimal:
        return value
    if type(value) is float:
        _repair(parent, key, report, "number_from_float", "read a float by its shortest repr")
        return Decimal(repr(value))
    if type(value) is str:
        stripped = value.strip()
        if DECIMAL_TEXT.match(stripped):
            try:
                number = Decimal(stripped)
            except InvalidOperation:  # an exponent past what Decimal can hold
                code = "int_range" if integral else "decimal_range"
                fail(parent, key, report, code, "the number's exponent is out of range")
                return None
            code = "int_from_string" if integral else "number_from_string"
            _repair(parent, key, report, code, "read a number from a string")
            return number
    if integral:
        fail(parent, key, report, "int_type", f"expected an integer, got {type_name(value)}")
    else:
        fail(parent, key, report, "number_type", f"expected a number, got {type_name(value)}")
    return None


def event_id(value: object, parent: str, key: str | int, report: Report) -> object:
    """Strict's id, or an integer id written as its decimal string."""
    if type(value) is int:
        _repair(parent, key, report, "string_from_int", "wrote the integer id as a string")
        value = str(value)
    return strict_event_id(value, parent, key, report)


def optional_text(value: object, parent: str, key: str | int, report: Report) -> object:
    """A string; ``null`` becomes ``""``."""
    if value is None:
        _repair(parent, key, report, "null_to_empty", "replaced null with an empty string")
        return ""
    return text(value, parent, key, report)


def integer(value: object, parent: str, key: str | int, report: Report) -> object:
    """An integer, an integral fraction (``1338.0``) or a decimal string (``"1338"``)."""
    number = _number(value, parent, key, report, integral=True)
    if number is None:
        return INVALID
    if type(number) is Decimal:
        if not number.is_finite() or (number and number.adjusted() > 18):
            return fail(parent, key, report, "int_range", "the integer is outside the signed 64-bit range")
        if number != number.to_integral_value():
            return fail(parent, key, report, "int_fraction", "expected an integer, got a fraction with a non-zero part")
        if type(value) is Decimal:
            _repair(parent, key, report, "int_from_fraction", "read an integral fraction as an integer")
        number = int(number)
    if not INT_MIN <= number <= INT_MAX:
        return fail(parent, key, report, "int_range", "the integer is outside the signed 64-bit range")
    return number


def decimal(value: object, parent: str, key: str | int, report: Report) -> object:
    """A number or a decimal string, any number of decimal places, never a float."""
    number = _number(value, parent, key, report, integral=False)
    if number is None:
        return INVALID
    return bounded(number if isinstance(number, Decimal) else Decimal(number), parent, key, report)


def timestamp(value: object, parent: str, key: str | int, report: Report) -> object:
    """Seconds, milliseconds, fractions, decimal strings, ISO 8601: see ``timestamps.parse``."""
    try:
        conversion = timestamps.parse(value)
    except ValueError as exc:
        return fail(parent, key, report, "timestamp_invalid", f"{exc}")
    for code, message in conversion.repairs:
        _repair(parent, key, report, code, message)
    return conversion.moment


def gender(value: object, parent: str, key: str | int, report: Report) -> object:
    """Case-insensitive; ``null`` is ``None``; an unknown value is kept as it is."""
    if value is None:
        _repair(parent, key, report, "null_to_empty", "read null as no gender")
        return None
    if type(value) is not str:
        return fail(parent, key, report, "string_type", f"expected a string, got {type_name(value)}")
    if value in GENDERS:
        return GENDERS[value]
    folded = value.lower()
    if folded in GENDERS:
        _repair(parent, key, report, "gender_case", "read the gender case-insensitively")
        return GENDERS[folded]
    _repair(parent, key, report, "gender_unknown", "kept a gender value outside the documented ones")
    return value


_COUNTRY_REPAIRS: Final = {
    "country_normalized": "normalised whitespace and case of the country code",
    "country_alpha3": "mapped an ISO alpha-3 country code to alpha-2",
    "country_unknown": "kept a country code that is neither ISO 3166-1 nor plentymarkets'",
}


def country(value: object, parent: str, key: str | int, report: Report) -> object:
    """A code normalised for case, whitespace and alpha-3; or a plentymarkets country ID."""
    if type(value) is int:
        try:
            found = countries.by_id(value)
        except KeyError:
            found = None
        if found is None or found.id == 0:
            return fail(parent, key, report, "country_code", "the integer is not a known plentymarkets country ID")
        _repair(parent, key, report, "country_from_id", "mapped a plentymarkets country ID to its code")
        value = found.code
    if type(value) is not str:
        return fail(parent, key, report, "string_type", f"expected a string, got {type_name(value)}")
    code, repair = countries.normalize(value)
    if repair is not None:
        _repair(parent, key, report, repair, _COUNTRY_REPAIRS[repair])
    return code


def resource(value: object, parent: str, key: str, report: Report) -> tuple[dict[str, object] | None, str]:
    """An object, or a one-element array of one (the docs say ``Resource[]``)."""
    path = key_path(parent, key)
    if type(value) is list:
        items = cast("list[object]", value)
        if len(items) != 1:
            fail(
                parent,
                key,
                report,
                "object_type",
                f"expected an object or a one-element array, got an array of {len(items)}",
            )
            return None, path
        _repair(parent, key, report, "resource_unwrapped", "unwrapped the one-element resource array")
        return obj(items[0], path, 0, report), f"{path}[0]"
    return obj(value, parent, key, report), path


def missing(kind: Kind, parent: str, key: str, report: Report) -> object:
    """Optional strings default to ``""``; every other key is still required."""
    if kind is Kind.OPTIONAL_TEXT:
        _repair(parent, key, report, "missing_to_empty", "filled in a missing key with an empty string")
        return ""
    return fail(parent, key, report, "missing", "the key is required")


def unknown(keys: Iterable[str], parent: str, report: Report) -> None:
    """Unknown keys are ignored, and reported: plentymarkets may have added a field."""
    for name in keys:
        report.repair(key_path(parent, name), "key_ignored", "ignored a key that is not part of the wire format")


RULES: Final[dict[Kind, Rule]] = {
    Kind.EVENT_ID: event_id,
    Kind.EVENT_TYPE: event_type,
    Kind.TIMESTAMP: timestamp,
    Kind.INTEGER: integer,
    Kind.TEXT: text,
    Kind.OPTIONAL_TEXT: optional_text,
    Kind.GENDER: gender,
    Kind.COUNTRY: country,
    Kind.DECIMAL: decimal,
}

__all__ = ["RULES", "array", "missing", "obj", "resource", "unknown"]
