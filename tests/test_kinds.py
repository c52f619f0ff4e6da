"""Each kind's two roads agree: the fast road accepts exactly what the strict rule accepts without a finding."""

from __future__ import annotations

import functools
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

import plenty_events
from plenty_events import _json
from plenty_events._fast import FastRoad
from plenty_events._json import INVALID
from plenty_events._kinds import DECIMAL_LIMIT, GENDERS, INT_MAX, INT_MIN, MAX_ID_LENGTH, Kind, ScalarKind
from plenty_events._model import wire
from plenty_events._report import ROOT, Report
from plenty_events._walk import _plain_type
from plenty_events.testing import sample_payload, to_json
from plenty_events.timestamps import MAX_SECONDS
from tests.strategies import json_values

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


def _shown(result: object) -> str:
    return "rejected" if result is INVALID else repr(result)


def same(left: object, right: object) -> bool:
    """Equal, and alike to the letter: ``Decimal("1.50")`` is not ``Decimal("1.5")`` here."""
    return type(left) is type(right) and left == right and repr(left) == repr(right)


def _around(number: int) -> list[int]:
    return [number - 1, number, number + 1]


#: Every bound of every kind, and its neighbours: a rule made stricter or
#: looser at a bound alone gives one of these two verdicts.
EDGES: list[object] = [
    *_around(INT_MIN),
    *_around(INT_MAX),
    *_around(0),
    *_around(MAX_SECONDS),
    *_around(DECIMAL_LIMIT),
    *_around(-DECIMAL_LIMIT),
    *(Decimal(number) - Decimal("0.0001") for number in (DECIMAL_LIMIT, 1)),
    Decimal("0.0001") - DECIMAL_LIMIT,
    Decimal(f"{DECIMAL_LIMIT}.0"),
    Decimal("-0.00001"),
    Decimal("1E+15"),
    Decimal("9.99999E+14"),
    Decimal("-0.0"),
    Decimal("0.0001"),
    Decimal("0.00001"),
    Decimal("1.5E+3"),
    Decimal("1.50000"),
    *("x" * length for length in (0, 1, MAX_ID_LENGTH, MAX_ID_LENGTH + 1)),
    "\U0001f600" * MAX_ID_LENGTH,
    " ",
    True,
    False,
    None,
    [],
    {},
    *GENDERS,
    *(gender.upper() for gender in GENDERS),
    "DE",
    "de",
    "XI",
    "XK",
    "SERVICE.PLUGIN.PURCHASE",
    "SERVICE.PLUGIN.REFUND",
]


def wire_values(kind: ScalarKind) -> st.SearchStrategy[Any]:
    """The kind's valid values, its wrong ones, its repairable variants, the edges, and any JSON value."""
    valid = kind.values(st)
    variants = [valid.map(variant) for variant in kind.variants]
    wrong = st.sampled_from([value for value, _ in kind.wrong])
    numbers = st.integers() | st.decimals(allow_nan=False, allow_infinity=False)
    values = st.one_of(valid, wrong, st.sampled_from(EDGES), numbers, json_values(max_leaves=4), *variants)
    return values.filter(lambda value: value is not ...)


@pytest.mark.parametrize("kind", KINDS)
def test_the_edges_get_one_verdict_on_both_roads(kind: ScalarKind) -> None:
    """At every bound of every kind, and beside it, the fast road and the strict rule give the same verdict."""
    for value in EDGES:
        decoded, expected = fast(kind, value), explained(kind, value)
        assert same(decoded, expected), (
            f"{kind.name}: {value!r:.40} is {_shown(decoded)} fast, {_shown(expected)} strictly"
        )


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
def test_what_the_fast_road_accepts_the_strict_rule_accepts_alike(kind: ScalarKind, data: st.DataObject) -> None:
    """For every value the fast road accepts, the strict rule accepts it without a finding, to the same model value."""
    value = data.draw(wire_values(kind))
    decoded = fast(kind, value)
    if decoded is not INVALID:
        expected = explained(kind, value)
        assert same(decoded, expected), (
            f"{kind.name}: the fast road accepts {value!r} as {decoded!r}, the strict rule gives {_shown(expected)}"
        )


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
def test_what_the_strict_rule_accepts_the_fast_road_accepts(kind: ScalarKind, data: st.DataObject) -> None:
    """For every value the strict rule accepts without a finding, the fast road accepts it too."""
    value = data.draw(wire_values(kind))
    expected = explained(kind, value)
    text = _text(value)
    # A colon in a string beside an escape is the colon proof's to decline.
    if expected is not INVALID and (text.count(":") == 2 or "\\" not in text):
        decoded = fast(kind, value)
        assert same(decoded, expected), (
            f"{kind.name}: the strict rule accepts {value!r} as {expected!r}, the fast road gives {_shown(decoded)}"
        )


@pytest.mark.parametrize("kind", [param for param in KINDS if _plain_type(param.values[0]) is not None])
@given(data=st.data())
def test_both_rules_take_a_value_of_the_plain_type_as_it_is(kind: ScalarKind, data: st.DataObject) -> None:
    """Where the walks skip a kind's rule for a value of its plain type, both rules return it and report nothing."""
    plain = _plain_type(kind)
    assert plain is not None
    value = data.draw(st.from_type(plain))
    for rule in (kind.strict, kind.lenient):
        report = Report()
        assert rule(value, ROOT, "key", report) is value
        assert not report


def test_the_plain_types_are_those_of_the_unconstrained_wire_types():
    """The kinds the walks take as they are: text and boolean, whose wire types msgspec takes whole."""
    assert {kind.name for kind in Kind.SCALARS if _plain_type(kind) is not None} == {"text", "optional text", "boolean"}


@pytest.mark.parametrize("kind", KINDS)
def test_at_the_edges_the_schema_gives_the_strict_verdict(kind: ScalarKind) -> None:
    """At every bound and beside it, the kind's schema fragment accepts what the strict rule accepts, places aside."""
    validator = jsonschema.Draft202012Validator(kind.schema())
    for value in EDGES:
        report = Report()
        parsed = _json.parse(_text(value), report, strict=True)
        accepted = parsed is not INVALID and kind.strict(parsed["value"], ROOT, "value", report) is not INVALID  # type: ignore[index]
        if [error.code for error in report.errors()] == ["decimal_places"]:
            continue  # the one rule a schema cannot state (see json_schema())
        member = parsed["value"] if parsed is not INVALID else value  # type: ignore[index]
        assert validator.is_valid(member) == accepted, f"{kind.name}: {value!r:.40} schema and strict rule disagree"


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


# -- the documented bounds --------------------------------------------------------

RULES = Path(__file__).parents[1] / "docs" / "rules.md"

#: The strict rows of the rules table that state a kind's bound, and the wire
#: path in the sample where their examples are put.
BOUND_ROWS = {
    "strict-number-places": "$.resource.order.orderItems[0].priceNet",
    "strict-number-range": "$.resource.order.orderItems[0].priceGross",
    "strict-timestamp-range": "$.createdAt",
    "strict-int-range": "$.resource.contact.id",
    "strict-id-too-long": "$.id",
}


def _row(anchor):
    """The accepted and the refused column of the rules table's row ``anchor``."""
    line = next(line for line in RULES.read_text("utf-8").splitlines() if f'<span id="{anchor}">' in line)
    return line.split(" | ")[1:3]


def _examples(cell):
    """The examples of a cell: each backticked number, or ``N characters`` as an id of that length."""
    found = [json.loads(text, parse_float=Decimal) for text in re.findall(r"`(-?[0-9][0-9.eE+]*)`", cell)]
    found += ["e" * int(count) for count in re.findall(r"(\d+) characters", cell)]
    assert found, cell
    return found


@pytest.mark.parametrize("anchor", list(BOUND_ROWS))
def test_each_documented_bound_holds_in_the_strict_rule_and_the_schema(anchor):
    """The examples of each bound's row in the rules table are what strict decoding and the schema accept and refuse."""
    path = BOUND_ROWS[anchor]
    accepted, refused = _row(anchor)
    code = re.findall(r"\(`([a-z_]+)`\)", refused)[-1]
    schema = jsonschema.Draft202012Validator(plenty_events.json_schema())
    for value in _examples(accepted):
        payload = sample_payload({path: value})
        plenty_events.decode(to_json(payload), strict=True)
        assert schema.is_valid(payload), (anchor, value)
    for value in _examples(refused):
        payload = sample_payload({path: value})
        with pytest.raises(plenty_events.DecodeError) as caught:
            plenty_events.decode(to_json(payload), strict=True)
        assert [(error.path, error.code) for error in caught.value.errors] == [(path, code)]
        if code != "decimal_places":  # a place count is one of the rules a JSON Schema cannot state
            assert not schema.is_valid(payload), (anchor, value)
