"""Decode and encode are inverse, and lenient mode is a superset of strict mode (Hypothesis)."""

import json
from decimal import Decimal

from hypothesis import given

import plenty_events
from plenty_events.testing import events, invalid_payloads, payloads, to_json
from tests.strategies import drifted, repairable


def as_json(data: bytes):
    return json.loads(data, parse_float=Decimal)


@given(events())
def test_decoding_an_encoded_event_gives_it_back(event):
    """decode(encode(e), strict=True) == e for every strictly valid event."""
    assert plenty_events.decode(plenty_events.encode(event), strict=True) == event


@given(payloads())
def test_encoding_a_decoded_payload_gives_it_back(payload):
    """encode(decode(p)) is p as a JSON value, exact decimals compared as decimals."""
    encoded = plenty_events.encode(plenty_events.decode(to_json(payload), strict=True))
    assert as_json(encoded) == as_json(to_json(payload))


@given(payloads())
def test_encoding_is_byte_identical_for_compact_payloads(payload):
    """The encoder writes the wire format's own compact form: same keys, order and literals."""
    body = to_json(payload)
    assert plenty_events.encode(plenty_events.decode(body, strict=True)) == body


@given(payloads())
def test_lenient_accepts_everything_strict_accepts(payload):
    """Lenient mode returns an equal event for every strictly valid payload, with no repairs."""
    strict = plenty_events.decode(to_json(payload), strict=True)
    lenient = plenty_events.decode(to_json(payload))
    assert lenient == strict
    assert lenient.repairs == ()


@given(invalid_payloads())
def test_strict_mode_rejects_each_single_mutation_at_its_path(invalid):
    """A single wrong value, missing key or unknown key is reported exactly, at its path."""
    try:
        plenty_events.decode(to_json(invalid.payload), strict=True)
    except plenty_events.DecodeError as exc:
        assert [(e.path, e.code) for e in exc.errors] == [(invalid.path, invalid.code)]
    else:
        raise AssertionError("strict mode accepted an invalid payload")


@given(repairable())
def test_lenient_repairs_give_the_strict_event(pair):
    """Values written in repairable forms decode leniently to the event of the canonical payload."""
    payload, variant = pair
    expected = plenty_events.decode(to_json(payload), strict=True)
    assert plenty_events.decode(to_json(variant)) == expected


@given(repairable())
def test_lenient_results_round_trip(pair):
    """Whatever lenient mode returns encodes in canonical form and decodes again to an equal event."""
    _, variant = pair
    event = plenty_events.decode(to_json(variant))
    encoded = plenty_events.encode(event)
    assert plenty_events.decode(encoded) == event
    # Kept unknown keys are written back, and strict mode rejects them.
    assert plenty_events.decode(plenty_events.encode(plenty_events.redact(event)), strict=True) == plenty_events.redact(
        event
    )


@given(drifted())
def test_the_lenient_round_trip_of_a_drifted_payload_is_lossless(payload):
    """Unknown keys and their values survive decode and encode: the wire mapping is the payload, up to key order."""
    event = plenty_events.decode(to_json(payload))
    assert plenty_events.to_dict(event) == payload
    again = plenty_events.decode(plenty_events.encode(event))
    assert again == event
    assert plenty_events.to_dict(again) == payload
    assert {repair.code for repair in event.repairs} == {"key_kept"}
