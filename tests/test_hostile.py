"""Hostile input: every body either decodes or fails with a bounded, path-rooted DecodeError.

Each case names the exact outcome in both modes: an event (with the repairs it
must carry) or the error code that must be reported. Nothing here measures
time: "fast" is enforced by the size of the inputs, which only a linear
decoder gets through before the suite's own timeout.
"""

from __future__ import annotations

import decimal
import enum
import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import plenty_events
from plenty_events import DecodeError, ServicePurchaseEvent, UnknownEvent, _json
from plenty_events._report import Report, type_name
from plenty_events.testing import to_json
from tests.helpers import PERSONAL, with_value
from tests.strategies import near_payloads

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "service-purchase.json"
#: The documented example as compact text, the base every hostile body is cut from.
BASE = EXAMPLE.read_text("utf-8").strip()

#: A personal value that hostile bodies blow up to megabytes.
MARKER = "Personal"

#: The library keeps at most this many errors or repairs, then one counting line.
MAX_REPORTED = 100
DEEP = 200_000
BIG = 5_000_000


def sample() -> dict[str, Any]:
    """Return a fresh copy of the documented example, numbers exact."""
    result: dict[str, Any] = json.loads(BASE, parse_float=Decimal)
    return result


def replaced(old: str, new: str) -> str:
    """Return the example text with its one occurrence of ``old`` replaced."""
    assert BASE.count(old) == 1, old
    return BASE.replace(old, new)


def with_keys(extra: str) -> str:
    """Return the example text with ``extra`` members added to the top object."""
    return f"{BASE[:-1]},{extra}}}"


def at(path: tuple[str | int, ...], value: object) -> dict[str, Any]:
    """Return the example mapping with the member at ``path`` set to ``value``."""
    return with_value(sample(), path, value)


def nested(depth: int) -> str:
    """Return JSON text of ``depth`` nested arrays."""
    return "[" * depth + "]" * depth


def nested_list(depth: int) -> list[Any]:
    """Return a Python list nested ``depth`` levels deep, built without recursion."""
    root: list[Any] = []
    current = root
    for _ in range(depth - 1):
        inner: list[Any] = []
        current.append(inner)
        current = inner
    return root


QUANTITY = ("resource", "order", "orderItems", 0, "quantity")
ITEM_PATH = "$.resource.order.orderItems[0]"
ITEM = BASE[BASE.index('{"itemVariationId"') : BASE.index("}]") + 1]


class _Opaque:
    """A Python object that no JSON parser produces."""

    def __repr__(self) -> str:
        return f"<opaque {MARKER}>"


@dataclass(frozen=True)
class Event:
    """The expected outcome: an event, carrying at least these repair codes."""

    repairs: frozenset[str] = frozenset()
    exact: bool = False  # the repairs are exactly these


@dataclass(frozen=True)
class Error:
    """The expected outcome: a DecodeError with this code, at this path if given."""

    code: str
    path: str | None = None
    others: frozenset[str] = field(default=frozenset())  # further codes allowed


OK = Event(exact=True)


@dataclass(frozen=True)
class Case:
    """One hostile input and its outcome in each mode."""

    build: Callable[[], object]
    lenient: Event | Error
    strict: Event | Error


CASES: dict[str, Case] = {
    # Depth: the parser's recursion is caught; nothing reaches RecursionError.
    "nesting-200k-top": Case(lambda: nested(DEEP), Error("json_depth", "$"), Error("json_depth", "$")),
    "nesting-200k-in-quantity": Case(
        lambda: replaced('"quantity":1', f'"quantity":{nested(DEEP)}'),
        Error("json_depth", "$"),
        Error("json_depth", "$"),
    ),
    "nesting-200k-in-unknown-key": Case(
        lambda: with_keys(f'"extra":{nested(DEEP)}'),
        Error("json_depth", "$"),
        Error("json_depth", "$"),
    ),
    "nesting-200k-objects": Case(
        lambda: '{"a":' * DEEP + "1" + "}" * DEEP,
        Error("json_depth", "$"),
        Error("json_depth", "$"),
    ),
    "nesting-100-in-unknown-key": Case(
        lambda: with_keys(f'"extra":{nested(100)}'),
        Error("json_depth", "$"),
        Error("json_depth", "$"),
    ),
    "nesting-200k-python-list": Case(
        lambda: at(QUANTITY, nested_list(DEEP)),
        Error("json_depth"),
        Error("json_depth"),
    ),
    # Integer literals past the digit limit of int().
    "int-100k-digits-order-id": Case(
        lambda: replaced('"id":221', f'"id":{"9" * 100_000}'),
        Error("json_invalid", "$"),
        Error("json_invalid", "$"),
    ),
    "int-100k-digits-created-at": Case(
        lambda: replaced("1510656066", "9" * 100_000),
        Error("json_invalid", "$"),
        Error("json_invalid", "$"),
    ),
    "int-100k-digits-as-string": Case(
        lambda: replaced('"id":221', f'"id":"{"9" * 100_000}"'),
        Error("int_range", "$.resource.order.id"),
        Error("int_type", "$.resource.order.id"),
    ),
    "python-int-100k-digits": Case(
        lambda: at(("resource", "order", "id"), 10**100_000),
        Error("int_range", "$.resource.order.id"),
        Error("int_range", "$.resource.order.id"),
    ),
    # Numbers at the edges of Decimal.
    "price-1e400": Case(
        lambda: replaced("41.1765", "1e400"),
        Error("decimal_range", f"{ITEM_PATH}.priceNet"),
        Error("decimal_range", f"{ITEM_PATH}.priceNet"),
    ),
    "price-1e-999999999": Case(
        lambda: replaced("41.1765", "1e-999999999"),
        OK,
        Error("decimal_places", f"{ITEM_PATH}.priceNet"),
    ),
    "price-100k-digit-fraction": Case(
        lambda: replaced("41.1765", "0." + "3" * 100_000),
        OK,
        Error("decimal_places", f"{ITEM_PATH}.priceNet"),
    ),
    "price-1e999999999": Case(
        lambda: replaced("41.1765", "1e999999999"),
        Error("decimal_range", f"{ITEM_PATH}.priceNet"),
        Error("decimal_range", f"{ITEM_PATH}.priceNet"),
    ),
    "price-exponent-20-digits": Case(
        lambda: replaced("41.1765", "1e99999999999999999999"),
        Error("json_invalid", "$"),
        Error("json_invalid", "$"),
    ),
    "price-NaN": Case(
        lambda: replaced("41.1765", "NaN"),
        Error("json_invalid", "$"),
        Error("json_invalid", "$"),
    ),
    "price-Infinity": Case(
        lambda: replaced("41.1765", "Infinity"),
        Error("json_invalid", "$"),
        Error("json_invalid", "$"),
    ),
    "price-minus-Infinity": Case(
        lambda: replaced("41.1765", "-Infinity"),
        Error("json_invalid", "$"),
        Error("json_invalid", "$"),
    ),
    # Timestamps past the year 9999.
    "created-at-year-10000-seconds": Case(
        # Past 9999 as seconds, so lenient reads it as milliseconds (1978).
        lambda: replaced("1510656066", "253402300800"),
        Event(frozenset({"timestamp_milliseconds"})),
        Error("timestamp_range", "$.createdAt"),
    ),
    "created-at-past-9999-as-milliseconds": Case(
        lambda: replaced("1510656066", "253402300800000"),
        Error("timestamp_invalid", "$.createdAt"),
        Error("timestamp_range", "$.createdAt"),
    ),
    "created-at-1e300": Case(
        lambda: replaced("1510656066", "1e300"),
        Error("timestamp_invalid", "$.createdAt"),
        Error("int_type", "$.createdAt"),
    ),
    "created-at-1e999999999": Case(
        lambda: replaced("1510656066", "1e999999999"),
        Error("timestamp_invalid", "$.createdAt"),
        Error("int_type", "$.createdAt"),
    ),
    "created-at-iso-year-10000": Case(
        lambda: replaced("1510656066", '"10000-01-01T00:00:00Z"'),
        Error("timestamp_invalid", "$.createdAt"),
        Error("int_type", "$.createdAt"),
    ),
    "created-at-iso-overflowing-utc": Case(
        lambda: replaced("1510656066", '"9999-12-31T23:59:59-01:00"'),
        Error("timestamp_invalid", "$.createdAt"),
        Error("int_type", "$.createdAt"),
    ),
    "created-at-5mb-digit-string": Case(
        lambda: replaced("1510656066", f'"{"1" * BIG}"'),
        Error("timestamp_invalid", "$.createdAt"),
        Error("int_type", "$.createdAt"),
    ),
    # Unicode inside strings.
    "lone-surrogate-escape-in-value": Case(
        lambda: replaced(
            '"firstName":"John","lastName":"Doe","email":"john@account.com","updatedAt":1510837206',
            '"firstName":"J\\ud800","lastName":"Doe","email":"john@account.com","updatedAt":1510837206',
        ),
        Error("string_unicode", "$.resource.contact.firstName"),
        Error("string_unicode", "$.resource.contact.firstName"),
    ),
    "lone-low-surrogate-escape-in-key": Case(
        lambda: with_keys('"\\udc00":1'),
        Error("string_unicode"),
        Error("string_unicode"),
    ),
    "raw-lone-surrogate-in-str-body": Case(
        lambda: replaced('"SuperService"', '"Super\ud800"'),
        Error("string_unicode", f"{ITEM_PATH}.orderItemName"),
        Error("string_unicode", f"{ITEM_PATH}.orderItemName"),
    ),
    "escaped-surrogate-pair": Case(lambda: replaced('"SuperService"', '"Super\\ud83d\\ude00"'), OK, OK),
    "escaped-nul-in-string": Case(lambda: replaced('"SuperService"', '"Super\\u0000Service"'), OK, OK),
    "raw-nul-in-string": Case(
        lambda: replaced('"SuperService"', '"Super\x00Service"'),
        Error("json_invalid", "$"),
        Error("json_invalid", "$"),
    ),
    # Bytes that are not UTF-8, or not UTF-8 alone.
    "invalid-utf8": Case(
        lambda: replaced('"SuperService"', '"Super"').encode().replace(b"Super", b"Sup\xffr"),
        Error("json_invalid", "$"),
        Error("json_invalid", "$"),
    ),
    "overlong-utf8-slash": Case(
        lambda: replaced('"SuperService"', '"Super"').encode().replace(b"Super", b"Su\xc0\xafer"),
        Error("json_invalid", "$"),
        Error("json_invalid", "$"),
    ),
    "utf8-encoded-surrogate": Case(
        lambda: replaced('"SuperService"', '"Super"').encode().replace(b"Super", b"Su\xed\xa0\x80er"),
        Error("json_invalid", "$"),
        Error("json_invalid", "$"),
    ),
    "truncated-utf8-sequence": Case(
        lambda: BASE.encode() + b"\xe2\x82",
        Error("json_invalid", "$"),
        Error("json_invalid", "$"),
    ),
    "utf8-bom-bytes": Case(
        lambda: b"\xef\xbb\xbf" + BASE.encode(),
        Event(frozenset({"bom_removed"}), exact=True),
        Error("json_invalid", "$"),
    ),
    "utf8-bom-str": Case(
        lambda: "\ufeff" + BASE,
        Event(frozenset({"bom_removed"}), exact=True),
        Error("json_invalid", "$"),
    ),
    "utf16-with-bom": Case(
        lambda: BASE.encode("utf-16"),
        Error("json_invalid", "$"),
        Error("json_invalid", "$"),
    ),
    "utf16-le": Case(
        lambda: BASE.encode("utf-16-le"),
        Error("json_invalid", "$"),
        Error("json_invalid", "$"),
    ),
    "utf16-be": Case(
        lambda: BASE.encode("utf-16-be"),
        Error("json_invalid", "$"),
        Error("json_invalid", "$"),
    ),
    "utf32": Case(
        lambda: BASE.encode("utf-32"),
        Error("json_invalid", "$"),
        Error("json_invalid", "$"),
    ),
    # Size.
    "5mb-first-name": Case(
        lambda: replaced(
            '"firstName":"John","lastName":"Doe","email":"john@',
            f'"firstName":"{MARKER * (BIG // len(MARKER))}","lastName":"Doe","email":"john@',
        ),
        OK,
        OK,
    ),
    "5mb-id": Case(
        lambda: replaced("evt_553ea8a294e2d3a75d5086a06fb53f5a", MARKER * (BIG // len(MARKER))),
        Error("string_too_long", "$.id"),
        Error("string_too_long", "$.id"),
    ),
    "5mb-unknown-key": Case(
        lambda: with_keys(f'"{"k" * BIG}":1'),
        Event(frozenset({"key_kept"}), exact=True),
        Error("extra_forbidden"),
    ),
    "5mb-unknown-value": Case(
        lambda: with_keys(f'"note":"{MARKER * (BIG // len(MARKER))}"'),
        Event(frozenset({"key_kept"}), exact=True),
        Error("extra_forbidden", "$.note"),
    ),
    "20k-order-items": Case(lambda: replaced(ITEM, ",".join([ITEM] * 20_000)), OK, OK),
    "50k-unknown-keys": Case(
        lambda: with_keys(",".join(f'"k{i}":{i}' for i in range(50_000))),
        Event(frozenset({"key_kept", "too_many_repairs"}), exact=True),
        Error("extra_forbidden", "$.k0", frozenset({"too_many_errors"})),
    ),
    # Duplicate keys: the last value would win silently, so both modes refuse.
    "duplicate-top-level-key": Case(
        lambda: with_keys('"id":"evt_other"'),
        Error("duplicate_key", "$.id"),
        Error("duplicate_key", "$.id"),
    ),
    "duplicate-key-in-item": Case(
        lambda: replaced('"quantity":1', '"quantity":1,"quantity":2'),
        Error("duplicate_key", f"{ITEM_PATH}.quantity"),
        Error("duplicate_key", f"{ITEM_PATH}.quantity"),
    ),
    "duplicate-key-in-contact": Case(
        lambda: replaced('"gender":"male"', '"gender":"male","gender":"female"'),
        Error("duplicate_key", "$.resource.contact.gender"),
        Error("duplicate_key", "$.resource.contact.gender"),
    ),
    # Not one JSON document.
    "trailing-garbage": Case(lambda: BASE + "x", Error("json_invalid", "$"), Error("json_invalid", "$")),
    "two-documents": Case(lambda: BASE + BASE, Error("json_invalid", "$"), Error("json_invalid", "$")),
    "empty-body": Case(lambda: b"", Error("json_invalid", "$"), Error("json_invalid", "$")),
    "top-level-null": Case(lambda: b"null", Error("object_type", "$"), Error("object_type", "$")),
    "top-level-array": Case(lambda: b"[]", Error("object_type", "$"), Error("object_type", "$")),
    # Already parsed values that JSON cannot hold.
    "python-set": Case(
        lambda: at(QUANTITY, {1}),
        Error("json_type", f"{ITEM_PATH}.quantity"),
        Error("json_type", f"{ITEM_PATH}.quantity"),
    ),
    "python-object": Case(
        lambda: at(QUANTITY, _Opaque()),
        Error("json_type", f"{ITEM_PATH}.quantity"),
        Error("json_type", f"{ITEM_PATH}.quantity"),
    ),
    "python-tuple": Case(
        lambda: at(
            ("resource", "order", "orderItems"),
            tuple(sample()["resource"]["order"]["orderItems"]),
        ),
        Error("json_type", "$.resource.order.orderItems"),
        Error("json_type", "$.resource.order.orderItems"),
    ),
    "python-int-key": Case(
        lambda: {**sample(), 1: 2},
        Error("json_type", '$["1***"]'),
        Error("json_type", '$["1***"]'),
    ),
    "python-tuple-key": Case(lambda: {**sample(), (1, 2): 2}, Error("json_type"), Error("json_type")),
    "python-float-nan": Case(
        lambda: at(QUANTITY, float("nan")),
        Error("json_invalid", f"{ITEM_PATH}.quantity"),
        Error("json_invalid", f"{ITEM_PATH}.quantity"),
    ),
    "python-float-inf": Case(
        lambda: at(QUANTITY, float("inf")),
        Error("json_invalid", f"{ITEM_PATH}.quantity"),
        Error("json_invalid", f"{ITEM_PATH}.quantity"),
    ),
    "python-decimal-nan": Case(
        lambda: at(QUANTITY, Decimal("NaN")),
        Error("json_invalid", f"{ITEM_PATH}.quantity"),
        Error("json_invalid", f"{ITEM_PATH}.quantity"),
    ),
    "python-float-price": Case(
        lambda: at(QUANTITY, 1.5),
        Event(frozenset({"number_from_float"}), exact=True),
        Error("number_type", f"{ITEM_PATH}.quantity"),
    ),
    "python-top-level-tuple": Case(lambda: (1, 2), Error("json_type", "$"), Error("json_type", "$")),
    "bytearray-body": Case(lambda: bytearray(BASE.encode()), OK, OK),
    "memoryview-body": Case(lambda: memoryview(BASE.encode()), OK, OK),
}


def outcome(data: object, *, strict: bool) -> ServicePurchaseEvent | UnknownEvent | DecodeError:
    """Decode, and return the event or the DecodeError; any other exception fails the test."""
    try:
        return plenty_events.decode(data, strict=strict)  # type: ignore[arg-type]
    except DecodeError as exc:
        return exc


def assert_safe_error(exc: DecodeError, *, hostile: str = MARKER * 4) -> None:
    """Check the shape, the size and the privacy of a DecodeError."""
    assert isinstance(exc, ValueError)
    assert 1 <= len(exc.errors) <= MAX_REPORTED + 1
    for detail in exc.errors:
        assert detail.path.startswith("$"), detail
        assert len(detail.path) <= 400
        assert len(detail.message) <= 200
    text = str(exc)
    body = exc.to_json()
    assert len(text) <= 48_000
    assert json.loads(body) == exc.to_dict()
    for value in (*PERSONAL, hostile):
        assert value not in text
        assert value not in body


def assert_safe_event(event: object, *, strict: bool, hostile: str = MARKER * 4) -> None:
    """Check that an accepted event round-trips and shows no personal value."""
    assert isinstance(event, (ServicePurchaseEvent, UnknownEvent))
    assert plenty_events.decode(plenty_events.encode(event), strict=strict) == event
    assert plenty_events.decode(plenty_events.encode(event)) == event
    assert len(event.repairs) <= MAX_REPORTED + 1
    logged = "; ".join(map(str, event.repairs))
    assert len(logged) <= 48_000
    shown = repr(event)
    for value in (*PERSONAL, hostile):
        assert value not in logged
        assert value not in shown


def check_case(case: Case, *, strict: bool) -> None:
    """Decode the case in one mode and compare with its expected outcome."""
    result = outcome(case.build(), strict=strict)
    expected = case.strict if strict else case.lenient
    if isinstance(expected, Event):
        assert not isinstance(result, DecodeError), result.errors[:3]
        codes = {repair.code for repair in result.repairs}
        assert expected.repairs <= codes
        if expected.exact:
            assert codes == expected.repairs
        assert_safe_event(result, strict=strict)
    else:
        assert isinstance(result, DecodeError), f"accepted, expected {expected.code}"
        assert_safe_error(result)
        codes = {detail.code for detail in result.errors}
        assert expected.code in codes
        assert codes <= {expected.code, *expected.others}
        if expected.path is not None:
            assert expected.path in {d.path for d in result.errors if d.code == expected.code}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_input_lenient(name: str) -> None:
    """Lenient decoding ends each hostile input with the listed event or error code."""
    check_case(CASES[name], strict=False)


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_input_strict(name: str) -> None:
    """Strict decoding ends each hostile input with the listed event or error code."""
    check_case(CASES[name], strict=True)


@pytest.mark.parametrize("strict", [False, True])
def test_reports_are_capped(strict: bool) -> None:
    """50,000 unknown keys give 100 listed findings and one line counting the other 49,900."""
    result = outcome(with_keys(",".join(f'"k{i}":{i}' for i in range(50_000))), strict=strict)
    findings = result.errors if isinstance(result, DecodeError) else result.repairs
    assert len(findings) == MAX_REPORTED + 1
    last = findings[-1]
    assert (last.path, last.code) == (
        "$",
        "too_many_errors" if strict else "too_many_repairs",
    )
    assert "49900" in last.message


@pytest.mark.parametrize("strict", [False, True])
def test_long_keys_are_cut_in_paths(strict: bool) -> None:
    """A 5 MB key shows in a path as its masked hint."""
    key = "k" * BIG
    result = outcome(with_keys(f'"{key}":1'), strict=strict)
    findings = result.errors if isinstance(result, DecodeError) else result.repairs
    (finding,) = findings
    assert finding.path == '$["k***"]'


def test_huge_name_is_masked_in_repr() -> None:
    """A 5 MB personal name decodes intact but shows as its first character in the repr."""
    name = MARKER * (BIG // len(MARKER))
    event = plenty_events.decode(at(("resource", "contact", "firstName"), name), strict=True)
    assert event.resource.contact.first_name == name
    assert MARKER not in repr(event)
    assert plenty_events.redact(event).resource.contact.first_name == "***"


@pytest.mark.parametrize("strict", [False, True])
def test_decimal_context_is_not_changed(strict: bool) -> None:
    """Decoding hostile numbers leaves the caller's decimal context as it was."""
    before = decimal.getcontext().copy()
    for text in ("1e-999999999", "0." + "3" * 1000, "1e400", "123456789012345.6789"):
        outcome(replaced("41.1765", text), strict=strict)
    after = decimal.getcontext()
    assert (after.prec, after.Emax, after.Emin, after.rounding) == (
        before.prec,
        before.Emax,
        before.Emin,
        before.rounding,
    )
    assert after.traps == before.traps


# ---------------------------------------------------------------------------
# Regressions: inputs that once escaped as another exception, were accepted
# although encode() could not write them, or broke the round trip.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("literal", ["1e999999999", "1e1000000", "-1e1000000"])
def test_price_with_exponent_past_decimal_emax_is_decimal_range(strict: bool, literal: str) -> None:
    """A price literal whose exponent exceeds the decimal context's Emax is a decimal_range error."""
    result = outcome(replaced("41.1765", literal), strict=strict)
    assert isinstance(result, DecodeError)
    assert [(d.path, d.code) for d in result.errors] == [(f"{ITEM_PATH}.priceNet", "decimal_range")]


def test_price_string_with_exponent_past_emax_is_decimal_range() -> None:
    """Lenient: a price string such as "1e9999999" is a decimal_range error."""
    result = outcome(replaced('"quantity":1', '"quantity":"1e9999999"'), strict=False)
    assert isinstance(result, DecodeError)
    assert {d.code for d in result.errors} == {"decimal_range"}


def test_price_just_below_the_limit_is_not_rounded_up() -> None:
    """Lenient: a price below 10**15 with 29 significant digits is accepted, not rounded to 10**15."""
    text = "999999999999999.99999999999999"
    event = plenty_events.decode(replaced("41.1765", text))
    assert event.resource.order.order_items[0].price_net == Decimal(text)


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("literal", ["1e20", "0." + "3" * 40, "1e-20", "123.45", '"12.5"'])
def test_decoding_does_not_depend_on_the_callers_decimal_context(strict: bool, literal: str) -> None:
    """A price decodes the same under a tiny decimal context that traps every signal."""
    body = replaced("41.1765", literal)
    expected = outcome(body, strict=strict)
    with decimal.localcontext() as context:
        context.prec, context.Emax, context.Emin = 5, 10, -10
        for signal in (
            decimal.Inexact,
            decimal.Rounded,
            decimal.Underflow,
            decimal.Subnormal,
            decimal.Clamped,
        ):
            context.traps[signal] = True
        result = outcome(body, strict=strict)
    if isinstance(expected, DecodeError):
        assert isinstance(result, DecodeError)
        assert result.errors == expected.errors
    else:
        assert result == expected


def _tiny_trapping(context: decimal.Context) -> None:
    context.prec, context.Emax, context.Emin = 5, 10, -10
    for signal in context.traps:
        context.traps[signal] = True


def _untrapped(context: decimal.Context) -> None:
    for signal in context.traps:
        context.traps[signal] = False


@given(near_payloads(), st.booleans(), st.booleans(), st.sampled_from([_tiny_trapping, _untrapped]))
def test_no_verdict_depends_on_the_callers_decimal_context(
    payload: dict[str, Any], strict: bool, as_text: bool, hostile: Callable[[decimal.Context], None]
) -> None:
    """Any payload near the contract, as text or as a mapping, decodes alike under a hostile decimal context."""
    data: object = to_json(payload) if as_text else payload
    expected = outcome(data, strict=strict)
    with decimal.localcontext() as context:
        hostile(context)
        result = outcome(data, strict=strict)
    if isinstance(expected, DecodeError):
        assert isinstance(result, DecodeError)
        assert result.errors == expected.errors
    else:
        assert result == expected


@pytest.mark.parametrize("strict", [False, True])
def test_signaling_nan_in_mapping_is_json_invalid(strict: bool) -> None:
    """A Decimal("sNaN") in a passed mapping is a json_invalid error at its path."""
    result = outcome(at(QUANTITY, Decimal("sNaN")), strict=strict)
    assert isinstance(result, DecodeError)
    assert [(d.path, d.code) for d in result.errors] == [(f"{ITEM_PATH}.quantity", "json_invalid")]


@pytest.mark.parametrize("strict", [False, True])
def test_finite_huge_decimal_in_mapping_is_decimal_range(strict: bool) -> None:
    """A finite Decimal("1e999") price in a mapping is decimal_range, not called NaN or Infinity."""
    result = outcome(at(QUANTITY, Decimal("1e999")), strict=strict)
    assert isinstance(result, DecodeError)
    assert [(d.path, d.code) for d in result.errors] == [(f"{ITEM_PATH}.quantity", "decimal_range")]


def test_unknown_event_keeps_a_large_finite_number() -> None:
    """Lenient: the raw resource of an unknown event type may hold 1e400, a valid JSON number."""
    body = replaced("SERVICE.PLUGIN.PURCHASE", "OTHER.EVENT").replace('"quantity":1', '"quantity":1e400')
    event = outcome(body, strict=False)
    assert isinstance(event, UnknownEvent), event
    assert event.resource["order"]["orderItems"][0]["quantity"] == Decimal("1e400")


@pytest.mark.parametrize("strict", [False, True])
def test_raw_lone_surrogate_in_str_body_is_string_unicode(strict: bool) -> None:
    """A str body holding a lone surrogate character (not an escape) is a string_unicode error."""
    body = replaced(
        '"firstName":"John","lastName":"Doe","email":"john@account.com","updatedAt":1510837206',
        '"firstName":"J\ud800","lastName":"Doe","email":"john@account.com","updatedAt":1510837206',
    )
    result = outcome(body, strict=strict)
    assert isinstance(result, DecodeError), "accepted an event that encode() cannot write"
    assert [(d.path, d.code) for d in result.errors] == [("$.resource.contact.firstName", "string_unicode")]


@pytest.mark.parametrize("strict", [False, True])
def test_huge_int_key_in_mapping_is_json_type(strict: bool) -> None:
    """A mapping key that is an int past int()'s digit limit is a json_type error."""
    result = outcome({**sample(), 10**5000: 1}, strict=strict)
    assert isinstance(result, DecodeError)
    assert {d.code for d in result.errors} == {"json_type"}
    assert_safe_error(result)


@pytest.mark.parametrize("strict", [False, True])
def test_nesting_past_max_depth_in_text_is_json_depth(strict: bool) -> None:
    """Text nesting 100 levels (past MAX_DEPTH, 64) inside an unknown key is a json_depth error."""
    result = outcome(with_keys(f'"extra":{nested(100)}'), strict=strict)
    assert isinstance(result, DecodeError)
    assert "json_depth" in {d.code for d in result.errors}


@pytest.mark.parametrize("strict", [False, True])
def test_depth_outcome_does_not_depend_on_an_unrelated_escape(strict: bool) -> None:
    """An escaped emoji elsewhere in the body does not change how deep nesting is judged."""
    deep = f'"extra":{nested(100)}'
    plain = outcome(with_keys(deep), strict=strict)
    escaped = outcome(with_keys(f'{deep},"emoji":"\\ud83d\\ude00"'), strict=strict)
    assert type(plain) is type(escaped)
    if isinstance(plain, DecodeError) and isinstance(escaped, DecodeError):
        assert {d.code for d in plain.errors} - {"extra_forbidden"} == {d.code for d in escaped.errors} - {
            "extra_forbidden"
        }


def test_deep_nesting_is_refused_under_a_raised_recursion_limit() -> None:
    """With sys.setrecursionlimit raised, a 200,000-deep body is still json_depth, not a crash."""
    script = textwrap.dedent(
        f"""
        import sys
        import plenty_events
        sys.setrecursionlimit(1_000_000)
        try:
            plenty_events.decode("[" * {DEEP} + "]" * {DEEP})
        except plenty_events.DecodeError as exc:
            print(exc.errors[0].code)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"exit status {done.returncode}"
    assert done.stdout.strip() == "json_depth"


#: Exponents past the limits of the decimal module (about 10**18).
HUGE_EXPONENTS: dict[str, Callable[[], str]] = {
    "price-literal": lambda: replaced("41.1765", "1e99999999999999999999"),
    "unknown-key-literal": lambda: with_keys('"extra":1E-99999999999999999999'),
    "created-at-literal": lambda: replaced("1510656066", "11e-99999999999999999999"),
}


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("name", list(HUGE_EXPONENTS))
def test_number_literal_with_an_exponent_past_decimal_limits_is_a_decode_error(name: str, strict: bool) -> None:
    """A number literal whose exponent has 20 digits is a DecodeError, not decimal.InvalidOperation."""
    result = outcome(HUGE_EXPONENTS[name](), strict=strict)
    assert isinstance(result, DecodeError)
    assert_safe_error(result)


@pytest.mark.parametrize(
    ("where", "path", "code"),
    [
        ("41.1765", f"{ITEM_PATH}.priceNet", "decimal_range"),
        ('"id":221', "$.resource.order.id", "int_range"),
        ("1510656066", "$.createdAt", "timestamp_invalid"),
    ],
)
def test_number_string_with_an_exponent_past_decimal_limits_is_a_decode_error(where: str, path: str, code: str) -> None:
    """Lenient: a number string such as "1e99999999999999999999" is a range error, not decimal.InvalidOperation."""
    new = '"id":"1e99999999999999999999"' if where.startswith('"id"') else '"1e99999999999999999999"'
    result = outcome(replaced(where, new), strict=False)
    assert isinstance(result, DecodeError)
    assert [(d.path, d.code) for d in result.errors] == [(path, code)]


@pytest.mark.parametrize("value", [0.1, 1e-7, 2.675])
def test_unknown_event_from_a_mapping_with_floats_round_trips(value: float) -> None:
    """Lenient: an unknown event decoded from a mapping holding a float equals its re-decoded encoding."""
    payload = sample()
    payload["type"] = "OTHER.EVENT"
    payload["resource"] = {"amount": value}
    event = plenty_events.decode(payload)
    assert plenty_events.decode(plenty_events.encode(event)) == event


# ---------------------------------------------------------------------------
# Results that do not depend on the caller's process: its decimal context,
# its int_max_str_digits, the state of the buffer it passes.
# ---------------------------------------------------------------------------


@pytest.fixture
def untrapped_context() -> Iterator[decimal.Context]:
    """A caller's decimal context that traps nothing, InvalidOperation included."""
    with decimal.localcontext() as context:
        for signal in context.traps:
            context.traps[signal] = False
        yield context


@pytest.fixture
def int_digits() -> Iterator[Callable[[int], None]]:
    """Set sys.set_int_max_str_digits for the test, and restore it afterwards."""
    before = sys.get_int_max_str_digits()
    try:
        yield sys.set_int_max_str_digits
    finally:
        sys.set_int_max_str_digits(before)


def parsed(data: bytes | str | memoryview, *, strict: bool = False) -> tuple[object, list[str]]:
    """Parse with the full parser; return the value and the codes reported."""
    report = Report()
    value = _json.parse(data, report, strict=strict)
    return value, [error.code for error in report.errors()]


@pytest.mark.usefixtures("untrapped_context")
@pytest.mark.parametrize("literal", ["1e99999999999999999999", "-1E-99999999999999999999"])
def test_the_parser_reads_numbers_under_its_own_decimal_context(literal: str) -> None:
    """Under a context without the InvalidOperation trap, an exponent past Decimal's limits is json_invalid, not NaN."""
    assert parsed(with_keys(f'"extra":{literal}')) == (_json.INVALID, ["json_invalid"])


@pytest.mark.usefixtures("untrapped_context")
@pytest.mark.parametrize("strict", [False, True])
def test_decoding_refuses_a_huge_exponent_under_an_untrapped_context(strict: bool) -> None:
    """decode() refuses 1e99999999999999999999 in an unknown key whatever the caller's decimal traps."""
    result = outcome(with_keys('"extra":1e99999999999999999999'), strict=strict)
    assert isinstance(result, DecodeError)
    assert "json_invalid" in {error.code for error in result.errors}


@pytest.mark.parametrize("strict", [False, True])
def test_the_digit_bound_holds_with_the_interpreters_limit_off(strict: bool, int_digits: Callable[[int], None]) -> None:
    """With sys.set_int_max_str_digits(0), a 1 MB integer literal is still json_invalid, without converting it."""
    int_digits(0)
    assert parsed(with_keys(f'"extra":{"9" * 1_000_000}'), strict=strict) == (_json.INVALID, ["json_invalid"])


@pytest.mark.parametrize("digits", [4_300, 4_301])
def test_the_digit_bound_is_4300_digits_whatever_the_interpreter_allows(
    digits: int, int_digits: Callable[[int], None]
) -> None:
    """A literal of 4,300 digits is read, one of 4,301 refused, under the default, a lower and no interpreter limit."""
    body = with_keys(f'"extra":-{"7" * digits}')
    expected = -int(Decimal("7" * digits))  # Decimal's conversion to int knows no digit limit
    for limit in (4_300, 640, 0):
        int_digits(limit)
        value, codes = parsed(body)
        if digits <= _json.MAX_INT_DIGITS:
            assert codes == []
            assert isinstance(value, dict)
            assert value["extra"] == expected
        else:
            assert (value, codes) == (_json.INVALID, ["json_invalid"])


def test_decoding_refuses_a_megabyte_integer_with_the_interpreters_limit_off(int_digits: Callable[[int], None]) -> None:
    """decode() refuses a 100 KB integer literal in an unknown key with the interpreter's limit disabled."""
    int_digits(0)
    result = outcome(with_keys(f'"extra":{"9" * 100_000}'), strict=False)
    assert isinstance(result, DecodeError)
    assert [error.code for error in result.errors] == ["json_invalid"]


def test_decoding_reads_a_2000_digit_integer_under_a_lower_interpreter_limit(int_digits: Callable[[int], None]) -> None:
    """Lenient: a 2,000-digit integer in an unknown key is kept, as by default, with the limit set to 640."""
    body = with_keys(f'"extra":{"9" * 2_000}')
    expected = outcome(body, strict=False)
    assert isinstance(expected, ServicePurchaseEvent)
    int_digits(640)
    assert outcome(body, strict=False) == expected


def test_the_parser_refuses_a_released_memoryview() -> None:
    """A memoryview released before parsing is json_invalid, not a ValueError."""
    view = memoryview(BASE.encode())
    view.release()
    assert parsed(view) == (_json.INVALID, ["json_invalid"])


@pytest.mark.parametrize("strict", [False, True])
def test_decoding_a_released_memoryview_is_a_decode_error(strict: bool) -> None:
    """decode() of a released memoryview raises DecodeError (json_invalid), not ValueError."""
    view = memoryview(BASE.encode())
    view.release()
    result = outcome(view, strict=strict)
    assert isinstance(result, DecodeError)
    assert [error.code for error in result.errors] == ["json_invalid"]


class _Text(str):
    __slots__ = ()

    def __str__(self) -> str:
        return MARKER


class _Number(enum.IntEnum):
    CONTACT = 1337


class _Gender(enum.StrEnum):
    MALE = "male"


@pytest.mark.parametrize("strict", [False, True])
def test_subclasses_of_json_types_in_a_mapping_are_read_as_their_plain_values(strict: bool) -> None:
    """A str subclass, a StrEnum and an IntEnum in a parsed mapping decode as the plain str and int they hold."""
    payload = sample()
    payload["id"] = _Text(payload["id"])
    payload["resource"]["contact"]["id"] = _Number.CONTACT
    payload["resource"]["contact"]["gender"] = _Gender.MALE
    event = plenty_events.decode(payload, strict=strict)
    assert event == plenty_events.decode(sample(), strict=strict)
    assert not event.repairs
    assert type(event.id) is str
    assert type(event.resource.contact.id) is int


def test_a_list_subclass_in_a_mapping_is_read_as_a_list() -> None:
    """A list subclass in a parsed mapping decodes as the list it holds."""

    class Items(list[Any]):
        __slots__ = ()

    payload = sample()
    payload["resource"]["order"]["orderItems"] = Items(payload["resource"]["order"]["orderItems"])
    assert plenty_events.decode(payload, strict=True) == plenty_events.decode(sample(), strict=True)


def test_type_names_say_which_python_type_a_subclass_is() -> None:
    """type_name() names a subclass of a JSON type by its class, not as the JSON type."""
    assert type_name(_Text("x")) == "a Python _Text"
    assert type_name(_Number.CONTACT) == "a Python _Number"
    assert (type_name("x"), type_name(True), type_name(1), type_name({}), type_name([])) == (
        "a string",
        "a boolean",
        "an integer",
        "an object",
        "an array",
    )


class _Price(Decimal):
    __slots__ = ()


class _Float(float):
    __slots__ = ()

    def __repr__(self) -> str:
        return "99"


@pytest.mark.parametrize("strict", [False, True])
def test_number_subclasses_in_a_mapping_are_read_as_their_plain_values(strict: bool) -> None:
    """A Decimal subclass decodes as its Decimal; a float subclass as its float, by float's own repr."""
    payload = at(QUANTITY, _Price("1"))
    assert plenty_events.decode(payload, strict=strict) == plenty_events.decode(sample(), strict=strict)
    as_subclass, as_float = (outcome(at(QUANTITY, number), strict=strict) for number in (_Float(1.5), 1.5))
    if strict:
        assert isinstance(as_subclass, DecodeError)
        assert isinstance(as_float, DecodeError)
        assert as_subclass.errors == as_float.errors
    else:
        assert as_subclass == as_float


class _Key(str):
    """A str whose instances hash and compare by identity, so that a dict holds it beside the same text."""

    __slots__ = ()
    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        return self is other


@pytest.mark.parametrize("strict", [False, True])
def test_str_subclass_keys_holding_the_same_text_are_duplicate_keys(strict: bool) -> None:
    """Two keys of a parsed mapping that hold the same text are a duplicate_key, as in JSON text."""
    payload = sample()
    payload["resource"]["order"][_Key("id")] = 222
    result = outcome(payload, strict=strict)
    assert isinstance(result, DecodeError)
    assert [(d.path, d.code) for d in result.errors] == [("$.resource.order.id", "duplicate_key")]


@pytest.mark.usefixtures("untrapped_context")
def test_lenient_number_strings_are_read_alike_under_an_untrapped_context() -> None:
    """Lenient: a number string past Decimal's limits gets the same errors whatever the caller's decimal traps."""
    body = replaced('"quantity":1', '"quantity":"1e99999999999999999999"')
    with decimal.localcontext(decimal.Context()) as default:
        default.traps[decimal.InvalidOperation] = True
        expected = outcome(body, strict=False)
    result = outcome(body, strict=False)
    assert isinstance(expected, DecodeError)
    assert isinstance(result, DecodeError)
    assert result.errors == expected.errors
