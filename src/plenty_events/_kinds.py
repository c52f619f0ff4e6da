"""The field kinds of the wire format, each declared once.

A kind is everything the library knows about one sort of field, in one
object: the msgspec type that the fast road decodes it with (type and
``Meta`` constraints, enforced in C), the conversion of that decoded value
into the model value, the strict rule and the lenient rule (the functions
that explain and repair, on the explaining road), the JSON Schema fragment,
and the test data: a Hypothesis strategy of valid wire values, wrong values
with the strict error code each gets, and ways of writing a valid value that
lenient mode repairs back to it.

The model's field metadata names a kind; the fast road, the walk, the
schema, ``plenty_events.testing`` and the tests all read the kind, and no
other module restates a bound, a type or a code list. The property tests of
``tests/test_kinds.py`` hold the fast road and the strict rule of each kind
to the same verdict, so a rule changed alone fails a test that names its
kind.

A rule takes the wire value, the path of the object that holds it and its
key, and the report; it returns the model value, or reports an error and
returns ``INVALID``. A nested kind's rule returns the container (an object
or an array) and its path, or ``None`` where it reported an error.
"""

from __future__ import annotations

import decimal
import enum
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal, cast, final

import iso3166
import msgspec
from msgspec import Meta

from . import countries, timestamps
from ._json import DECIMAL_TEXT, INVALID, NUMBERS, duplicate_keys, read_decimal
from ._privacy import mask_code, mask_head
from ._report import ROOT, Report, index_path, key_path, member_path, type_name
from .timestamps import EPOCH, MAX_SECONDS, from_unix

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    #: (wire value, path of the parent, key in the parent, report) -> model value or INVALID.
    Rule = Callable[[object, str, "str | int", Report], object]
    #: (wire value, path of the parent, key in the parent, report) -> (container or None, its path).
    NestedRule = Callable[[object, str, str, Report], tuple[object | None, str]]
    #: Hypothesis' strategies module, which the test data takes as an argument:
    #: Hypothesis is an optional dependency, imported only by what uses it.
    Strategies = Any

MAX_ID_LENGTH: Final = 200
INT_MIN: Final = -(2**63)
INT_MAX: Final = 2**63 - 1
MAX_PLACES: Final = 4
#: Prices and quantities stay below 10**15 in magnitude: exact, and far from
#: anything the ``decimal`` context would round when summing an order.
DECIMAL_DIGITS: Final = 15
DECIMAL_LIMIT: Final = 10**DECIMAL_DIGITS


class EventType(enum.StrEnum):
    """The event types this library has a model for."""

    SERVICE_PLUGIN_PURCHASE = "SERVICE.PLUGIN.PURCHASE"
    """A customer bought a service on plentyMarketplace."""


class Gender(enum.StrEnum):
    """A contact's gender. The wire format's empty string decodes to `None`."""

    MALE = "male"
    FEMALE = "female"
    DIVERSE = "diverse"


@final
class ScalarKind:
    """A kind of field that holds one JSON value: a string, a number, a boolean.

    Attributes:
        name: The kind's name, as the docs' rule tables use it.
        wire: Returns the msgspec type that the fast road decodes the value
            with. A function, so that a type built from data (the country
            list) is built on first use.
        convert: Turns what msgspec decoded into the model value, or raises
            ``ValueError`` for a value the strict rule rejects; ``None``
            where msgspec's value is the model value.
        convert_with: Arguments that ``convert`` takes after the value, so
            that a function of the standard library can serve as it is
            (a wrapper around it would cost a Python call per value).
        strict: The strict rule.
        lenient: The lenient rule: accepts all the strict rule accepts, with
            the same result, and repairs more.
        schema: Returns the JSON Schema fragment of a wire value; where not
            given, msgspec's schema of the wire type.
        values: Given Hypothesis' strategies module, a strategy of valid wire values.
        wrong: Wrong wire values, each with the code the strict rule reports.
        variants: Rewrites of a valid wire value that lenient mode repairs
            back to the same model value; ``...`` as a result means "leave
            the key out".
        optional: Lenient mode fills in a missing key with ``""``.
        encode: Turns a model value into its wire value, for the encoder;
            ``None`` where the model value is its own wire value.

    """

    __slots__ = (
        "convert",
        "convert_with",
        "encode",
        "lenient",
        "name",
        "optional",
        "schema",
        "strict",
        "values",
        "variants",
        "wire",
        "wrong",
    )

    def __init__(  # noqa: PLR0913 -- one argument per fact of the kind
        self,
        name: str,
        *,
        wire: Callable[[], object],
        convert: Callable[..., object] | None,
        convert_with: tuple[object, ...] = (),
        strict: Rule,
        lenient: Rule,
        schema: Callable[[], dict[str, Any]] | None = None,
        values: Callable[[Strategies], SearchStrategy[Any]],
        wrong: tuple[tuple[object, str], ...],
        variants: tuple[Callable[[Any], object], ...] = (),
        optional: bool = False,
        encode: Callable[[Any], object] | None = None,
    ) -> None:
        self.name = name
        self.wire = wire
        self.convert = convert
        self.convert_with = convert_with
        self.strict = strict
        self.lenient = lenient
        self.schema = schema or (lambda: msgspec.json.schema(wire()))
        self.values = values
        self.wrong = wrong
        self.variants = variants
        self.optional = optional
        self.encode = encode

    def __repr__(self) -> str:
        return f"<kind {self.name}>"


@final
class NestedKind:
    """A kind of field that holds other fields: an object, or an array of objects.

    Attributes:
        name: The kind's name, as the docs' rule tables use it.
        many: An array of objects, rather than one object.
        wire: Given the msgspec type of the nested object, the msgspec type of the field.
        strict: The strict rule, which returns the container and its path.
        lenient: The lenient rule, likewise.
        schema: Given the schema of the nested object, the schema of the field.
        wrong: Wrong wire values, each with the code the strict rule reports.

    """

    __slots__ = ("lenient", "many", "name", "schema", "strict", "wire", "wrong")

    optional: Final = False

    def __init__(  # noqa: PLR0913 -- one argument per fact of the kind
        self,
        name: str,
        *,
        many: bool,
        wire: Callable[[object], object],
        strict: NestedRule,
        lenient: NestedRule,
        schema: Callable[[dict[str, Any]], dict[str, Any]],
        wrong: tuple[tuple[object, str], ...],
    ) -> None:
        self.name = name
        self.many = many
        self.wire = wire
        self.strict = strict
        self.lenient = lenient
        self.schema = schema
        self.wrong = wrong

    def __repr__(self) -> str:
        return f"<kind {self.name}>"


FieldKind = ScalarKind | NestedKind


# Reporting ---------------------------------------------------------------------


def fail(parent: str, key: str | int | None, report: Report, code: str, message: str) -> object:
    """Report an error at the member ``key`` of ``parent`` and return INVALID."""
    report.error(member_path(parent, key), code, message)
    return INVALID


def repair(parent: str, key: str | int, report: Report, code: str, message: str) -> None:
    """Report a repair at the member ``key`` of ``parent``."""
    report.repair(member_path(parent, key), code, message)


# Event id ----------------------------------------------------------------------


def _strict_event_id(value: object, parent: str, key: str | int, report: Report) -> object:
    """A string of 1 to 200 characters."""
    if type(value) is not str:
        return fail(parent, key, report, "string_type", f"expected a string, got {type_name(value)}")
    if len(value) < _ID_MIN_LENGTH:
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


def _lenient_event_id(value: object, parent: str, key: str | int, report: Report) -> object:
    """Strict's id, or an integer id written as its decimal string."""
    if type(value) is int:
        repair(parent, key, report, "string_from_int", "wrote the integer id as a string")
        value = str(value)
    return _strict_event_id(value, parent, key, report)


#: The event id's bounds, declared once: the wire type, the schema, the
#: strict rule and the test data read them.
_ID_MIN_LENGTH: Final = 1
_EVENT_ID_BOUNDS: Final = Meta(min_length=_ID_MIN_LENGTH, max_length=MAX_ID_LENGTH)


EVENT_ID: Final = ScalarKind(
    "event id",
    wire=lambda: Annotated[str, _EVENT_ID_BOUNDS],
    convert=None,
    strict=_strict_event_id,
    lenient=_lenient_event_id,
    values=lambda st: st.text(min_size=_ID_MIN_LENGTH, max_size=MAX_ID_LENGTH),
    wrong=(
        ("x" * (_ID_MIN_LENGTH - 1), "string_too_short"),
        ("x" * (MAX_ID_LENGTH + 1), "string_too_long"),
        (7, "string_type"),
    ),
)


# Event type --------------------------------------------------------------------


_EVENT_TYPES: Final = {member.value: member for member in EventType}


def _event_type(value: object, parent: str, key: str | int, report: Report) -> object:
    """A string that names an event type with a model, as its ``EventType`` member."""
    if type(value) is not str:
        return fail(parent, key, report, "string_type", f"expected a string, got {type_name(value)}")
    if value in _EVENT_TYPES:
        return _EVENT_TYPES[value]
    return fail(parent, key, report, "event_type", f"unknown event type {mask_head(value)}")


EVENT_TYPE: Final = ScalarKind(
    "event type",
    # On the fast road the envelope's type is the tag that picks the model's
    # struct; this type serves where an event type is a member of its own.
    wire=lambda: EventType,
    convert=None,
    strict=_event_type,
    lenient=_event_type,
    schema=lambda: {"const": EventType.SERVICE_PLUGIN_PURCHASE.value},
    values=lambda st: st.just(EventType.SERVICE_PLUGIN_PURCHASE.value),
    wrong=(("SERVICE.PLUGIN.REFUND", "event_type"),),
    encode=lambda member: member.value,
)


# Text --------------------------------------------------------------------------


def _text(value: object, parent: str, key: str | int, report: Report) -> object:
    """Any string, the empty one included."""
    if type(value) is str:
        return value
    return fail(parent, key, report, "string_type", f"expected a string, got {type_name(value)}")


def _optional_text(value: object, parent: str, key: str | int, report: Report) -> object:
    """A string; ``null`` becomes ``""``."""
    if value is None:
        repair(parent, key, report, "null_to_empty", "replaced null with an empty string")
        return ""
    return _text(value, parent, key, report)


TEXT: Final = ScalarKind(
    "text",
    wire=lambda: str,
    convert=None,
    strict=_text,
    lenient=_text,
    values=lambda st: st.text(),
    wrong=((None, "string_type"), (123, "string_type")),
)

OPTIONAL_TEXT: Final = ScalarKind(
    "optional text",
    wire=lambda: str,
    convert=None,
    strict=_text,
    lenient=_optional_text,
    values=lambda st: st.text(),
    wrong=((None, "string_type"), (False, "string_type")),
    variants=(lambda text: text or None, lambda text: text or ...),
    optional=True,
)


# Numbers -----------------------------------------------------------------------


def _number(value: object, parent: str, key: str | int, report: Report, *, integral: bool) -> Decimal | int | None:
    """Read an int, a fraction, a float or a decimal string; report what was read."""
    if type(value) is int or type(value) is Decimal:
        return value
    if type(value) is float:
        repair(parent, key, report, "number_from_float", "read a float by its shortest repr")
        return read_decimal(repr(value))
    if type(value) is str:
        stripped = value.strip()
        if DECIMAL_TEXT.match(stripped):
            try:
                number = read_decimal(stripped)
            except decimal.InvalidOperation:  # an exponent past what Decimal can hold
                code = "int_range" if integral else "decimal_range"
                fail(parent, key, report, code, "the number's exponent is out of range")
                return None
            code = "int_from_string" if integral else "number_from_string"
            repair(parent, key, report, code, "read a number from a string")
            return number
    if integral:
        fail(parent, key, report, "int_type", f"expected an integer, got {type_name(value)}")
    else:
        fail(parent, key, report, "number_type", f"expected a number, got {type_name(value)}")
    return None


def _strict_integer(value: object, parent: str, key: str | int, report: Report) -> object:
    """A JSON integer literal in the signed 64-bit range (``1338.0`` is not one)."""
    if type(value) is not int:
        return fail(parent, key, report, "int_type", f"expected an integer, got {type_name(value)}")
    if not INT_MIN <= value <= INT_MAX:
        return fail(parent, key, report, "int_range", "the integer is outside the signed 64-bit range")
    return value


def _lenient_integer(value: object, parent: str, key: str | int, report: Report) -> object:
    """An integer, an integral fraction (``1338.0``) or a decimal string (``"1338"``)."""
    number = _number(value, parent, key, report, integral=True)
    if number is None:
        return INVALID
    if type(number) is Decimal:
        if not number.is_finite() or (number and number.adjusted() > 18):
            return fail(parent, key, report, "int_range", "the integer is outside the signed 64-bit range")
        if number != number.to_integral_value(context=NUMBERS):
            return fail(parent, key, report, "int_fraction", "expected an integer, got a fraction with a non-zero part")
        if type(value) is Decimal:
            repair(parent, key, report, "int_from_fraction", "read an integral fraction as an integer")
        number = int(number)
    if not INT_MIN <= number <= INT_MAX:
        return fail(parent, key, report, "int_range", "the integer is outside the signed 64-bit range")
    return number


_INTEGER_BOUNDS: Final = Meta(ge=INT_MIN, le=INT_MAX)

INTEGER: Final = ScalarKind(
    "integer",
    wire=lambda: Annotated[int, _INTEGER_BOUNDS],
    convert=None,
    strict=_strict_integer,
    lenient=_lenient_integer,
    values=lambda st: st.integers(min_value=INT_MIN, max_value=INT_MAX),
    wrong=(("1338", "int_type"), (True, "int_type"), (Decimal("1338.0"), "int_type"), (2**63, "int_range")),
    variants=(str, lambda number: f" {number} ", lambda number: Decimal(number).quantize(Decimal("0.0"))),
)


#: A fraction that the strict rule accepts as it is written, and the str()
#: of such a Decimal: at most 15 integer digits (JSON allows no leading
#: zero) and one to four places.
_PLAIN_FRACTION: Final = re.compile(rf"-?(?:0|[1-9][0-9]{{0,{DECIMAL_DIGITS - 1}}})\.[0-9]{{1,{MAX_PLACES}}}")


def _bounded(number: Decimal, parent: str, key: str | int, report: Report) -> object:
    """Reject a number of magnitude 10**15 or more."""
    # adjusted() is the exponent of the leading digit; unlike abs() it needs
    # no arithmetic context, which would overflow on 1e999999999.
    if not number.is_finite() or (number and number.adjusted() >= DECIMAL_DIGITS):
        return fail(parent, key, report, "decimal_range", "the number's magnitude must stay below 10**15")
    return number


def _strict_decimal(value: object, parent: str, key: str | int, report: Report) -> object:
    """A JSON number with at most four decimal places, read exactly."""
    if type(value) is int:
        # No places, and a bound that needs no Decimal arithmetic.
        if -DECIMAL_LIMIT < value < DECIMAL_LIMIT:
            return Decimal(value)
        number = Decimal(value)
    elif type(value) is Decimal:
        if _PLAIN_FRACTION.fullmatch(str(value)) is not None:
            return value  # the common form, and within the bounds: no arithmetic needed
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
    if _bounded(number, parent, key, report) is INVALID:
        return INVALID
    exponent = number.as_tuple().exponent  # an int: _bounded() let only finite numbers through
    if isinstance(exponent, int) and exponent < -MAX_PLACES:
        return fail(
            parent,
            key,
            report,
            "decimal_places",
            f"the number has {-exponent} decimal places, at most {MAX_PLACES} are allowed",
        )
    return number


def _lenient_decimal(value: object, parent: str, key: str | int, report: Report) -> object:
    """A number or a decimal string, any number of decimal places, never a float."""
    number = _number(value, parent, key, report, integral=False)
    if number is None:
        return INVALID
    return _bounded(number if isinstance(number, Decimal) else Decimal(number), parent, key, report)


def read_fraction(literal: str) -> Decimal:
    """Read a JSON fraction literal for the fast road: the exact ``Decimal`` the strict rule accepts.

    msgspec hands the literal of every number that is not an integer here,
    where the field is a decimal's (its wire type is untyped).

    Raises:
        ValueError: The strict rule rejects the number: the fast road
            declines, and the explaining road says why.
        decimal.InvalidOperation: The exponent is past what ``Decimal`` holds.

    """
    # msgspec checked the literal's syntax: without an exponent it is an
    # optional sign, digits, a point and digits. So counting characters
    # finds what _PLAIN_FRACTION matches (a negative number of 15 integer
    # digits aside), without a regular expression's cost per number; and
    # Decimal reads such a literal exactly, whatever the caller's context.
    point = literal.find(".")
    if (
        0 < point <= DECIMAL_DIGITS
        and len(literal) - point <= MAX_PLACES + 1
        and "e" not in literal
        and "E" not in literal
    ):
        return Decimal(literal)
    # An exponent form, such as 1.5E+3 (rare), or a long one: the strict rule decides.
    number = _strict_decimal(read_decimal(literal), ROOT, "value", Report())
    if number is INVALID:
        raise ValueError
    return cast("Decimal", number)


def _decimal_from_wire(value: object) -> Decimal:
    """The fast road's decimal: an int, or the ``Decimal`` that ``read_fraction`` read and checked."""
    if type(value) is Decimal:
        return value
    if type(value) is int and -DECIMAL_LIMIT < value < DECIMAL_LIMIT:
        return Decimal(value)
    raise ValueError


def _decimals(st: Strategies) -> SearchStrategy[int | Decimal]:
    """Wire numbers: integer literals, and fractions with 0 to 4 places (``12.30`` too)."""

    def scaled(mantissa: int, places: int) -> Decimal:
        return Decimal(mantissa).scaleb(-places)

    def in_range(number: Decimal) -> bool:
        return abs(number) < DECIMAL_LIMIT

    mantissas = st.integers(min_value=-(10**14), max_value=10**14)
    # A negative number of places is an exponent literal, such as 1.5E+3.
    places = st.integers(min_value=-1, max_value=MAX_PLACES)
    fractions = st.builds(scaled, mantissas, places).filter(in_range)
    return st.one_of(st.integers(min_value=-(10**6), max_value=10**6), fractions)  # type: ignore[no-any-return]


DECIMAL: Final = ScalarKind(
    "decimal",
    # Untyped, so that msgspec hands every fraction's literal to the fast
    # road's float hook, read_fraction: a typed Decimal would accept strings.
    wire=lambda: Any,
    convert=_decimal_from_wire,
    strict=_strict_decimal,
    lenient=_lenient_decimal,
    # At most four decimal places cannot be said without multipleOf, which
    # validators compute in binary floating point and get wrong (41.1765 is
    # not a multiple of 0.0001 in floats): that rule is the decoder's alone.
    schema=lambda: msgspec.json.schema(Annotated[float, Meta(gt=-DECIMAL_LIMIT, lt=DECIMAL_LIMIT)]),
    values=_decimals,
    wrong=(
        ("49.00", "number_type"),
        (True, "number_type"),
        (Decimal("0.00001"), "decimal_places"),
        (Decimal("1E+15"), "decimal_range"),
    ),
    variants=(str, lambda number: f"{number} "),
)


# Timestamps --------------------------------------------------------------------


def _strict_timestamp(value: object, parent: str, key: str | int, report: Report) -> object:
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
    return _timestamp_from_wire(value)


def _lenient_timestamp(value: object, parent: str, key: str | int, report: Report) -> object:
    """Seconds, milliseconds, fractions, decimal strings, ISO 8601: see ``timestamps.parse``."""
    try:
        conversion = timestamps.parse(value)
    except ValueError as exc:
        return fail(parent, key, report, "timestamp_invalid", f"{exc}")
    for code, message in conversion.repairs:
        repair(parent, key, report, code, message)
    return conversion.moment


_YEAR_3000: Final = 32_503_680_000  # 3000-01-01 in Unix seconds


def _timestamp_from_wire(seconds: int) -> datetime:
    """``from_unix`` for the seconds the wire type admits, faster."""
    # fromtimestamp() is faster than from_unix()'s sum, and equal; but
    # Windows' gmtime() stops at the year 3000.
    return datetime.fromtimestamp(seconds, UTC) if seconds < _YEAR_3000 else EPOCH + timedelta(0, seconds)


def _iso(seconds: int) -> str:
    return from_unix(seconds).strftime("%Y-%m-%dT%H:%M:%SZ")


_TIMESTAMP_BOUNDS: Final = Meta(ge=0, le=MAX_SECONDS)

TIMESTAMP: Final = ScalarKind(
    "timestamp",
    wire=lambda: Annotated[int, _TIMESTAMP_BOUNDS],
    # Where gmtime() stops at the year 3000, fromtimestamp() raises past it,
    # and the fast road declines: the strict rule's conversion goes on.
    convert=datetime.fromtimestamp,
    convert_with=(UTC,),
    strict=_strict_timestamp,
    lenient=_lenient_timestamp,
    values=lambda st: st.integers(min_value=0, max_value=MAX_SECONDS),
    wrong=((-1, "timestamp_range"), ("1510656066", "int_type"), (Decimal("1510656066.0"), "int_type")),
    encode=timestamps.to_unix,
    variants=(
        str,
        lambda seconds: seconds * 1000 + 999 if seconds * 1000 > MAX_SECONDS else seconds,
        lambda seconds: Decimal(seconds) + Decimal("0.5"),
        _iso,
    ),
)


# Gender ------------------------------------------------------------------------


GENDERS: Final[dict[str, Gender | None]] = {gender.value: gender for gender in Gender} | {"": None}
"""The wire's gender values and their model values: ``""`` is ``None``."""


def _strict_gender(value: object, parent: str, key: str | int, report: Report) -> object:
    """``"male"``, ``"female"``, ``"diverse"``, or ``""`` for none (``None``)."""
    if type(value) is not str:
        return fail(parent, key, report, "string_type", f"expected a string, got {type_name(value)}")
    try:
        return GENDERS[value]
    except KeyError:
        return fail(parent, key, report, "gender", "expected 'male', 'female', 'diverse' or an empty string")


def _lenient_gender(value: object, parent: str, key: str | int, report: Report) -> object:
    """Case-insensitive; ``null`` is ``None``; an unknown value is kept as it is."""
    if value is None:
        repair(parent, key, report, "null_to_empty", "read null as no gender")
        return None
    if type(value) is not str:
        return fail(parent, key, report, "string_type", f"expected a string, got {type_name(value)}")
    if value in GENDERS:
        return GENDERS[value]
    folded = value.lower()
    if folded in GENDERS:
        repair(parent, key, report, "gender_case", "read the gender case-insensitively")
        return GENDERS[folded]
    repair(parent, key, report, "gender_unknown", "kept a gender value outside the documented ones")
    return value


GENDER: Final = ScalarKind(
    "gender",
    wire=lambda: Literal[tuple(GENDERS)],
    convert=GENDERS.__getitem__,
    strict=_strict_gender,
    lenient=_lenient_gender,
    schema=lambda: {"enum": sorted(GENDERS)},
    values=lambda st: st.sampled_from(list(GENDERS)),
    wrong=(("company", "gender"), ("Male", "gender"), (None, "string_type")),
    variants=(str.upper, lambda gender: gender or None),
    # None is the wire's empty string; a value lenient mode kept is written as it came.
    encode=lambda gender: "" if gender is None else str(gender),
)


# Country -----------------------------------------------------------------------


def _strict_country(value: object, parent: str, key: str | int, report: Report) -> object:
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
        f"{mask_code(value)} is not an uppercase ISO 3166-1 alpha-2 code nor a plentymarkets country code",
    )


_COUNTRY_REPAIRS: Final = {
    "country_normalized": "normalised whitespace and case of the country code",
    "country_alpha3": "mapped an ISO alpha-3 country code to alpha-2",
    "country_unknown": "kept a country code that is neither ISO 3166-1 nor plentymarkets'",
}


def _lenient_country(value: object, parent: str, key: str | int, report: Report) -> object:
    """A code normalised for case, whitespace and alpha-3; or a plentymarkets country ID."""
    if type(value) is int:
        try:
            found = countries.by_id(value)
        except KeyError:
            found = None
        if found is None or found.id == 0:
            return fail(parent, key, report, "country_code", "the integer is not a known plentymarkets country ID")
        repair(parent, key, report, "country_from_id", "mapped a plentymarkets country ID to its code")
        value = found.code
    if type(value) is not str:
        return fail(parent, key, report, "string_type", f"expected a string, got {type_name(value)}")
    code, found_repair = countries.normalize(value)
    if found_repair is not None:
        repair(parent, key, report, found_repair, _COUNTRY_REPAIRS[found_repair])
    return code


def _sorted_countries() -> list[str]:
    return sorted(countries.valid_codes())


def _alpha3(code: str) -> str:
    """A valid code as lenient mode repairs it: its alpha-3 code, or itself in lower case and spaced."""
    country = iso3166.countries_by_alpha2.get(code)
    return country.alpha3.lower() if country is not None else f" {code.lower()} "


COUNTRY: Final = ScalarKind(
    "country",
    wire=lambda: Literal[tuple(_sorted_countries())],
    convert=None,
    strict=_strict_country,
    lenient=_lenient_country,
    schema=lambda: {"type": "string", "enum": _sorted_countries()},
    values=lambda st: st.sampled_from(_sorted_countries()),
    wrong=(("de", "country_code"), ("DEU", "country_code"), ("XK", "country_code"), (1, "string_type")),
    variants=(str.lower, _alpha3),
)


# Boolean -----------------------------------------------------------------------


def _boolean(value: object, parent: str, key: str | int, report: Report) -> object:
    """``true`` or ``false``."""
    if type(value) is bool:
        return value
    return fail(parent, key, report, "bool_type", "expected a boolean")


BOOLEAN: Final = ScalarKind(
    "boolean",
    wire=lambda: bool,
    convert=None,
    strict=_boolean,
    lenient=_boolean,
    values=lambda st: st.booleans(),
    wrong=((1, "bool_type"), ("true", "bool_type"), (None, "bool_type")),
)


# Objects and arrays ------------------------------------------------------------


def obj(value: object, parent: str, key: str | int | None, report: Report) -> dict[str, object] | None:
    """A JSON object without duplicate keys; ``None`` when it is not one."""
    if type(value) is dict:  # as the parser makes it, without a duplicate key: nothing to report
        return cast("dict[str, object]", value)
    if not isinstance(value, dict):
        fail(parent, key, report, "object_type", f"expected an object, got {type_name(value)}")
        return None
    # A dict subclass: the parser's mark of an object in which a key occurred twice.
    found = cast("dict[str, object]", value)  # the parser, or _json.check, made the keys strings
    where = member_path(parent, key)
    for duplicate in duplicate_keys(found):
        report.error(key_path(where, duplicate), "duplicate_key", "the key occurs more than once in this object")
    return found


def _object(value: object, parent: str, key: str, report: Report) -> tuple[object | None, str]:
    """An object."""
    return obj(value, parent, key, report), key_path(parent, key)


def _lenient_resource(value: object, parent: str, key: str, report: Report) -> tuple[object | None, str]:
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
        repair(parent, key, report, "resource_unwrapped", "unwrapped the one-element resource array")
        return obj(items[0], path, 0, report), index_path(path, 0)
    return _object(value, parent, key, report)


def _array(value: object, parent: str, key: str, report: Report) -> tuple[object | None, str]:
    """A non-empty JSON array."""
    if type(value) is not list:
        fail(parent, key, report, "array_type", f"expected an array, got {type_name(value)}")
        return None, parent
    if not value:
        fail(parent, key, report, "array_too_short", "the array needs at least one item")
        return None, parent
    return cast("list[object]", value), key_path(parent, key)


OBJECT: Final = NestedKind(
    "object",
    many=False,
    wire=lambda struct: struct,
    strict=_object,
    lenient=_object,
    schema=lambda nested: nested,
    wrong=(([], "object_type"), ("x", "object_type")),
)

RESOURCE: Final = NestedKind(
    "resource",
    many=False,
    wire=lambda struct: struct,
    # The docs say Resource[]; the example, and the strict rule, say object.
    strict=_object,
    lenient=_lenient_resource,
    schema=lambda nested: nested,
    wrong=(([], "object_type"),),
)

ARRAY: Final = NestedKind(
    "array",
    many=True,
    wire=lambda struct: Annotated[list[struct], Meta(min_length=1)],  # type: ignore[valid-type]
    strict=_array,
    lenient=_array,
    schema=lambda nested: {"type": "array", "minItems": 1, "items": nested},
    wrong=(([], "array_too_short"), ({}, "array_type")),
)


@final
class Kind:
    """The field kinds by name, for [field][plenty_events.field]: `Kind.INTEGER`, `Kind.TEXT`, ...

    A kind holds a field's rules in both modes, its wire type and bounds,
    its JSON Schema fragment and its test data.

    Examples:
        >>> import attrs
        >>> from plenty_events import Kind, field
        >>> @attrs.frozen
        ... class Refund:
        ...     order_id: int = field("orderId", Kind.INTEGER)
        >>> Refund(221)
        Refund(order_id=221)

    """

    EVENT_ID: Final = EVENT_ID
    EVENT_TYPE: Final = EVENT_TYPE
    TIMESTAMP: Final = TIMESTAMP
    INTEGER: Final = INTEGER
    TEXT: Final = TEXT
    OPTIONAL_TEXT: Final = OPTIONAL_TEXT
    GENDER: Final = GENDER
    COUNTRY: Final = COUNTRY
    DECIMAL: Final = DECIMAL
    BOOLEAN: Final = BOOLEAN
    OBJECT: Final = OBJECT
    RESOURCE: Final = RESOURCE
    ARRAY: Final = ARRAY

    SCALARS: Final = (EVENT_ID, EVENT_TYPE, TIMESTAMP, INTEGER, TEXT, OPTIONAL_TEXT, GENDER, COUNTRY, DECIMAL, BOOLEAN)
    NESTED: Final = (OBJECT, RESOURCE, ARRAY)
