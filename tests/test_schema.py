"""The JSON Schema agrees with strict decoding on everything a schema can express."""

import json
from decimal import Decimal

import jsonschema
import pytest
from hypothesis import given

import plenty_events
from plenty_events.testing import invalid_payloads, payloads, sample_payload, to_json

SCHEMA = plenty_events.json_schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=None)

# Strict rules a JSON Schema cannot state (see json_schema's docstring).
NOT_EXPRESSIBLE = {"decimal_places", "duplicate_key"}


def as_schema_input(payload):
    """The payload as a validator sees JSON: numbers parsed from the text."""
    return json.loads(to_json(payload), parse_float=Decimal)


def test_the_schema_is_a_valid_draft_2020_12_schema():
    """The schema itself validates against the draft 2020-12 meta-schema."""
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_the_sample_payload_is_valid():
    """The documented example validates."""
    VALIDATOR.validate(as_schema_input(sample_payload()))


@given(payloads())
def test_strictly_valid_payloads_validate(payload):
    """Every payload the strict strategies generate validates against the schema."""
    VALIDATOR.validate(as_schema_input(payload))


@given(invalid_payloads())
def test_the_schema_rejects_what_strict_decoding_rejects(invalid):
    """For each single mutation that strict decoding rejects, the schema rejects it too, if it can say so."""
    if invalid.code in NOT_EXPRESSIBLE:
        assert VALIDATOR.is_valid(as_schema_input(invalid.payload))
    else:
        assert not VALIDATOR.is_valid(as_schema_input(invalid.payload))


def test_the_schema_cannot_state_the_decimal_places_rule():
    """Five decimal places pass the schema but not strict decoding: the documented gap."""
    payload = sample_payload()
    payload["resource"]["order"]["orderItems"][0]["priceNet"] = Decimal("41.17651")
    assert VALIDATOR.is_valid(as_schema_input(payload))
    with pytest.raises(plenty_events.DecodeError):
        plenty_events.decode(to_json(payload), strict=True)


def test_json_schema_returns_a_fresh_copy():
    """Changing the returned schema does not change the next one."""
    plenty_events.json_schema()["$defs"].clear()
    assert plenty_events.json_schema()["$defs"]
