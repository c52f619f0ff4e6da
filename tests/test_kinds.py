"""Each kind's two roads agree: the fast road accepts exactly what the strict rule accepts without a finding."""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from plenty_events import _json
from plenty_events._fast import FastRoad
from plenty_events._json import INVALID
from plenty_events._kinds import Kind, ScalarKind
from plenty_events._model import wire
from plenty_events._report import ROOT, Report
from strategies import json_values

KINDS = [pytest.param(kind, id=kind.name) for kind in Kind.SCALARS]


@functools.cache
def _road(kind: ScalarKind) -> FastRoad:
    """The fast road of an envelope that holds one field of ``kind``, as the real models' fields are decoded."""
    model = attrs.make_class(
        "One",
        {
            "type": attrs.field(metadata=wire("type", Kind.TEXT)),
            "value": attrs.field(metadata=wire("value", kind)),
        },
        frozen=True,
        slots=True,
    )
    return FastRoad({"ONE": model})


def _text(value: object) -> str:
    return '{"type":"ONE","value":' + _json.dumps(value) + "}"


def fast(kind: ScalarKind, value: object) -> object:
    """The model value the fast road decodes ``value`` to, or INVALID where it declines."""
    event = _road(kind).decode(_text(value))
    return INVALID if event is None else event.value  # type: ignore[attr-defined]


def explained(kind: ScalarKind, value: object) -> object:
    """The model value the strict rule gives ``value`` read from JSON text, or INVALID with any finding."""
    report = Report()
    parsed = _json.parse(_text(value), report, strict=True)
    if parsed is INVALID:
        return INVALID
    result = kind.strict(parsed["value"], ROOT, "value", report)  # type: ignore[index]
    return INVALID if report.errors() or report.repairs() else result


def same(left: object, right: object) -> bool:
    """Equal, and alike to the letter: ``Decimal("1.50")`` is not ``Decimal("1.5")`` here."""
    return type(left) is type(right) and left == right and repr(left) == repr(right)


def wire_values(kind: ScalarKind) -> st.SearchStrategy[Any]:
    """The kind's valid values, its wrong ones, its repairable variants, and any JSON value."""
    valid = kind.values(st)
    variants = [valid.map(variant) for variant in kind.variants]
    wrong = st.sampled_from([value for value, _ in kind.wrong])
    edges = st.sampled_from([0, -1, 2**63, -(2**63) - 1, 10**15, Decimal("1E+15"), Decimal("-0.0"), "", " ", True])
    numbers = st.integers() | st.decimals(allow_nan=False, allow_infinity=False)
    return st.one_of(valid, wrong, edges, numbers, json_values(max_leaves=4), *variants).filter(lambda v: v is not ...)


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
def test_what_the_fast_road_accepts_the_strict_rule_accepts_alike(kind: ScalarKind, data: st.DataObject) -> None:
    """For every value the fast road accepts, the strict rule accepts it without a finding, to the same model value."""
    value = data.draw(wire_values(kind))
    decoded = fast(kind, value)
    if decoded is not INVALID:
        expected = explained(kind, value)
        assert same(decoded, expected), (
            f"{kind.name}: the fast road accepts {value!r} as {decoded!r}, the strict rule gives {expected!r}"
        )


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
def test_what_the_strict_rule_accepts_the_fast_road_accepts(kind: ScalarKind, data: st.DataObject) -> None:
    """For every value the strict rule accepts without a finding, the fast road accepts it too."""
    value = data.draw(wire_values(kind))
    expected = explained(kind, value)
    if expected is not INVALID and _text(value).count(":") == 2:  # a colon in a string is the colon proof's
        decoded = fast(kind, value)
        assert same(decoded, expected), (
            f"{kind.name}: the strict rule accepts {value!r} as {expected!r}, the fast road gives {decoded!r}"
        )


@pytest.mark.parametrize("kind", KINDS)
def test_the_wrong_values_are_wrong_on_both_roads(kind: ScalarKind) -> None:
    """Each declared wrong value gets its declared code from the strict rule, and the fast road declines it."""
    for value, code in kind.wrong:
        report = Report()
        assert kind.strict(value, ROOT, "value", report) is INVALID, kind.name
        assert [error.code for error in report.errors()] == [code], kind.name
        assert fast(kind, value) is INVALID, kind.name


def test_kinds_and_modes_name_themselves():
    """A kind's and a mode's repr say what they are, for a reader of a traceback or a plan."""
    from plenty_events._walk import LENIENT, STRICT  # noqa: PLC0415

    assert repr(Kind.INTEGER) == "<kind integer>"
    assert repr(Kind.ARRAY) == "<kind array>"
    assert [repr(STRICT), repr(LENIENT)] == ["<strict mode>", "<lenient mode>"]
