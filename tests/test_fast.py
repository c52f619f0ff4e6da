"""The fast road: what it accepts, the explaining road accepts alike; anything else it declines."""

from __future__ import annotations

import linecache
import pickle
import sys
from datetime import UTC, datetime
from typing import Any, Self

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import plenty_events
from plenty_events import DecodeError, ServicePurchaseEvent
from plenty_events._decode import BUILTIN, BUILTIN_MODELS
from plenty_events._fast import MAX_BRACKETS, FastRoad, builder
from plenty_events._kinds import Kind
from plenty_events._model import wire
from plenty_events._report import Report
from plenty_events._walk import LENIENT, STRICT, plan
from plenty_events.testing import payloads, sample_payload, to_json
from tests.helpers import key_count, long_road
from tests.strategies import key_twice, near_payloads

SAMPLE = to_json(sample_payload())


def fast(data: bytes | bytearray | memoryview | str) -> object:
    """The fast road alone: the event, or None for the explaining road."""
    return BUILTIN.fast_road().decode(data)


@given(near_payloads())
def test_what_the_fast_road_returns_the_explaining_road_returns_in_both_modes(payload: dict[str, Any]) -> None:
    """A fast result is the event both modes' explaining roads return, without a repair."""
    data = to_json(payload)
    event = fast(data)
    if event is None:
        return
    assert isinstance(event, ServicePurchaseEvent)
    for strict in (True, False):
        expected = long_road(data, strict=strict)
        assert isinstance(expected, ServicePurchaseEvent)
        assert event == expected
        assert expected.repairs == ()
    assert event.repairs == ()


@given(near_payloads(), st.booleans())
def test_decode_gives_the_explaining_roads_result_and_findings(payload: dict[str, Any], strict: bool) -> None:
    """Whichever road it takes, decode returns what the explaining road does, with the same errors and repairs."""
    data = to_json(payload)
    expected = long_road(data, strict=strict)
    try:
        event = plenty_events.decode(data, strict=strict)
    except DecodeError as exc:
        assert isinstance(expected, DecodeError)
        assert exc.errors == expected.errors
        return
    assert event == expected
    assert event.repairs == expected.repairs  # type: ignore[union-attr]


@given(payloads(max_items=8))
def test_valid_payloads_take_the_fast_road(payload: dict[str, Any]) -> None:
    """Every strictly valid payload is decoded fast, with whitespace too, unless colons in strings meet an escape."""
    data = to_json(payload)
    if data.count(b":") != key_count(payload) and b"\\" in data:
        return  # a colon in a string beside an escape: see the tests below
    assert fast(data) is not None
    assert fast(b"{\n  " + data[1:-1] + b"\n}\n") is not None


@st.composite
def _garbled(draw: st.DrawFn) -> bytes:
    """The sample with a few bytes somewhere replaced by arbitrary ones."""
    start = draw(st.integers(0, len(SAMPLE)))
    end = draw(st.integers(start, min(start + 8, len(SAMPLE))))
    return SAMPLE[:start] + draw(st.binary(max_size=8)) + SAMPLE[end:]


@given(_garbled() | st.binary(max_size=40), st.booleans())
def test_garbled_bodies_get_the_explaining_roads_verdict(data: bytes, strict: bool) -> None:
    """Bytes near the sample, or any bytes: the fast road accepts only what the explaining road accepts alike."""
    event = fast(data)
    if event is not None:
        assert event == long_road(data, strict=strict)


def test_the_sample_takes_the_fast_road() -> None:
    """The documented example is decoded fast, to the event the explaining road returns."""
    assert fast(SAMPLE) == long_road(SAMPLE, strict=True)


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview, lambda data: data.decode()])
def test_every_kind_of_text_takes_the_fast_road(kind: Any) -> None:
    """Bytes, bytearray, memoryview and str all take the fast road."""
    assert fast(kind(SAMPLE)) == long_road(SAMPLE, strict=True)


def test_a_colon_in_a_string_takes_the_fast_road() -> None:
    """Colons in strings, in a text without a backslash, are found in the struct: the fast road decodes it."""
    data = SAMPLE.replace(b"SuperService", b"Plan: Pro").replace(b"Kassel", b"Kassel::Mitte")
    event = fast(data)
    assert event is not None
    assert event == long_road(data, strict=True)
    assert event.resource.order.order_items[0].order_item_name == "Plan: Pro"  # type: ignore[attr-defined]


def test_a_colon_in_a_string_beside_an_escape_takes_the_explaining_road() -> None:
    """With a backslash in the text, a string may not read as written: the colons prove nothing, and it declines."""
    data = SAMPLE.replace(b"SuperService", b'Plan: \\"Pro\\"')
    assert fast(data) is None
    assert plenty_events.decode(data, strict=True).resource.order.order_items[0].order_item_name == 'Plan: "Pro"'


@pytest.mark.parametrize(
    "data",
    [
        b'{"id":"a",' + SAMPLE[1:],
        SAMPLE.replace(b'"contact":{', b'"contact":{"id":1,'),
        SAMPLE.replace(b'"contact":{', b'"contact":{"id":1,').replace(b"SuperService", b"a:b"),
        SAMPLE.replace(b'"orderItems":[{', b'"orderItems":[{"quantity":7,'),
        # The escaped colon is one more in the struct than in the text: it
        # would make up for the key left out, but a backslash proves nothing.
        SAMPLE.replace(b'"contact":{', b'"contact":{"id":1,').replace(b"SuperService", b"a\\u003ab"),
        SAMPLE.replace(b'"contact":{', b'"contact":{"email":"x:y",'),
    ],
    ids=[
        "envelope",
        "contact",
        "duplicate and a colon in a string",
        "order item",
        "duplicate and an escaped colon",
        "duplicate with a colon in its value",
    ],
)
@pytest.mark.parametrize("strict", [True, False])
def test_a_duplicate_key_never_passes_fast(data: bytes, strict: bool) -> None:
    """A duplicate key, even beside a colon in a string, goes to the explaining road, which reports it once."""
    assert fast(data) is None
    with pytest.raises(DecodeError) as raised:
        plenty_events.decode(data, strict=strict)
    assert [error.code for error in raised.value.errors].count("duplicate_key") == 1


@pytest.mark.parametrize(
    "data",
    [
        SAMPLE.replace(b"SERVICE.PLUGIN.PURCHASE", b"SERVICE.PLUGIN.REFUND"),
        SAMPLE.replace(b'"country":"DE"', b'"country":"de"'),
        SAMPLE.replace(b'"priceNet":41.1765', b'"priceNet":41.17651'),
        SAMPLE.replace(b'"priceNet":41.1765', b'"priceNet":"41.1765"'),
        SAMPLE.replace(b'"priceNet":41.1765', b'"priceNet":1e999999999999999999999'),
        b"\xef\xbb\xbf" + SAMPLE,
        SAMPLE.decode().encode("utf-16"),
        b"[" + SAMPLE + b"]",
        SAMPLE[:-1],
        SAMPLE + b"x",
        '{"id":"\ud800"}',
    ],
    ids=[
        "another type",
        "needs a repair",
        "invalid",
        "a price as a string",
        "an exponent past Decimal",
        "bom",
        "utf-16",
        "array",
        "cut",
        "trailing",
        "lone surrogate in a str",
    ],
)
def test_anything_else_takes_the_explaining_road(data: bytes | str) -> None:
    """Another event type, a payload needing a repair, or an invalid one, is not decoded fast."""
    assert fast(data) is None


@pytest.mark.parametrize(
    "data",
    [
        SAMPLE.replace(b"SuperService", b"Plan: \\tPro"),
        SAMPLE.replace(b'"contact":{', b'"contact":{"id":1,'),
        SAMPLE.replace(b'"priceNet":41.1765', b'"priceNet":' + b"[" * 2000 + b"]" * 2000),
    ],
    ids=["a colon in a string beside an escape", "a duplicate key", "more brackets than the bound"],
)
def test_what_the_fast_road_cannot_prove_valid_it_leaves_unproven(data: bytes) -> None:
    """A colon beside an escape, a key twice, or too many brackets: the fast road cannot tell, and declines."""
    assert fast(data) is None


@given(key_twice(), st.booleans())
def test_a_key_written_twice_never_passes_fast(data: bytes, strict: bool) -> None:
    """Whatever the first of two equal keys holds, colons or escapes, the fast road declines, and decode reports it."""
    assert fast(data) is None
    with pytest.raises(DecodeError) as raised:
        plenty_events.decode(data, strict=strict)
    assert "duplicate_key" in [error.code for error in raised.value.errors]


@pytest.mark.parametrize(
    "data",
    [
        SAMPLE.replace(b'"priceNet":41.1765', b'"priceNet":"41.1765"'),
        SAMPLE.replace(b'"country":"DE"', b'"country":"de"').replace(b'"id":1337', b'"id":"1337"'),
        SAMPLE.replace(b'"orderItems":[{', b'"orderItems":[{"x":1,').replace(b'"gender":"male"', b'"gender":"m"'),
        SAMPLE.replace(b'"contact":{', b'"contact":{"id":"1",'),
    ],
    ids=["one error", "errors in two objects", "errors in an item and a contact", "a duplicate key and an error"],
)
def test_a_broken_payload_gets_every_error_the_strict_walk_finds(data: bytes) -> None:
    """Where the fast road found a broken rule, strict decoding reports the errors of the whole strict walk."""
    expected = long_road(data, strict=True)
    assert isinstance(expected, DecodeError)
    with pytest.raises(DecodeError) as raised:
        plenty_events.decode(data, strict=True)
    assert raised.value.errors == expected.errors


@pytest.mark.parametrize("others", [0, 1], ids=["one model", "two models"])
def test_a_missing_type_is_declined_even_when_a_colon_makes_up_the_count(others: int) -> None:
    """Without its type, an envelope is declined, even where a colon in a string makes up for the missing key."""
    payload = sample_payload()
    del payload["type"]
    payload["resource"]["address"]["email"] = "a:b"
    road = FastRoad({**BUILTIN_MODELS, **({"STRANGE": _model_with()} if others else {})})
    assert road.decode(to_json(payload)) is None
    assert road.decode(SAMPLE) == fast(SAMPLE)


def test_a_released_buffer_is_declined() -> None:
    """A released memoryview is left to the explaining road, which words the error."""
    view = memoryview(bytearray(SAMPLE))
    view.release()
    assert fast(view) is None


def _deep(levels: int) -> bytes:
    return SAMPLE.replace(b'"priceNet":41.1765', b'"priceNet":' + b"[" * levels + b"]" * levels)


def test_deep_values_are_declined_before_any_recursion() -> None:
    """More opening brackets than the bound: declined without parsing, even under a raised recursion limit."""
    data = _deep(200_000)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1_000_000)
    try:
        assert fast(data) is None
    finally:
        sys.setrecursionlimit(limit)
    assert fast(_deep(MAX_BRACKETS - 20)) is None  # parsed, and declined: an array is no price


def test_a_low_recursion_limit_declines_rather_than_raises() -> None:
    """A caller's recursion limit below a value's depth makes the fast road decline, not raise."""
    data = _deep(400)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(150)
    try:
        result = BUILTIN.fast_road().decode(data)
    finally:
        sys.setrecursionlimit(limit)
    # Before 3.12 the limit stops msgspec's recursion; after, msgspec reaches
    # the array, which is no price: either way the road declines.
    assert result is None


def test_the_glue_is_registered_for_tracebacks() -> None:
    """The generated builder's source is in linecache under its own file name, as attrs does it."""
    build = builder(ServicePurchaseEvent, "SERVICE.PLUGIN.PURCHASE")
    lines = linecache.getlines(build.__code__.co_filename)
    assert lines[0] == "def build_OrderItem(wire):\n"
    assert "def build_ServicePurchaseEvent(wire, text, colons):\n" in lines
    assert "event_resource_contact.first_name = wire_resource_contact.first_name\n" in [
        line.strip() + "\n" for line in lines
    ]


def test_each_generated_builder_has_a_linecache_name_of_its_own() -> None:
    """Two decoders with a model of one name: each builder's traceback shows its own source, not the other's."""
    first = builder(_model_with(), "STRANGE")
    second = builder(_model_with(validator=attrs.validators.gt(0)), "STRANGE")
    names = {first.__code__.co_filename, second.__code__.co_filename}
    assert len(names) == 2
    assert linecache.getlines(first.__code__.co_filename) != linecache.getlines(second.__code__.co_filename)


def test_objects_built_by_filling_slots_are_the_objects_init_builds() -> None:
    """The fast road's event equals, hashes, prints and pickles like one built by the attrs __init__s."""
    quick = fast(SAMPLE)
    walked = long_road(SAMPLE, strict=True)
    assert type(quick) is ServicePurchaseEvent
    assert quick == walked
    assert hash(quick) == hash(walked)
    assert repr(quick) == repr(walked)
    assert quick.repairs == ()
    assert pickle.loads(pickle.dumps(quick)) == walked
    assert attrs.asdict(quick) == attrs.asdict(walked)


def _model_with(**field: Any) -> type:
    return attrs.make_class("Strange", _fields(**field), frozen=True, slots=True)


def _fields(**field: Any) -> dict[str, Any]:
    return {
        "id": attrs.field(metadata=wire("id", Kind.INTEGER), **field),
        "type": attrs.field(metadata=wire("type", Kind.TEXT)),
        "created_at": attrs.field(metadata=wire("createdAt", Kind.TIMESTAMP)),
    }


class _Meta(type):
    """A metaclass, which would run again for the road's subclass."""


class _Hooked:
    """A base whose subclasses are seen by a hook, which the road must not wake."""

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()


class _OwnNew:
    """A base that makes its objects itself."""

    def __new__(cls, *args: object, **kwargs: object) -> Self:  # noqa: ARG004 -- attrs passes the fields
        return super().__new__(cls)


def _doubling_setattr(self: object, name: str, value: Any) -> None:
    object.__setattr__(self, name, value * 2 if name == "id" else value)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (_model_with(validator=attrs.validators.gt(0)), 7),
        (_model_with(converter=lambda number: number * 2), 14),
        (attrs.make_class("Strange", _fields(), frozen=True, slots=False), 7),
        (attrs.frozen(_Meta("Strange", (), {"__annotations__": {}, **_fields()})), 7),
        (attrs.make_class("Strange", _fields(), (_Hooked,), frozen=True), 7),
        (attrs.make_class("Strange", _fields(), (_OwnNew,), frozen=True), 7),
        (attrs.define(type("Strange", (), {"__setattr__": _doubling_setattr, **_fields()})), 14),
        (
            attrs.make_class(
                "Strange",
                {
                    "id": attrs.field(metadata=wire("id", Kind.INTEGER)),
                    "type": attrs.field(metadata=wire("type", Kind.TEXT)),
                    "created_at": attrs.field(metadata=wire("createdAt", Kind.TIMESTAMP)),
                    "seen": attrs.field(factory=list, metadata={"on_wire": False}),
                },
                frozen=True,
                slots=True,
            ),
            7,
        ),
    ],
    ids=[
        "validator",
        "converter",
        "no slots",
        "factory default",
        "metaclass",
        "subclass hook",
        "own new",
        "own setattr",
    ],
)
def test_a_model_whose_init_does_more_is_built_by_its_init(model: type, expected: int) -> None:
    """Filling would skip a validator, converter, factory, __new__, __setattr__ or metaclass: both roads call it."""
    road = FastRoad({**BUILTIN_MODELS, "STRANGE": model})
    event = road.decode(b'{"id":7,"type":"STRANGE","createdAt":0}')
    assert type(event) is model
    assert event.id == expected  # type: ignore[attr-defined]
    assert event.created_at == datetime(1970, 1, 1, tzinfo=UTC)  # type: ignore[attr-defined]
    assert road.decode(SAMPLE) == fast(SAMPLE)
    for mode in (STRICT, LENIENT):  # the explaining road's walks, too
        walked = plan(model, mode).walk({"id": 7, "createdAt": 0, "type": "STRANGE"}, "$", Report())
        assert (type(walked), walked.id) == (model, expected)  # type: ignore[attr-defined]
        assert "    made = StrangeFilling()\n" not in linecache.getlines(plan(model, mode).walk.__code__.co_filename)


@attrs.frozen
class _Base:
    id: int = attrs.field(metadata=wire("id", Kind.INTEGER))


@pytest.mark.parametrize(
    "model",
    [
        _model_with(),
        attrs.make_class("Strange", _fields(), frozen=True, slots=True, weakref_slot=False),
        attrs.make_class(
            "Strange",
            {key: value for key, value in _fields().items() if key != "id"},
            (_Base,),
            frozen=True,
            slots=True,
        ),
        attrs.make_class("Strange", _fields(), slots=True),
    ],
    ids=["frozen", "no weakref slot", "inherited field", "mutable"],
)
def test_a_model_built_by_filling_its_slots_is_the_object_its_init_builds(model: type) -> None:
    """A slotted model, frozen or not, inherited or without a weakref slot: both roads fill what its __init__ builds."""
    road = FastRoad({**BUILTIN_MODELS, "STRANGE": model})
    event = road.decode(b'{"id":7,"type":"STRANGE","createdAt":0}')
    built = model(7, "STRANGE", datetime(1970, 1, 1, tzinfo=UTC))
    assert type(event) is model
    assert (event, repr(event)) == (built, repr(built))
    source = linecache.getlines(builder(model, "STRANGE").__code__.co_filename)
    assert "    event = StrangeFilling()\n" in source
    for mode in (STRICT, LENIENT):  # the explaining road's walks, too
        walked = plan(model, mode).walk({"id": 7, "createdAt": 0, "type": "STRANGE"}, "$", Report())
        assert (type(walked), walked, repr(walked)) == (model, built, repr(built))
        assert "    made = StrangeFilling()\n" in linecache.getlines(plan(model, mode).walk.__code__.co_filename)
