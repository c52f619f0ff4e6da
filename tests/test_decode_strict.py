"""Strict mode: the documented contract, exactly. One test per row of the strict rule table."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

import plenty_events
from plenty_events import Gender
from plenty_events.testing import sample_payload, to_json
from plenty_events.timestamps import MAX_SECONDS
from tests.helpers import errors, with_value, without

ITEM = "$.resource.order.orderItems[0]"


def decode_strict(payload):
    return plenty_events.decode(to_json(payload), strict=True)


def strict_errors(payload):
    return errors(to_json(payload), strict=True)


def test_sample_decodes_to_the_documented_values():
    """The documented example decodes to typed values: aware UTC datetimes, exact decimals, enums."""
    event = decode_strict(sample_payload())
    assert event.id == "evt_553ea8a294e2d3a75d5086a06fb53f5a"
    assert event.type is plenty_events.EventType.SERVICE_PLUGIN_PURCHASE
    assert event.created_at == datetime(2017, 11, 14, 10, 41, 6, tzinfo=UTC)
    assert event.created_at.tzinfo is UTC
    contact = event.resource.contact
    assert (contact.id, contact.gender, contact.first_name) == (1337, Gender.MALE, "John")
    assert event.resource.address.country == "DE"
    item = event.resource.order.order_items[0]
    assert item.price_net == Decimal("41.1765")
    assert str(item.price_net) == "41.1765"
    assert (item.quantity, item.price_gross) == (Decimal(1), Decimal(49))
    assert event.repairs == ()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[]", "expected an object, got an array"),
        (b'"text"', "expected an object, got a string"),
        (b"null", "expected an object, got null"),
    ],
)
def test_body_must_be_an_object(body, message):
    """A body that is valid JSON but not an object is rejected at $ (object_type)."""
    with pytest.raises(plenty_events.DecodeError) as info:
        plenty_events.decode(body, strict=True)
    assert [(e.path, e.code, e.message) for e in info.value.errors] == [("$", "object_type", message)]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b'{"id": }',
        b"{'id': 1}",
        b'{"id": "a"} {}',
        b'{"id": "a"}x',
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"a": -Infinity}',
        b'{"a": "\xff"}',
        b'{"a": "\xc0\xaf"}',
        b"\xef\xbb\xbf{}",
        '{"a": 1}'.encode("utf-16"),
        '{"a": 1}'.encode("utf-16-le"),
    ],
    ids=[
        "empty",
        "unclosed",
        "missing-value",
        "single-quotes",
        "two-documents",
        "trailing-garbage",
        "nan",
        "infinity",
        "minus-infinity",
        "invalid-utf8",
        "overlong-utf8",
        "bom",
        "utf16-bom",
        "utf16-le",
    ],
)
def test_invalid_json_text_is_rejected(body):
    """Text that is not exactly one UTF-8 JSON document is rejected at $ (json_invalid)."""
    assert errors(body, strict=True) == [("$", "json_invalid")]


def test_duplicate_keys_are_rejected_at_their_path():
    """A key that occurs twice in any object is rejected at the key's path (duplicate_key)."""
    body = to_json(sample_payload()).replace(b'"town":"Kassel"', b'"town":"Kassel","town":"Paris"')
    assert errors(body, strict=True) == [("$.resource.address.town", "duplicate_key")]


def test_duplicate_top_level_keys_are_rejected():
    """Duplicate keys at the top level are found too."""
    body = b'{"id":"a",' + to_json(sample_payload())[1:]
    assert errors(body, strict=True) == [("$.id", "duplicate_key")]


@pytest.mark.parametrize(
    "path",
    [
        "$.id",
        "$.type",
        "$.createdAt",
        "$.resource",
        "$.resource.contact",
        "$.resource.contact.gender",
        "$.resource.contact.email",
        "$.resource.address.additional",
        "$.resource.address.country",
        "$.resource.order.payPalTransactionId",
        "$.resource.order.orderItems",
        f"{ITEM}.quantity",
        f"{ITEM}.priceNet",
    ],
)
def test_every_documented_key_is_required(path):
    """A missing documented key is reported at its own wire path (missing)."""
    assert strict_errors(without(sample_payload(), path)) == [(path, "missing")]


@pytest.mark.parametrize(
    "path",
    ["$.nickname", "$.resource.contact.nickname", "$.resource.order.currency", f"{ITEM}.vat"],
)
def test_unknown_keys_are_rejected_at_their_own_path(path):
    """A key outside the documented ones is rejected at its own path, at any level (extra_forbidden)."""
    assert strict_errors(with_value(sample_payload(), path, 1)) == [(path, "extra_forbidden")]


def test_an_unknown_key_with_an_odd_name_gets_a_bracket_path():
    """Keys that are not short identifiers are shown in bracket notation as a masked hint."""
    payload = sample_payload()
    payload["resource"]["contact"]["first name"] = 1
    payload["x" * 500] = 1
    assert strict_errors(payload) == [
        ('$.resource.contact["f***"]', "extra_forbidden"),
        ('$["x***"]', "extra_forbidden"),
    ]


@pytest.mark.parametrize(
    "path",
    [
        "$.resource.contact.firstName",
        "$.resource.address.houseNumber",
        "$.resource.address.postalCode",
        "$.resource.order.payPalTransactionId",
        f"{ITEM}.orderItemName",
    ],
)
@pytest.mark.parametrize("value", [123, None, True, Decimal("1.5"), [], {}])
def test_strings_are_strings(path, value):
    """A string field takes a JSON string and nothing else (string_type)."""
    assert strict_errors(with_value(sample_payload(), path, value)) == [(path, "string_type")]


@pytest.mark.parametrize(
    "path", ["$.resource.contact.id", "$.resource.address.id", "$.resource.order.id", f"{ITEM}.itemVariationId"]
)
@pytest.mark.parametrize("value", ["1338", Decimal("1338.0"), Decimal("1E+3"), True, False, None])
def test_ints_are_json_integer_literals(path, value):
    """An id takes a JSON integer literal: not a string, a fraction, an exponent or a boolean (int_type)."""
    assert strict_errors(with_value(sample_payload(), path, value)) == [(path, "int_type")]


def test_int_type_applies_to_text_input():
    """The literal 1338.0 in JSON text is a fraction, not an integer."""
    body = to_json(sample_payload()).replace(b'"itemVariationId":1338', b'"itemVariationId":1338.0')
    assert errors(body, strict=True) == [(f"{ITEM}.itemVariationId", "int_type")]


@pytest.mark.parametrize(("value", "ok"), [(2**63 - 1, True), (-(2**63), True), (2**63, False), (-(2**63) - 1, False)])
def test_ints_stay_in_the_signed_64_bit_range(value, ok):
    """Integers are bounded to the signed 64-bit range (int_range)."""
    payload = with_value(sample_payload(), "$.resource.contact.id", value)
    if ok:
        assert decode_strict(payload).resource.contact.id == value
    else:
        assert strict_errors(payload) == [("$.resource.contact.id", "int_range")]


@pytest.mark.parametrize("path", [f"{ITEM}.quantity", f"{ITEM}.priceGross", f"{ITEM}.priceNet"])
@pytest.mark.parametrize("value", ["49.00", "49", True, None, []])
def test_prices_are_json_numbers(path, value):
    """Prices and quantity take a JSON number, never a string or a boolean (number_type)."""
    assert strict_errors(with_value(sample_payload(), path, value)) == [(path, "number_type")]


def test_a_float_in_a_parsed_mapping_is_rejected():
    """A float (from a body parsed elsewhere) cannot carry an exact price (number_type)."""
    payload = with_value(sample_payload(), f"{ITEM}.priceNet", 41.1765)
    assert errors(payload, strict=True) == [(f"{ITEM}.priceNet", "number_type")]


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        (b"41.1765", Decimal("41.1765")),
        (b"49", Decimal(49)),
        (b"49.00", Decimal("49.00")),
        (b"0.0001", Decimal("0.0001")),
        (b"1E-4", Decimal("0.0001")),
        (b"4.9e1", Decimal(49)),
        (b"-5.5", Decimal("-5.5")),
        (b"999999999999999.9999", Decimal("999999999999999.9999")),
    ],
)
def test_prices_are_read_exactly_from_the_literal(literal, expected):
    """A price is the Decimal of its literal's text, never a float's approximation."""
    body = to_json(sample_payload()).replace(b"41.1765", literal)
    price = plenty_events.decode(body, strict=True).resource.order.order_items[0].price_net
    assert price == expected
    assert price.as_tuple() == Decimal(literal.decode()).as_tuple()


@pytest.mark.parametrize("literal", [b"41.17651", b"0.00001", b"1E-5", b"49.00000"])
def test_prices_have_at_most_four_decimal_places(literal):
    """A number literal with more than four decimal places is rejected (decimal_places)."""
    body = to_json(sample_payload()).replace(b"41.1765", literal)
    assert errors(body, strict=True) == [(f"{ITEM}.priceNet", "decimal_places")]


@pytest.mark.parametrize("literal", [b"1000000000000000", b"1E+15", b"-1e999999999", b"1e999999999"])
def test_prices_stay_below_ten_to_the_fifteenth(literal):
    """Numbers of magnitude 10**15 or more are rejected (decimal_range)."""
    body = to_json(sample_payload()).replace(b"41.1765", literal)
    assert errors(body, strict=True) == [(f"{ITEM}.priceNet", "decimal_range")]


@pytest.mark.parametrize(("value", "code"), [("", "string_too_short"), ("x" * 201, "string_too_long")])
def test_id_has_1_to_200_characters(value, code):
    """The event id is 1 to 200 characters long (string_too_short, string_too_long)."""
    assert strict_errors(with_value(sample_payload(), "$.id", value)) == [("$.id", code)]


def test_id_of_200_characters_is_accepted():
    """200 characters, counted as code points, is the documented maximum."""
    event_id = "é" * 199 + "😀"
    assert decode_strict(with_value(sample_payload(), "$.id", event_id)).id == event_id


@pytest.mark.parametrize("value", ["SERVICE.PLUGIN.REFUND", "service.plugin.purchase", ""])
def test_type_must_be_a_known_event_type(value):
    """An unknown event type is rejected at $.type in strict mode (event_type)."""
    assert strict_errors(with_value(sample_payload(), "$.type", value)) == [("$.type", "event_type")]


def test_type_must_be_a_string():
    """A non-string type is a type error, and no model is picked."""
    assert strict_errors(with_value(sample_payload(), "$.type", 1)) == [("$.type", "string_type")]


@pytest.mark.parametrize("path", ["$.createdAt", "$.resource.contact.updatedAt", "$.resource.address.updatedAt"])
@pytest.mark.parametrize(
    ("value", "code"),
    [
        (-1, "timestamp_range"),
        (MAX_SECONDS + 1, "timestamp_range"),
        (10**30, "timestamp_range"),
        ("1510656066", "int_type"),
        (Decimal("1510656066.5"), "int_type"),
        (True, "int_type"),
    ],
)
def test_timestamps_are_non_negative_integer_seconds_that_fit_a_datetime(path, value, code):
    """Timestamps are non-negative integer Unix seconds up to 9999-12-31 (timestamp_range, int_type)."""
    assert strict_errors(with_value(sample_payload(), path, value)) == [(path, code)]


@pytest.mark.parametrize(
    ("seconds", "moment"),
    [
        (0, datetime(1970, 1, 1, tzinfo=UTC)),
        (MAX_SECONDS, datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
    ],
)
def test_timestamp_bounds_are_accepted(seconds, moment):
    """The first and the last second a datetime can hold are accepted."""
    assert decode_strict(with_value(sample_payload(), "$.createdAt", seconds)).created_at == moment


@pytest.mark.parametrize("value", [{}, "ab", 1, None])
def test_order_items_is_an_array(value):
    """OrderItems takes a JSON array; an object or a string is not iterated (array_type)."""
    path = "$.resource.order.orderItems"
    assert strict_errors(with_value(sample_payload(), path, value)) == [(path, "array_type")]


def test_order_items_is_not_empty():
    """An order needs at least one item (array_too_short)."""
    path = "$.resource.order.orderItems"
    assert strict_errors(with_value(sample_payload(), path, [])) == [(path, "array_too_short")]


def test_order_items_must_be_objects():
    """Each order item is an object, reported at its index."""
    path = "$.resource.order.orderItems"
    payload = sample_payload()
    payload["resource"]["order"]["orderItems"].append([])
    assert strict_errors(payload) == [(f"{path}[1]", "object_type")]


@pytest.mark.parametrize("path", ["$.resource", "$.resource.contact", "$.resource.address", "$.resource.order"])
@pytest.mark.parametrize("value", [[], "x", None, 1])
def test_nested_objects_are_objects(path, value):
    """resource, contact, address and order are JSON objects; the docs' Resource[] array is not (object_type)."""
    assert strict_errors(with_value(sample_payload(), path, value)) == [(path, "object_type")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("male", Gender.MALE),
        ("female", Gender.FEMALE),
        ("diverse", Gender.DIVERSE),
        ("", None),
    ],
)
def test_gender_values(value, expected):
    """Gender is male, female, diverse, or the documented empty string, which is None."""
    event = decode_strict(with_value(sample_payload(), "$.resource.contact.gender", value))
    assert event.resource.contact.gender is expected


@pytest.mark.parametrize("value", ["Male", "company", "m", " male"])
def test_other_genders_are_rejected(value):
    """Any other gender string is rejected (gender)."""
    path = "$.resource.contact.gender"
    assert strict_errors(with_value(sample_payload(), path, value)) == [(path, "gender")]


@pytest.mark.parametrize("code", ["DE", "AT", "US", "CW", "SX", "BQ", "XI", "IC", "EA", "XZ", "AN"])
def test_iso_and_plentymarkets_country_codes_are_accepted(code):
    """An ISO 3166-1 alpha-2 code or one of plentymarkets' own codes is accepted."""
    event = decode_strict(with_value(sample_payload(), "$.resource.address.country", code))
    assert event.resource.address.country == code


@pytest.mark.parametrize("code", ["de", "DEU", " DE", "XK", "ZZ", "--", "CUW", ""])
def test_other_country_codes_are_rejected(code):
    """Lowercase, alpha-3, user-assigned and unknown codes are rejected (country_code)."""
    path = "$.resource.address.country"
    assert strict_errors(with_value(sample_payload(), path, code)) == [(path, "country_code")]


@pytest.mark.parametrize("path", ["$.resource.contact.email", "$.resource.address.phone", "$.resource.address.email"])
@pytest.mark.parametrize("value", ["", "not an address", "+49 (0) 561 / 123"])
def test_email_and_phone_have_no_syntax_check(path, value):
    """Plentymarkets guarantees no email or phone syntax; any string, empty included, is accepted."""
    decode_strict(with_value(sample_payload(), path, value))


def test_every_error_is_reported_not_only_the_first():
    """All violations of a payload are reported, each at its own path."""
    payload = sample_payload()
    with_value(payload, "$.id", 1)
    with_value(payload, "$.resource.contact.gender", "x")
    with_value(payload, f"{ITEM}.quantity", "1")
    with_value(payload, "$.resource.address.country", "de")
    payload["resource"]["order"]["orderItems"].append({"itemVariationId": True})
    assert strict_errors(payload) == [
        ("$.id", "string_type"),
        ("$.resource.contact.gender", "gender"),
        ("$.resource.address.country", "country_code"),
        (f"{ITEM}.quantity", "number_type"),
        ("$.resource.order.orderItems[1].itemVariationId", "int_type"),
        ("$.resource.order.orderItems[1].quantity", "missing"),
        ("$.resource.order.orderItems[1].orderItemName", "missing"),
        ("$.resource.order.orderItems[1].priceGross", "missing"),
        ("$.resource.order.orderItems[1].priceNet", "missing"),
    ]


def test_lone_surrogates_are_rejected():
    """A lone surrogate escape cannot be encoded as UTF-8 and is rejected at its path (string_unicode)."""
    body = to_json(sample_payload()).replace(b'"John"', b'"Jo\\ud800hn"', 1)
    assert errors(body, strict=True) == [("$.resource.contact.firstName", "string_unicode")]


def test_surrogate_pairs_are_accepted():
    """A correctly paired surrogate escape is one character, and fine."""
    body = to_json(sample_payload()).replace(b'"John"', b'"\\ud83d\\ude00"', 1)
    assert plenty_events.decode(body, strict=True).resource.contact.first_name == "😀"


def test_mapping_input_is_decoded_like_text():
    """An already parsed mapping decodes to the same event as its JSON text."""
    assert plenty_events.decode(sample_payload(), strict=True) == decode_strict(sample_payload())


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview, lambda b: b.decode()])
def test_all_text_input_types_are_accepted(kind):
    """bytes, bytearray, memoryview and str are all JSON text."""
    body = to_json(sample_payload())
    assert plenty_events.decode(kind(body), strict=True) == decode_strict(sample_payload())


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ({1, 2}, "json_type"),
        ((1, 2), "json_type"),
        (object(), "json_type"),
        (float("nan"), "json_invalid"),
    ],
)
def test_non_json_values_in_a_mapping_are_rejected_at_their_path(value, code):
    """A parsed mapping may only hold JSON values; anything else is rejected where it is."""
    path = "$.resource.contact.firstName"
    assert errors(with_value(sample_payload(), path, value), strict=True) == [(path, code)]


def test_non_string_keys_in_a_mapping_are_rejected():
    """Object keys are strings."""
    payload = sample_payload()
    payload["resource"][1] = "x"
    assert errors(payload, strict=True) == [('$.resource["1***"]', "json_type")]


def test_duplicate_keys_are_found_on_the_slow_path_too():
    """With a surrogate escape elsewhere the whole tree is walked; duplicates are still reported once, in text order."""
    body = to_json(sample_payload()).replace(b'"town":"Kassel"', b'"town":"Kassel","town":"Kassel"')
    body = body.replace(b'"Doe"', b'"D\\ud800oe"', 1)
    assert errors(body, strict=True) == [
        ("$.resource.contact.lastName", "string_unicode"),
        ("$.resource.address.town", "duplicate_key"),
    ]
