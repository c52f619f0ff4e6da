"""Hypothesis strategies the tests share, beyond the public ones in plenty_events.testing."""

from typing import Any

from hypothesis import strategies as st

from helpers import with_value
from plenty_events.testing import invalid_payloads, payloads, repairable_payloads


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


@st.composite
def drifted(draw: st.DrawFn) -> dict[str, Any]:
    """A strictly valid payload into whose objects keys the model does not know were added, with any JSON values."""
    payload = draw(payloads(max_items=2))
    resource = payload["resource"]
    order = resource["order"]
    objects = [payload, resource, resource["contact"], resource["address"], order, *order["orderItems"]]
    for target in draw(st.lists(st.sampled_from(objects), min_size=1, max_size=4)):
        key = draw(st.text(min_size=1, max_size=10).filter(lambda name, known=target: name not in known))
        target[key] = draw(json_values(max_leaves=6))
    return payload
