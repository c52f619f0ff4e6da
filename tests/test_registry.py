"""Decoder: models registered for event types the library does not know."""

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest

import plenty_events
from plenty_events import Decoder
from plenty_events._model import Kind, wire
from plenty_events.testing import sample_payload, to_json
from tests.helpers import errors


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
    assert failure(body, strict=True) == [
        ("$.resource.orderId", "int_type"),
        ("$.resource.lines[0].sku", "missing"),
        ("$.resource.lines[0].paid", "bool_type"),
    ]


@attrs.frozen
class AuditedRefundEvent:
    id: str
    type: str
    created_at: datetime
    resource: Refund
    repairs: tuple[plenty_events.Repair, ...] = attrs.field(default=(), eq=False)


def test_registered_values_follow_the_lenient_rules_and_get_the_repairs():
    """In lenient mode a registered model's fields get their kinds' lenient rules, and its repairs field the repairs."""
    decoder = Decoder({"SERVICE.PLUGIN.REFUND": AuditedRefundEvent})
    body = BODY.replace(b'"orderId":221', b'"orderId":"221"').replace(
        b'"createdAt":1510656066', b'"createdAt":"1510656066"'
    )
    event = decoder.decode(body)
    assert event == decoder.decode(BODY, strict=True)
    assert [(repair.path, repair.code) for repair in event.repairs] == [
        ("$.createdAt", "timestamp_from_string"),
        ("$.resource.orderId", "int_from_string"),
    ]
    assert failure(body.replace(b"true", b"1"), strict=False) == [("$.resource.lines[0].paid", "bool_type")]


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


def test_a_field_type_without_a_kind_is_refused_at_registration():
    """A field type no kind decodes is a TypeError when the model is registered, naming the field."""

    class Opaque:
        pass

    @attrs.frozen
    class Odd:
        id: str
        type: str
        created_at: datetime
        resource: Opaque

    with pytest.raises(TypeError, match=r"Odd\.resource: no field kind"):
        Decoder({"ODD": Odd})


def _refuse_with_type_error(_instance: object, _attribute: object, value: int) -> None:
    if value <= 0:
        raise TypeError("not positive")


@pytest.mark.parametrize(
    "validator",
    [attrs.validators.gt(0), _refuse_with_type_error],
    ids=["ValueError", "TypeError"],
)
def test_a_model_that_refuses_its_values_is_reported_as_invalid(validator: Any) -> None:
    """A registered model whose validator raises, whatever it raises, is a DecodeError at the object's path."""

    @attrs.frozen
    class Positive:
        amount: int = attrs.field(validator=validator)

    @attrs.frozen
    class Checked:
        id: str
        type: str
        created_at: datetime
        resource: Positive

    decoder = Decoder({"CHECKED": Checked})
    body = b'{"id":"e","type":"CHECKED","createdAt":0,"resource":{"amount":%d}}'
    assert decoder.decode(body % 5).resource.amount == 5
    assert decoder.decode(body % 5, strict=True).resource.amount == 5
    for strict in (True, False):
        with pytest.raises(plenty_events.DecodeError) as info:
            decoder.decode(body % -5, strict=strict)
        assert [(e.path, e.code) for e in info.value.errors] == [("$.resource", "invalid")]
        assert "-5" not in str(info.value)


@attrs.frozen
class Tag:
    name: str


@attrs.frozen
class Box:
    tags: tuple[Tag, ...]
    labels: tuple[Tag, ...]


@attrs.frozen
class Shipment:
    boxes: tuple[Box, ...]
    spare: Box


@attrs.frozen
class ShipmentEvent:
    id: str
    created_at: datetime
    resource: Shipment


def test_arrays_inside_array_items_decode_on_both_roads():
    """Arrays inside the items of an array, and one item model in several arrays, decode alike on both roads."""
    decoder = Decoder({"SHIP": ShipmentEvent})
    body = (
        b'{"id":"s","type":"SHIP","createdAt":0,"resource":{"boxes":[{"tags":[{"name":"a"},{"name":"b"}],'
        b'"labels":[{"name":"c"}]},{"tags":[{"name":"d"}],"labels":[{"name":"e"}]}],'
        b'"spare":{"tags":[{"name":"f"}],"labels":[{"name":"g"}]}}}'
    )
    event = decoder.decode(body, strict=True)
    assert [tag.name for box in event.resource.boxes for tag in box.tags] == ["a", "b", "d"]
    assert event.resource.spare.labels == (Tag("g"),)
    # A colon beside an escape sends the same body down the explaining road, which agrees.
    escaped = body.replace(b'"name":"a"', b'"name":"a:\\t"')
    assert decoder._engine.fast_road().decode(escaped) is None
    assert decoder.decode(escaped, strict=True).resource.boxes[0].tags[0] == Tag("a:\t")
    assert plenty_events.encode(event) == body.replace(b'"type":"SHIP",', b"")


def test_a_model_that_runs_code_when_built_is_built_by_its_init():
    """A registered model with __attrs_post_init__ is built by its __init__, which runs it."""
    built = []

    @attrs.frozen
    class Hooked:
        id: str
        type: str
        created_at: datetime

        def __attrs_post_init__(self):
            built.append(self.id)

    decoder = Decoder({"HOOKED": Hooked})
    assert decoder.decode(b'{"id":"h","type":"HOOKED","createdAt":0}', strict=True).id == "h"
    assert built == ["h"]


@pytest.mark.parametrize(
    ("type_annotation", "message"),
    [(Tag, "'type' must be a scalar"), (int, "is not a value of the envelope's 'type' field")],
    ids=["an object", "a kind that rejects the event type"],
)
def test_an_envelope_type_field_must_hold_its_event_type(type_annotation: type, message: str) -> None:
    """A registered model whose type field is an object, or of a kind that rejects its event type, is refused."""
    kindless = attrs.make_class(
        "Kindless",
        {
            "id": attrs.field(type=str),
            "type": attrs.field(type=type_annotation),
            "created_at": attrs.field(type=datetime),
        },
        frozen=True,
        slots=True,
    )
    with pytest.raises(TypeError, match=message):
        Decoder({"KINDLESS": kindless})


@attrs.frozen
class KeepingRefund:
    order_id: int
    lines: tuple[Line, ...]
    pay_pal_id: str = attrs.field(metadata=wire("payPalTransactionId", Kind.TEXT))
    extra: Mapping[str, Any] = attrs.field(factory=dict, eq=False)


@attrs.frozen
class KeepingRefundEvent:
    id: str
    type: str
    created_at: datetime
    resource: KeepingRefund


def test_a_registered_model_keeps_unknown_keys_only_where_it_has_an_extra_field():
    """Unknown keys go to a registered model's extra field, written back by encode; a model without one drops them."""
    body = BODY.replace(b'"orderId":221', b'"orderId":221,"note":"x"')
    kept = Decoder({"SERVICE.PLUGIN.REFUND": KeepingRefundEvent}).decode(body)
    assert kept.resource.extra == {"note": "x"}
    assert json.loads(plenty_events.encode(kept)) == json.loads(body)
    with pytest.raises(plenty_events.DecodeError):
        Decoder({"SERVICE.PLUGIN.REFUND": KeepingRefundEvent}).decode(body, strict=True)
    dropped = Decoder({"SERVICE.PLUGIN.REFUND": AuditedRefundEvent}).decode(body)
    assert [(repair.path, repair.code) for repair in dropped.repairs] == [("$.resource.note", "key_ignored")]
    assert plenty_events.encode(dropped) == BODY


def test_extra_cannot_shadow_a_field_when_encoded():
    """A hand-built extra that holds a key of the model's own is a ValueError when encoded."""
    event = KeepingRefundEvent("r", "T", datetime(2017, 1, 1, tzinfo=UTC), KeepingRefund(1, (), "X", {"orderId": 2}))
    with pytest.raises(ValueError, match="orderId"):
        plenty_events.to_dict(event)


def test_a_model_with_keyword_only_fields_is_built_by_keyword_on_both_roads():
    """Wire fields that are not the model's leading positional arguments are passed by keyword, on both roads."""

    @attrs.frozen
    class Keywords:
        id: str
        type: str
        created_at: datetime = attrs.field(kw_only=True)

    decoder = Decoder({"KEYWORDS": Keywords})
    body = b'{"id":"k","type":"KEYWORDS","createdAt":0}'
    expected = Keywords("k", "KEYWORDS", created_at=datetime(1970, 1, 1, tzinfo=UTC))
    assert decoder.decode(body, strict=True) == expected
    assert decoder.decode(body.replace(b'"k"', b'"k:"'), strict=True) == attrs.evolve(expected, id="k:")


def test_a_model_built_by_keyword_keeps_its_unknown_keys():
    """A model built by keyword gets the unknown keys it keeps in its extra, as a positional one does."""

    @attrs.frozen
    class KeywordsKeeping:
        id: str
        type: str
        created_at: datetime = attrs.field(kw_only=True)
        extra: Mapping[str, Any] = attrs.field(factory=dict, kw_only=True)

    decoder = Decoder({"KEYWORDS": KeywordsKeeping})
    event = decoder.decode(b'{"id":"k","type":"KEYWORDS","createdAt":0,"note":"n"}')
    assert event.created_at == datetime(1970, 1, 1, tzinfo=UTC)
    assert dict(event.extra) == {"note": "n"}


@attrs.frozen
class Note:
    """A note."""

    text: str


@attrs.frozen
class Noted:
    """An event with optional fields."""

    id: str
    type: str
    created_at: datetime
    resource: Note
    memo: str | None = plenty_events.field("memo", plenty_events.Kind.TEXT, required=False, personal=True)
    count: int = plenty_events.field("count", plenty_events.Kind.INTEGER, required=False, default=0)
    note: Note = plenty_events.field("note", plenty_events.Kind.OBJECT, default=Note("n"))


NOTED = b'{"id":"e","type":"NOTED","createdAt":0,"resource":{"text":"t"},"note":{"text":"n"}'


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("text", [b'"t"', b'"x:\\ty"'], ids=["fast road", "explaining road"])
def test_an_optional_field_may_be_absent_in_both_modes_and_stays_absent_on_encode(strict: bool, text: bytes) -> None:
    """A field declared required=False decodes with and without its key, on both roads, and encodes as it came."""
    decoder = Decoder({"NOTED": Noted})
    body = NOTED.replace(b'"t"', text)
    # A colon beside an escape is what sends the body down the explaining road.
    assert (decoder._engine.fast_road().decode(body + b"}") is None) is (text != b'"t"')
    absent = decoder.decode(body + b"}", strict=strict)
    assert (absent.memo, absent.count, absent.note) == (None, 0, Note("n"))  # type: ignore[union-attr]
    assert b"memo" not in plenty_events.encode(absent)
    present = decoder.decode(body + b',"memo":"Jane","count":3}', strict=strict)
    assert (present.memo, present.count) == ("Jane", 3)  # type: ignore[union-attr]
    assert "'J***'" in repr(present)
    assert decoder.decode(plenty_events.encode(present), strict=True) == present


def test_an_optional_field_is_encoded_in_its_declared_place() -> None:
    """A present optional key is written where the model declares it, so a compact body encodes back byte for byte."""
    decoder = Decoder({"NOTED": Noted})
    body = NOTED.replace(b',"note"', b',"memo":"Jane","count":3,"note"') + b"}"
    assert plenty_events.encode(decoder.decode(body, strict=True)) == body


def test_an_optional_field_is_checked_when_present() -> None:
    """A present optional key obeys its kind's strict rule."""
    decoder = Decoder({"NOTED": Noted})
    with pytest.raises(plenty_events.DecodeError) as raised:
        decoder.decode(NOTED + b',"count":"3"}', strict=True)
    assert [(error.path, error.code) for error in raised.value.errors] == [("$.count", "int_type")]


def test_only_a_scalar_field_can_be_optional() -> None:
    """An optional object or array field is refused where it is declared."""
    with pytest.raises(TypeError, match="scalar kind"):
        plenty_events.field("note", plenty_events.Kind.OBJECT, required=False)


def test_an_optional_field_needs_a_shared_default() -> None:
    """A factory default cannot be shared by the fast road's glue: the decoder refuses the model at once."""
    model = attrs.make_class(
        "Listed",
        {
            "id": plenty_events.field("id", plenty_events.Kind.EVENT_ID),
            "type": plenty_events.field("type", plenty_events.Kind.TEXT),
            "tags": plenty_events.field("tags", plenty_events.Kind.TEXT, required=False, default=attrs.Factory(str)),
        },
        frozen=True,
    )
    with pytest.raises(TypeError, match="default"):
        Decoder({"LISTED": model})


@attrs.frozen
class Node:
    id: int
    child: "Node"


@attrs.frozen
class Tree:
    id: str
    type: str
    created_at: datetime
    resource: Node


def test_a_model_that_holds_itself_is_refused() -> None:
    """A model that reaches itself through its fields cannot be decoded from JSON: TypeError names the cycle."""
    with pytest.raises(TypeError, match=r"Node holds itself \(Tree -> Node -> Node\)"):
        Decoder({"TREE": Tree})


def test_a_model_whose_extra_has_no_default_is_refused() -> None:
    """A model whose extra has no default cannot be built without unknown keys: TypeError at registration."""
    model = attrs.make_class(
        "Bare",
        {
            "id": plenty_events.field("id", plenty_events.Kind.EVENT_ID),
            "type": plenty_events.field("type", plenty_events.Kind.TEXT),
            "extra": attrs.field(metadata={"on_wire": False, "extra": True}),
        },
        frozen=True,
    )
    with pytest.raises(TypeError, match="extra needs a default"):
        Decoder({"BARE": model})


def test_a_declared_nested_field_takes_its_model_from_its_type() -> None:
    """field() of an object kind without model= reads the nested model from the annotation."""
    decoder = Decoder({"NOTED": Noted})
    event = decoder.decode(NOTED + b"}", strict=True)
    assert event.note == Note("n")  # type: ignore[union-attr]


def test_the_kit_reads_presence_from_the_declarations() -> None:
    """The schema, the strategies and the invalid changes leave an optional key out of what must be there."""
    from hypothesis import given  # noqa: PLC0415

    from plenty_events import _schema, testing  # noqa: PLC0415
    from plenty_events.testing import _sample as _testkit  # noqa: PLC0415

    defs: dict[str, object] = {}
    _schema._definition(Noted, defs)
    assert defs["Noted"]["required"] == ["id", "type", "createdAt", "resource", "note"]  # type: ignore[index]
    assert not _testkit.required(("memo",), Noted)
    assert _testkit.required(("resource", "text"), Noted)
    assert _testkit.rewrite({"other": 1}, _testkit.Rewrite(("memo",), str)) is False
    seen: set[bool] = set()

    @given(testing._object(Noted, max_items=1))
    def check(payload: dict[str, object]) -> None:
        seen.add("memo" in payload)
        assert list(payload) == [
            key for key in ["id", "type", "createdAt", "resource", "memo", "count", "note"] if key in payload
        ]

    check()
    assert seen == {True, False}
