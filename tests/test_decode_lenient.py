"""Lenient mode: repairs without guessing, each reported. One test per row of the lenient rule table."""

import json
import pickle
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

import pytest

import plenty_events
from plenty_events import Gender, Repair, UnknownEvent, _model
from plenty_events.testing import sample_payload, to_json
from tests.helpers import errors, locate, repairs, with_value, without

ITEM = "$.resource.order.orderItems[0]"
STRICT_EVENT = plenty_events.decode(sample_payload(), strict=True)


def decode(payload):
    return plenty_events.decode(to_json(payload))


def lenient_errors(payload):
    return errors(to_json(payload), strict=False)


def assert_round_trips(event):
    """A lenient result encodes to a strict-shaped payload that decodes to an equal event."""
    again = plenty_events.decode(plenty_events.encode(event))
    assert again == event
    assert again.repairs == () or all(r.code in {"country_unknown", "gender_unknown"} for r in again.repairs)


def test_lenient_is_the_default():
    """decode() without strict is lenient: an unknown key is ignored."""
    event = plenty_events.decode(to_json(with_value(sample_payload(), "$.extra", 1)))
    assert event == STRICT_EVENT


def test_a_valid_payload_needs_no_repair():
    """A strictly valid payload decodes to the strict event with no repairs."""
    event = decode(sample_payload())
    assert event == STRICT_EVENT
    assert event.repairs == ()


@pytest.mark.parametrize(
    "path", ["$.nickname", "$.resource.contact.nickname", "$.resource.order.currency", f"{ITEM}.vat"]
)
def test_unknown_keys_are_kept_and_reported(path):
    """Unknown keys at any level are kept in the object's extra with their values, and reported (key_kept)."""
    event = decode(with_value(sample_payload(), path, {"any": ["thing", Decimal("1.50")]}))
    assert event == STRICT_EVENT
    assert repairs(event) == [(path, "key_kept")]
    holder, key = locate(plenty_events.to_dict(event), path)
    assert holder[key] == {"any": ["thing", Decimal("1.50")]}
    kept = [obj.extra for obj in _objects(event) if obj.extra]
    assert kept == [{key: {"any": ["thing", Decimal("1.50")]}}]
    assert isinstance(kept[0], Mapping)
    with pytest.raises(TypeError):
        kept[0][key] = 1  # type: ignore[index]


def _objects(event):
    resource = event.resource
    return [event, resource, resource.contact, resource.address, resource.order, *resource.order.order_items]


def test_kept_values_are_checked_like_any_value():
    """A duplicate key or a lone surrogate inside a kept value is an error at its path."""
    body = to_json(sample_payload()).replace(b'"contact":{', b'"contact":{"note":{"a":1,"a":2},')
    assert errors(body, strict=False) == [("$.resource.contact.note.a", "duplicate_key")]
    body = to_json(sample_payload()).replace(b'"contact":{', b'"contact":{"note":"\\ud800",')
    assert errors(body, strict=False) == [("$.resource.contact.note", "string_unicode")]


def test_objects_without_unknown_keys_share_one_empty_extra():
    """Where nothing was kept, extra is the one empty read-only mapping, on both roads."""
    for event in (plenty_events.decode(sample_payload()), plenty_events.decode(to_json(sample_payload()))):
        assert all(obj.extra is _model.NO_EXTRA for obj in _objects(event))


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (Decimal("1338.0"), "int_from_fraction"),
        ("1338", "int_from_string"),
        (" 1338 ", "int_from_string"),
        ("1338.00", "int_from_string"),
        ("1.338e3", "int_from_string"),
    ],
)
def test_integral_fractions_and_decimal_strings_are_integers(value, code):
    """An integral fraction or a decimal string is read as the integer (int_from_fraction, int_from_string)."""
    path = f"{ITEM}.itemVariationId"
    event = decode(with_value(sample_payload(), path, value))
    assert event.resource.order.order_items[0].item_variation_id == 1338
    assert repairs(event) == [(path, code)]
    assert_round_trips(event)


@pytest.mark.parametrize("value", [Decimal("1.5"), "1.5", "1338.01"])
def test_a_non_integral_value_is_never_truncated(value):
    """1.5 for an integer is an error, not 1 (int_fraction)."""
    path = "$.resource.contact.id"
    assert lenient_errors(with_value(sample_payload(), path, value)) == [(path, "int_fraction")]


@pytest.mark.parametrize("path", ["$.resource.contact.id", f"{ITEM}.quantity", "$.createdAt"])
@pytest.mark.parametrize("value", [True, False])
def test_booleans_are_never_numbers(path, value):
    """True and false are not numbers in lenient mode either."""
    assert lenient_errors(with_value(sample_payload(), path, value))[0][0] == path


@pytest.mark.parametrize("value", ["", "abc", "1_000", "١٢", "0x10", "1e", None, [], {}])
def test_other_values_are_not_integers(value):
    """Strings that are not decimal numbers, and non-numbers, are errors (int_type)."""
    path = "$.resource.order.id"
    assert lenient_errors(with_value(sample_payload(), path, value)) == [(path, "int_type")]


def test_integers_outside_64_bits_are_errors():
    """The signed 64-bit bound holds in lenient mode, also for huge exponents."""
    path = "$.resource.order.id"
    for value in ["9223372036854775808", Decimal("1E+19"), Decimal("1e999999999")]:
        assert lenient_errors(with_value(sample_payload(), path, value)) == [(path, "int_range")]


@pytest.mark.parametrize(
    ("value", "expected", "code"),
    [
        ("49.00", Decimal("49.00"), "number_from_string"),
        (" 41.1765 ", Decimal("41.1765"), "number_from_string"),
        ("41.17654321", Decimal("41.17654321"), "number_from_string"),
        (Decimal("41.176543210987654321"), Decimal("41.176543210987654321"), None),
        (41.1765, Decimal("41.1765"), "number_from_float"),
    ],
)
def test_prices_take_numbers_and_decimal_strings_with_any_places(value, expected, code):
    """Prices accept decimal strings and any number of places, read exactly (number_from_string)."""
    path = f"{ITEM}.priceNet"
    event = plenty_events.decode(with_value(sample_payload(), path, value))
    price = event.resource.order.order_items[0].price_net
    assert price == expected
    assert price.as_tuple() == expected.as_tuple()
    assert repairs(event) == ([] if code is None else [(path, code)])
    assert_round_trips(event)


@pytest.mark.parametrize("value", ["forty", "", "NaN", "Infinity", "1,5", None, True, [1]])
def test_other_price_values_are_errors(value):
    """A price that is not a number or a decimal string is an error (number_type)."""
    path = f"{ITEM}.priceGross"
    assert lenient_errors(with_value(sample_payload(), path, value)) == [(path, "number_type")]


def test_prices_stay_below_ten_to_the_fifteenth():
    """The magnitude bound holds in lenient mode (decimal_range)."""
    path = f"{ITEM}.priceGross"
    assert lenient_errors(with_value(sample_payload(), path, "1e15")) == [(path, "decimal_range")]


MOMENT = datetime(2017, 11, 14, 10, 41, 6, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "codes"),
    [
        (1510656066, []),
        (Decimal("1510656066.0"), ["int_from_fraction"]),
        (Decimal("1510656066.999"), ["timestamp_fraction"]),
        ("1510656066", ["timestamp_from_string"]),
        ("1510656066.5", ["timestamp_from_string", "timestamp_fraction"]),
        (1510656066000, ["timestamp_milliseconds"]),
        (1510656066123, ["timestamp_milliseconds", "timestamp_fraction"]),
        ("1510656066123", ["timestamp_from_string", "timestamp_milliseconds", "timestamp_fraction"]),
        ("2017-11-14T10:41:06Z", ["timestamp_from_string"]),
        ("2017-11-14T10:41:06+00:00", ["timestamp_from_string"]),
        ("2017-11-14T11:41:06+01:00", ["timestamp_from_string"]),
        ("2017-11-14T10:41:06.75Z", ["timestamp_from_string", "timestamp_fraction"]),
        ("2017-11-14 11:41:06", ["timestamp_from_string", "timestamp_local_time"]),
    ],
)
def test_timestamps_in_other_forms_are_read_as_the_same_moment(value, codes):
    """Seconds, fractions, strings, milliseconds and ISO 8601 all give the same aware UTC moment, reported."""
    event = plenty_events.decode(with_value(sample_payload(), "$.createdAt", value))
    assert event.created_at == MOMENT
    assert event.created_at.tzinfo is UTC
    assert [code for _, code in repairs(event)] == codes
    assert plenty_events.to_dict(event)["createdAt"] == 1510656066
    assert_round_trips(event)


def test_a_time_without_offset_is_german_local_time_in_summer_too():
    """Plentymarkets' "YYYY-MM-DD hh:mm:ss" form is Europe/Berlin time, +02:00 in summer."""
    event = plenty_events.decode(with_value(sample_payload(), "$.createdAt", "2014-04-09 23:18:24"))
    assert event.created_at == datetime(2014, 4, 9, 21, 18, 24, tzinfo=UTC)


def test_every_strict_second_still_means_seconds():
    """The largest value strict mode accepts as seconds is still seconds, the next is milliseconds."""
    limit = plenty_events.timestamps.MAX_SECONDS
    event = plenty_events.decode(with_value(sample_payload(), "$.createdAt", limit))
    assert event.created_at == datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    event = plenty_events.decode(with_value(sample_payload(), "$.createdAt", limit + 1))
    assert event.created_at == datetime(1978, 1, 11, 21, 31, 40, tzinfo=UTC)


def test_negative_seconds_are_accepted_in_lenient_mode():
    """Times before 1970 are not repaired but accepted, and encode as negative seconds."""
    event = plenty_events.decode(with_value(sample_payload(), "$.createdAt", -86400))
    assert event.created_at == datetime(1969, 12, 31, tzinfo=UTC)
    assert_round_trips(event)


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2017-11-14",
        "14.11.2017 10:41",
        "2017-13-14T10:41:06Z",
        "",
        True,
        None,
        [],
        10**16,
        "1e300",
        Decimal("1e300"),
        "0001-01-01T00:00:00+01:00",
    ],
)
def test_unparseable_timestamps_are_errors(value):
    """Text that is not a number nor a date and time, a bare date, or a moment past the years 1 to 9999 is an error."""
    assert lenient_errors(with_value(sample_payload(), "$.createdAt", value)) == [("$.createdAt", "timestamp_invalid")]


OPTIONAL_STRINGS = [
    "$.resource.contact.firstName",
    "$.resource.contact.lastName",
    "$.resource.contact.email",
    "$.resource.address.companyName",
    "$.resource.address.firstName",
    "$.resource.address.lastName",
    "$.resource.address.additional",
    "$.resource.address.phone",
    "$.resource.address.email",
    "$.resource.order.payPalTransactionId",
]


@pytest.mark.parametrize("path", OPTIONAL_STRINGS)
def test_null_optional_strings_become_empty(path):
    """Null in a name, email, phone, company, addition or PayPal id becomes "" (null_to_empty)."""
    event = decode(with_value(sample_payload(), path, None))
    assert repairs(event) == [(path, "null_to_empty")]
    assert_round_trips(event)


@pytest.mark.parametrize("path", OPTIONAL_STRINGS)
def test_missing_optional_strings_become_empty(path):
    """A missing name, email, phone, company, addition or PayPal id becomes "" (missing_to_empty)."""
    event = decode(without(sample_payload(), path))
    assert repairs(event) == [(path, "missing_to_empty")]
    assert_round_trips(event)


@pytest.mark.parametrize(
    "path",
    [
        "$.resource.address.street",
        "$.resource.address.houseNumber",
        "$.resource.address.postalCode",
        "$.resource.address.town",
        f"{ITEM}.orderItemName",
    ],
)
def test_other_strings_are_still_required(path):
    """Street, house number, postal code, town and item name cannot be made up: null is an error."""
    assert lenient_errors(with_value(sample_payload(), path, None)) == [(path, "string_type")]
    assert lenient_errors(without(sample_payload(), path)) == [(path, "missing")]


@pytest.mark.parametrize(
    ("value", "expected", "codes"),
    [
        ("MALE", Gender.MALE, ["gender_case"]),
        ("Female", Gender.FEMALE, ["gender_case"]),
        (None, None, ["null_to_empty"]),
        ("", None, []),
        ("company", "company", ["gender_unknown"]),
    ],
)
def test_gender_is_case_insensitive_and_unknown_values_are_kept(value, expected, codes):
    """Gender ignores case, null is None, an unknown value is kept as it came (gender_case, gender_unknown)."""
    event = decode(with_value(sample_payload(), "$.resource.contact.gender", value))
    assert event.resource.contact.gender == expected
    assert type(event.resource.contact.gender) is type(expected)
    assert [code for _, code in repairs(event)] == codes
    assert_round_trips(event)


def test_a_one_element_resource_array_is_unwrapped():
    """Resource as the docs' one-element Resource[] array is unwrapped (resource_unwrapped)."""
    payload = sample_payload()
    payload["resource"] = [payload["resource"]]
    event = decode(payload)
    assert event == STRICT_EVENT
    assert repairs(event) == [("$.resource", "resource_unwrapped")]


def test_errors_inside_an_unwrapped_resource_name_the_array_index():
    """Paths inside an unwrapped resource keep the [0] of the wire."""
    payload = sample_payload()
    payload["resource"] = [payload["resource"]]
    payload["resource"][0]["contact"]["id"] = "x"
    assert lenient_errors(payload) == [("$.resource[0].contact.id", "int_type")]


@pytest.mark.parametrize("value", [[], [{}, {}], ["x"]])
def test_other_resource_arrays_are_errors(value):
    """An empty array, two resources, or an array of non-objects is not guessed at (object_type)."""
    payload = with_value(sample_payload(), "$.resource", value)
    assert lenient_errors(payload)[0][1] == "object_type"


@pytest.mark.parametrize(
    ("value", "expected", "code"),
    [
        (" de ", "DE", "country_normalized"),
        ("de", "DE", "country_normalized"),
        ("DEU", "DE", "country_alpha3"),
        ("aut", "AT", "country_alpha3"),
        ("CUW", "CW", "country_alpha3"),
        ("SXM", "SX", "country_alpha3"),
        ("BES", "BQ", "country_alpha3"),
        ("xi", "XI", "country_normalized"),
        ("ZZ", "ZZ", "country_unknown"),
        ("xk", "XK", "country_unknown"),
        ("", "", "country_unknown"),
        (1, "DE", "country_from_id"),
        (265, "XI", "country_from_id"),
        (258, "CW", "country_alpha3"),
    ],
)
def test_country_codes_are_normalised_and_unknown_ones_kept(value, expected, code):
    """Country codes are normalised for case, whitespace, alpha-3 and plentymarkets IDs; unknown ones are kept."""
    path = "$.resource.address.country"
    event = decode(with_value(sample_payload(), path, value))
    assert event.resource.address.country == expected
    assert (path, code) in repairs(event)
    assert_round_trips(event)


@pytest.mark.parametrize("value", [0, 111, 999, -1, True, None])
def test_unknown_country_ids_and_non_strings_are_errors(value):
    """An integer that is no plentymarkets country ID, or a non-string, is an error."""
    path = "$.resource.address.country"
    assert lenient_errors(with_value(sample_payload(), path, value))[0][0] == path


def test_an_integer_event_id_becomes_its_string():
    """An integer event id is written as its decimal string (string_from_int)."""
    event = decode(with_value(sample_payload(), "$.id", 12345))
    assert event.id == "12345"
    assert repairs(event) == [("$.id", "string_from_int")]


def test_a_byte_order_mark_is_removed():
    """A UTF-8 byte order mark before the body is removed and reported (bom_removed)."""
    event = plenty_events.decode(b"\xef\xbb\xbf" + to_json(sample_payload()))
    assert event == STRICT_EVENT
    assert repairs(event) == [("$", "bom_removed")]


@pytest.mark.parametrize(
    "path",
    [
        "$.id",
        "$.type",
        "$.createdAt",
        "$.resource",
        "$.resource.contact",
        "$.resource.address",
        "$.resource.order",
        "$.resource.order.orderItems",
    ],
)
def test_the_skeleton_is_still_required(path):
    """Missing id, type, createdAt, resource, contact, address, order or orderItems is still an error."""
    assert lenient_errors(without(sample_payload(), path)) == [(path, "missing")]


@pytest.mark.parametrize("path", ["$.resource.contact", "$.resource.address", "$.resource.order"])
@pytest.mark.parametrize("value", [None, "x", [{}]])
def test_contact_address_and_order_must_be_objects(path, value):
    """A contact, address or order that is not an object is still an error (object_type)."""
    assert lenient_errors(with_value(sample_payload(), path, value)) == [(path, "object_type")]


def test_empty_order_items_are_still_an_error():
    """An order without items is not a purchase (array_too_short)."""
    path = "$.resource.order.orderItems"
    assert lenient_errors(with_value(sample_payload(), path, [])) == [(path, "array_too_short")]


@pytest.mark.parametrize("body", [b"{", b"[]", b'{"a": NaN}', b"\xff", b'{"a":1,"a":2}'])
def test_broken_json_is_still_an_error(body):
    """Not JSON, not an object, NaN and duplicate keys are errors in lenient mode too."""
    assert errors(body, strict=False)


def test_repairs_are_structured_and_print_in_one_line():
    """Each repair has path, code and message; str() of each is one line, so a receiver logs them in one."""
    payload = with_value(sample_payload(), "$.createdAt", "1510656066")
    with_value(payload, "$.resource.address.country", "deu")
    event = decode(payload)
    assert all(isinstance(repair, Repair) for repair in event.repairs)
    line = "; ".join(map(str, event.repairs))
    assert "\n" not in line
    assert line == (
        "$.createdAt: read a number from a string [timestamp_from_string]; "
        "$.resource.address.country: mapped an ISO alpha-3 country code to alpha-2 [country_alpha3]"
    )
    assert event.repairs[0].to_dict() == {
        "path": "$.createdAt",
        "code": "timestamp_from_string",
        "message": "read a number from a string",
    }


def test_repairs_belong_to_their_own_decode():
    """No state is shared between decodes: a clean payload after a repaired one has no repairs."""
    repaired = decode(with_value(sample_payload(), "$.createdAt", "1510656066"))
    clean = decode(sample_payload())
    assert len(repaired.repairs) == 1
    assert clean.repairs == ()


def test_repairs_are_not_part_of_the_value():
    """Equality and hashing ignore repairs: a repaired event equals its clean twin."""
    repaired = decode(with_value(sample_payload(), "$.createdAt", "1510656066"))
    assert repaired == STRICT_EVENT
    assert hash(repaired) == hash(STRICT_EVENT)


def test_repair_messages_carry_no_personal_values():
    """A repair says what was done, not what the customer's data was."""
    payload = with_value(sample_payload(), "$.resource.contact.gender", "Secret-Gender")
    with_value(payload, "$.resource.address.country", " zz-private ")
    event = decode(payload)
    text = " ".join(map(str, event.repairs))
    assert "Secret" not in text
    assert "private" not in text


class TestUnknownEventTypes:
    """Lenient mode keeps events of types without a model; strict mode rejects them."""

    BODY = (
        b'{"id":"evt_1","type":"SERVICE.PLUGIN.CANCEL","createdAt":1510656066,'
        b'"resource":{"orderId":221,"x":[1.50,null]}}'
    )

    def test_an_unknown_type_becomes_an_unknown_event(self):
        """The envelope is decoded and the resource kept raw, fractions exact."""
        event = plenty_events.decode(self.BODY)
        assert isinstance(event, UnknownEvent)
        assert (event.id, event.type, event.created_at) == ("evt_1", "SERVICE.PLUGIN.CANCEL", MOMENT)
        assert event.resource == {"orderId": 221, "x": [Decimal("1.50"), None]}

    def test_an_unknown_event_encodes_back_to_the_same_json(self):
        """encode() gives back the same JSON, byte for byte for a compact body."""
        assert plenty_events.encode(plenty_events.decode(self.BODY)) == self.BODY

    def test_strict_mode_rejects_an_unknown_type(self):
        """Strict mode reports the type at $.type (event_type)."""
        assert errors(self.BODY, strict=True) == [("$.type", "event_type")]

    def test_the_envelope_of_an_unknown_event_follows_the_lenient_rules(self):
        """Timestamps of unknown events are repaired and errors reported like any other."""
        body = self.BODY.replace(b"1510656066", b'"2017-11-14T10:41:06Z"')
        event = plenty_events.decode(body)
        assert event.created_at == MOMENT
        assert repairs(event) == [("$.createdAt", "timestamp_from_string")]
        assert errors(self.BODY.replace(b'"evt_1"', b"null"), strict=False) == [("$.id", "string_type")]
        assert errors(self.BODY.replace(b'{"orderId', b'[{"orderId').replace(b"]}}", b"]}]}"), strict=False) == [
            ("$.resource", "object_type")
        ]

    def test_unknown_envelope_keys_are_kept_and_reported(self):
        """Extra envelope keys of an unknown event are kept in its extra, with a repair, and encoded back."""
        body = self.BODY[:-1] + b',"v":2}'
        event = plenty_events.decode(body)
        assert repairs(event) == [("$.v", "key_kept")]
        assert event.extra == {"v": 2}
        assert json.loads(plenty_events.encode(event)) == json.loads(body)

    def test_an_unknown_event_is_hashable_and_compares_by_value(self):
        """The raw resource takes part in equality but not in the hash."""
        first, second = plenty_events.decode(self.BODY), plenty_events.decode(self.BODY)
        assert first == second
        assert hash(first) == hash(second)
        assert json.loads(plenty_events.encode(first)) == json.loads(self.BODY)


def test_kept_values_are_read_only_all_the_way_down():
    """A kept value cannot be changed in place; it hashes, pickles, and the event's encoding stays as decoded."""
    event = decode({**sample_payload(), "x": {"a": [1, {"b": [2]}]}})
    encoded = plenty_events.encode(event)
    kept = event.extra["x"]
    with pytest.raises(TypeError):
        kept["a"] = 0  # type: ignore[index]
    with pytest.raises(AttributeError):
        kept["a"].append(3)
    with pytest.raises(TypeError):
        kept["a"][1]["b"] += (3,)
    assert kept == {"a": [1, {"b": [2]}]}
    assert hash(kept) == hash(pickle.loads(pickle.dumps(kept)))
    assert plenty_events.encode(event) == encoded
    assert plenty_events.to_dict(event)["x"] == {"a": [1, {"b": [2]}]}
    assert type(plenty_events.to_dict(event)["x"]["a"]) is list
