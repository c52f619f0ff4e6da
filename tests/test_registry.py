"""Decoder: models registered for event types the library does not know."""

from datetime import UTC, datetime
from decimal import Decimal

import attrs
import pytest

import plenty_events
from helpers import errors
from plenty_events import Decoder
from plenty_events._model import Kind, wire
from plenty_events.testing import sample_payload, to_json


@attrs.frozen
class Line:
    sku: str
    amount: Decimal
    paid: bool


@attrs.frozen
class Refund:
    order_id: int
    lines: tuple[Line, ...]
    pay_pal_id: str = attrs.field(metadata=wire("payPalTransactionId", Kind.TEXT))


@attrs.frozen
class RefundEvent:
    id: str
    type: str
    created_at: datetime
    resource: Refund


DECODER = Decoder({"SERVICE.PLUGIN.REFUND": RefundEvent})
BODY = (
    b'{"id":"r1","type":"SERVICE.PLUGIN.REFUND","createdAt":1510656066,"resource":{"orderId":221,'
    b'"lines":[{"sku":"A","amount":49.50,"paid":true}],"payPalTransactionId":"X"}}'
)


def failure(body, *, strict):
    with pytest.raises(plenty_events.DecodeError) as info:
        DECODER.decode(body, strict=strict)
    return [(e.path, e.code) for e in info.value.errors]


def test_a_registered_type_decodes_to_its_model():
    """The registered model is built, camelCase or metadata wire keys mapped to its fields."""
    event = DECODER.decode(BODY, strict=True)
    assert event == RefundEvent(
        "r1",
        "SERVICE.PLUGIN.REFUND",
        datetime(2017, 11, 14, 10, 41, 6, tzinfo=UTC),
        Refund(221, (Line("A", Decimal("49.50"), True),), "X"),
    )


def test_a_registered_model_encodes_back_to_the_wire():
    """encode() writes a registered event with the same wire keys."""
    assert plenty_events.encode(DECODER.decode(BODY)) == BODY


def test_registered_values_follow_the_strict_rules_with_wire_paths():
    """Wrong values in a registered model are reported at their wire paths, with the strict codes."""
    body = BODY.replace(b'"orderId":221', b'"orderId":"221"').replace(b"true", b"1").replace(b'"sku":"A",', b"")
    assert failure(body, strict=False) == [
        ("$.resource.orderId", "int_type"),
        ("$.resource.lines[0].sku", "missing"),
        ("$.resource.lines[0].paid", "bool_type"),
    ]


def test_a_registered_field_named_like_a_library_field_is_encoded():
    """Only the library's own repairs are left off the wire, not any field called repairs."""

    @attrs.frozen
    class Audit:
        id: str
        type: str
        created_at: datetime
        repairs: int

    body = b'{"id":"a","type":"AUDIT","createdAt":0,"repairs":2}'
    assert plenty_events.encode(Decoder({"AUDIT": Audit}).decode(body, strict=True)) == body


def test_unknown_keys_are_rejected_in_strict_mode_and_ignored_in_lenient_mode():
    """Strict mode forbids unknown keys in registered models too; lenient mode ignores them."""
    body = BODY.replace(b'"orderId":221', b'"orderId":221,"note":"x"')
    assert failure(body, strict=True) == [("$.resource.note", "extra_forbidden")]
    assert DECODER.decode(body).resource.order_id == 221


def test_the_built_in_type_and_unknown_types_still_work():
    """A Decoder decodes purchases and, leniently, unknown types as decode() does."""
    assert DECODER.decode(to_json(sample_payload()), strict=True) == plenty_events.decode(sample_payload(), strict=True)
    assert isinstance(DECODER.decode(b'{"id":"e","type":"X","createdAt":0,"resource":{}}'), plenty_events.UnknownEvent)


def test_registrations_are_not_global():
    """The module-level decode() does not know a Decoder's models."""
    assert errors(BODY, strict=True) == [("$.type", "event_type")]


def test_the_built_in_type_cannot_be_replaced():
    """Registering SERVICE.PLUGIN.PURCHASE is a ValueError."""
    with pytest.raises(ValueError, match="built-in"):
        Decoder({"SERVICE.PLUGIN.PURCHASE": RefundEvent})


def test_models_must_be_attrs_classes():
    """A model that is not an attrs class is a TypeError at registration."""
    with pytest.raises(TypeError, match="attrs"):
        Decoder({"X": dict})


def test_a_value_that_fits_no_rule_is_reported_as_invalid():
    """A field type cattrs cannot structure is reported as a DecodeError, not raised."""

    class Opaque:
        pass

    @attrs.frozen
    class Odd:
        id: str
        type: str
        created_at: datetime
        resource: Opaque

    decoder = Decoder({"ODD": Odd})
    with pytest.raises(plenty_events.DecodeError) as info:
        decoder.decode(b'{"id":"e","type":"ODD","createdAt":0,"resource":{"a":1}}')
    assert [e.code for e in info.value.errors] == ["invalid"]
