"""Hypothesis strategies the tests share, beyond the public ones in plenty_events.testing."""

import json
from typing import Any

from hypothesis import strategies as st

from plenty_events import countries, decode
from plenty_events.testing import (
    events,
    invalid_payloads,
    payloads,
    repairable_payloads,
    sample_payload,
    to_json,
    with_changes,
)
from tests.helpers import with_value


def repairable() -> st.SearchStrategy[tuple[dict[str, Any], dict[str, Any]]]:
    """A strictly valid payload, and a copy with some values written in forms lenient mode repairs.

    The pair shape of plenty_events.testing.repairable_payloads(), as these tests use it.
    """
    return repairable_payloads(max_items=2).map(lambda drifted: (drifted.canonical, drifted.payload))


def json_values(max_leaves: int = 20) -> st.SearchStrategy[Any]:
    """Arbitrary JSON values as plenty-events parses them (fractions are Decimal)."""
    scalars = st.none() | st.booleans() | st.integers() | st.text() | st.decimals(allow_nan=False, allow_infinity=False)
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
        max_leaves=max_leaves,
    )


def paths(value: object, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """List the path of every value inside ``value``, containers included, root excluded."""
    found: list[tuple[Any, ...]] = []
    members: Any = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, member in members:
        found.append((*here, key))
        found.extend(paths(member, (*here, key)))
    return found


@st.composite
def _replaced(draw: st.DrawFn) -> dict[str, Any]:
    payload = draw(payloads(max_items=2))
    return with_value(payload, draw(st.sampled_from(paths(payload))), draw(json_values(max_leaves=6)))


def near_payloads() -> st.SearchStrategy[dict[str, Any]]:
    """Payloads near the contract: valid, invalid, repairable, or with any one subtree replaced."""
    return st.one_of(
        payloads(max_items=3),
        invalid_payloads().map(lambda invalid: invalid.payload),
        repairable().map(lambda pair: pair[1]),
        _replaced(),
    )


def _objects(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Every object of a payload: the envelope, the resource, contact, address, order and each item."""
    resource = payload["resource"]
    order = resource["order"]
    return [payload, resource, resource["contact"], resource["address"], order, *order["orderItems"]]


@st.composite
def drifted(draw: st.DrawFn) -> dict[str, Any]:
    """A strictly valid payload into whose objects keys the model does not know were added, with any JSON values."""
    payload = draw(payloads(max_items=2))
    for target in draw(st.lists(st.sampled_from(_objects(payload)), min_size=1, max_size=4)):
        key = draw(st.text(min_size=1, max_size=10).filter(lambda name, known=target: name not in known))
        target[key] = draw(json_values(max_leaves=6))
    return payload


#: A key no payload holds, written where a key will be written twice.
_TWIN = "\x00twin\x00"


@st.composite
def key_twice(draw: st.DrawFn) -> bytes:
    """A valid payload's JSON text in which one object has one of its keys twice, first with any value.

    The parse keeps the last value, so the object reads as valid: only the
    colons can tell. The first value may be the same, any JSON value, or a
    string of colons, quotes and backslashes.
    """
    payload = draw(payloads(max_items=2))
    target = draw(st.sampled_from(_objects(payload)))
    key = draw(st.sampled_from(sorted(target)))
    colons = st.text(st.sampled_from(':"\\a\u00e9'), max_size=6)
    first = draw(st.one_of(st.just(target[key]), colons, json_values(max_leaves=4)))
    members = {_TWIN: first, **target}
    target.clear()
    target.update(members)
    return to_json(payload).replace(to_json(_TWIN), to_json(key), 1)


#: Characters that cost the most to show in a path: a non-BMP emoji is a
#: surrogate pair of escapes, quotes and backslashes are escaped, and so are
#: controls; plus a letter, so that some keys are identifiers.
_COSTLY = st.sampled_from(["\U0001f600", '"', "\\", "\x00", "\u2028", "é", " ", "a", "_", "Z"])


@st.composite
def flooded(draw: st.DrawFn) -> tuple[str | dict[str, Any], bool]:
    """A body (text, or an already parsed mapping) with many findings at deep paths under long keys.

    Returns the body and the mode. In the text, lone surrogates sit under
    objects nested up to 62 deep inside an unknown key, each keyed by the
    same long, escape-heavy key; in a mapping, non-JSON values (a set, NaN)
    or, in an unknown event type's raw resource, floats that lenient
    decoding repairs. Either way every finding has a path as long and
    costly to print as the body can make it.
    """
    key = draw(st.text(_COSTLY, min_size=1, max_size=80) | st.just("\U0001f600" * 64))
    depth = draw(st.integers(0, 61))
    count = draw(st.integers(1, 300))
    strict = draw(st.booleans())
    leaf_keys = [f"{key}{i}" for i in range(count)]
    form = draw(st.sampled_from(["text", "mapping", "raw floats"]))
    if form == "text":
        opening = f"{{{json.dumps(key, ensure_ascii=False)}:" * depth
        members = ",".join(f'{json.dumps(leaf, ensure_ascii=False)}:"\\ud800"' for leaf in leaf_keys)
        sample = to_json(sample_payload()).decode()
        return f'{sample[:-1]},"extra":{opening}{{{members}}}{"}" * depth}}}', strict
    bad: object = draw(st.sampled_from([{1}, float("nan")])) if form == "mapping" else 0.1
    value: Any = dict.fromkeys(leaf_keys, bad)
    for _ in range(depth):
        value = {key: value}
    payload = sample_payload()
    if form == "mapping":
        payload["extra"] = value
    else:
        payload["type"] = "SERVICE.OTHER"
        payload["resource"] = value
    return payload, strict


#: A few event ids, so that deliveries repeat: the property tests of handling draw from them.
handled_event_ids = st.sampled_from([f"evt_{name}" for name in "abcd"])

#: What a handler does on one call, in the property tests of handling: succeed,
#: raise an Exception, ask for a retry, give up, or die with a BaseException.
handler_behaviours = st.sampled_from(["raise", "retry", "permanent", "die"])

#: How far the clock moves between steps: not at all, within a backoff, past every lease and delay.
clock_steps = st.sampled_from([0.0, 0.5, 5.0, 1_000.0])


# plentymarkets ---------------------------------------------------------------------


def _with_country(event: Any, code: str) -> Any:
    return with_changes(event, {"resource.address.country": code})


def _without_company(event: Any) -> Any:
    return with_changes(event, {"resource.address.company_name": ""})


def purchase_events() -> st.SearchStrategy[Any]:
    """Events whose plentymarkets requests must match the request schemas.

    Valid and lenient-repaired events, every country code decoding accepts,
    events without a company, and events with many items.
    """
    return st.one_of(
        events(max_items=3),
        repairable_payloads(max_items=3).map(lambda drifted: decode(drifted.payload)),
        st.builds(_with_country, events(max_items=1), st.sampled_from(sorted(countries.valid_codes()))),
        events(max_items=2).map(_without_company),
        events(max_items=40),
    )
