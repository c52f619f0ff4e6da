"""Hypothesis strategies the tests share, beyond the public ones in plenty_events.testing."""

import copy
from typing import Any

from hypothesis import strategies as st

from helpers import locate, with_value
from plenty_events import ServicePurchaseEvent
from plenty_events._kinds import FieldKind, Kind
from plenty_events.testing import _locations, invalid_payloads, payloads

# For each field kind: ways to write a valid value that lenient mode must
# repair back to exactly that value, as the kind declares them.
_VARIANTS: dict[FieldKind, tuple[Any, ...]] = {kind: kind.variants for kind in Kind.SCALARS if kind.variants}


# Every scalar field, an order item's at index 0, from the walk invalid_payloads() uses.
_LOCATIONS = [(path, kind) for path, kind in _locations(ServicePurchaseEvent, ()) if kind in _VARIANTS]


@st.composite
def repairable(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A strictly valid payload, and a copy with some values written in forms lenient mode repairs."""
    payload = draw(payloads(max_items=2))
    variant = copy.deepcopy(payload)
    chosen = draw(st.lists(st.sampled_from(_LOCATIONS), max_size=6, unique=True))
    for path, kind in chosen:
        parent, last = locate(variant, path)
        rewrite = draw(st.sampled_from(_VARIANTS[kind]))
        value = rewrite(parent[last])
        if value is ...:
            del parent[last]
        else:
            parent[last] = value
    if draw(st.booleans()):
        variant["resource"]["contact"]["addedLater"] = draw(st.text())
    return payload, variant


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
