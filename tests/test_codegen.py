"""The generated decoders: the walk's verdict, errors and repairs, reached faster."""

from __future__ import annotations

import linecache
import pickle
from typing import Any

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from helpers import key_count
from plenty_events import ServicePurchaseEvent, _codegen, _json, _walk
from plenty_events._model import Kind, wire
from plenty_events._report import ROOT, Report
from plenty_events.testing import sample_payload, to_json
from strategies import near_payloads

MODES = st.booleans()


def parsed(payload: dict[str, Any]) -> object:
    """Parse the payload's JSON text as decode does, duplicate keys marked."""
    # Dispatch on the type comes first: the model's decoders rely on it.
    assume(payload.get("type") == "SERVICE.PLUGIN.PURCHASE")
    value = _json.parse(to_json(payload), Report(), strict=True)
    assert value is not _json.INVALID
    return value


def by_walk(value: object, *, strict: bool) -> tuple[object, Report]:
    report = Report()
    plan = _walk.plan(ServicePurchaseEvent, strict=strict)
    return _walk.member(value, ROOT, plan, _walk.mode(strict=strict), report), report


def generated(value: object, *, strict: bool) -> tuple[object, Report]:
    report = Report()
    return _codegen.decoder(ServicePurchaseEvent, strict=strict)(value, ROOT, report, [0]), report


def same(left: tuple[object, Report], right: tuple[object, Report]) -> None:
    (result, report), (expected, expected_report) = left, right
    assert (result is _json.INVALID) == (expected is _json.INVALID)
    assert result == expected
    assert report.errors() == expected_report.errors()
    assert report.repairs() == expected_report.repairs()


@given(near_payloads(), MODES)
def test_with_a_report_the_generated_decoder_agrees_with_the_walk(payload: dict[str, Any], strict: bool) -> None:
    """Any payload gets the walk's result, and its errors and repairs in the same order."""
    value = parsed(payload)
    same(generated(value, strict=strict), by_walk(value, strict=strict))


@given(near_payloads())
def test_without_a_report_only_findingless_payloads_pass(payload: dict[str, Any]) -> None:
    """Without a report, a decoder returns INVALID or what both modes' walks return without a finding."""
    value = parsed(payload)
    keys = [0]
    result = _codegen.decoder(ServicePurchaseEvent, strict=True)(value, ROOT, None, keys)
    if result is _json.INVALID:
        assert keys == [0]
        return
    for strict in (True, False):
        expected, report = by_walk(value, strict=strict)
        assert result == expected
        assert not report.errors()
        assert not report.repairs()
    assert keys == [key_count(value)]


@pytest.mark.parametrize(
    "text",
    [
        b'{"id":"a","id":"b",' + to_json(sample_payload())[1:],
        to_json(sample_payload()).replace(b'"contact":{', b'"contact":{"id":1,'),
        to_json(sample_payload()).replace(b'"orderItems":[{', b'"orderItems":[{"quantity":2,'),
    ],
    ids=["envelope", "contact", "order item"],
)
@pytest.mark.parametrize("strict", [True, False])
def test_duplicate_keys_are_the_walks_to_report(text: bytes, strict: bool) -> None:
    """An object with a duplicate key falls back, so the key is reported once, at its path."""
    report = Report()
    value = _json.parse(text, report, strict=strict)
    result, errors = generated(value, strict=strict)
    same((result, errors), by_walk(value, strict=strict))
    if text.startswith(b'{"id":"a"'):
        # The envelope's duplicate belongs to the parse's check of the root.
        assert [e.code for e in report.errors()] == []
    else:
        assert [e.code for e in errors.errors()] == ["duplicate_key"]


def test_the_source_is_registered_for_tracebacks() -> None:
    """The generated source is in linecache under the decoder's file name, as attrs does it."""
    decode = _codegen.decoder(ServicePurchaseEvent, strict=False)
    lines = linecache.getlines(decode.__code__.co_filename)
    assert lines[0].startswith("def decode_ServicePurchaseEvent(value, path, report, keys):")
    assert "lenient" in decode.__code__.co_filename


def test_a_decoder_is_generated_once_per_model_and_mode() -> None:
    """The same function serves every call; the two modes have one each."""
    strict = _codegen.decoder(ServicePurchaseEvent, strict=True)
    assert _codegen.decoder(ServicePurchaseEvent, strict=True) is strict
    assert _codegen.decoder(ServicePurchaseEvent, strict=False) is not strict


def test_objects_built_by_filling_slots_are_the_objects_init_builds() -> None:
    """The quick path's event equals, hashes, prints and pickles like one built by the attrs __init__s."""
    value = _json.parse(to_json(sample_payload()), Report(), strict=True)
    quick = _codegen.decoder(ServicePurchaseEvent, strict=True)(value, ROOT, None, [0])
    walked, _ = by_walk(value, strict=True)
    assert type(quick) is ServicePurchaseEvent
    assert quick == walked
    assert hash(quick) == hash(walked)
    assert repr(quick) == repr(walked)
    assert quick.repairs == ()
    assert pickle.loads(pickle.dumps(quick)) == walked
    assert attrs.asdict(quick) == attrs.asdict(walked)


def _model_with(**field: Any) -> type:
    return attrs.make_class(
        "Strange", {"id": attrs.field(metadata=wire("id", Kind.INTEGER), **field)}, frozen=True, slots=True
    )


@pytest.mark.parametrize(
    "model",
    [
        _model_with(validator=attrs.validators.gt(0)),
        _model_with(converter=int),
        attrs.make_class("Strange", {"id": attrs.field(metadata=wire("id", Kind.INTEGER))}, frozen=True, slots=False),
        attrs.make_class(
            "Strange",
            {
                "id": attrs.field(metadata=wire("id", Kind.INTEGER)),
                "seen": attrs.field(factory=list),
            },
            frozen=True,
            slots=True,
        ),
    ],
    ids=["validator", "converter", "no slots", "factory default"],
)
def test_a_model_whose_init_does_more_is_not_generated(model: type) -> None:
    """Filling slots would skip a validator, a converter or a factory, or find no slot: such a model is refused."""
    with pytest.raises(AssertionError, match="Strange"):
        _codegen.decoder(model, strict=True)
