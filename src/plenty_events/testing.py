"""Test data for code that handles plenty-events: samples and Hypothesis strategies.

The strategies ([payloads][plenty_events.testing.payloads],
[events][plenty_events.testing.events],
[invalid_payloads][plenty_events.testing.invalid_payloads]) need
Hypothesis, an optional dependency:
`python -m pip install 'plenty-events[testing]'`.
[sample_payload][plenty_events.testing.sample_payload] and
[to_json][plenty_events.testing.to_json] do not.

Examples:
    >>> import plenty_events
    >>> from plenty_events.testing import sample_payload
    >>> plenty_events.decode(sample_payload(), strict=True).id
    'evt_553ea8a294e2d3a75d5086a06fb53f5a'

    A property test of a downstream project's own webhook handler:

    ```python
    from hypothesis import given

    from plenty_events.testing import payloads, to_json


    @given(payloads())
    def test_handler_accepts_every_valid_delivery(payload):
        assert my_handler(to_json(payload)).status == 202
    ```
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from ._json import dumps
from ._kinds import FieldKind, NestedKind, ScalarKind
from ._model import ServicePurchaseEvent, wire_fields

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = ["Invalid", "events", "invalid_payloads", "payloads", "sample_payload", "to_json"]

_SAMPLE: Final[dict[str, Any]] = {
    "id": "evt_553ea8a294e2d3a75d5086a06fb53f5a",
    "type": "SERVICE.PLUGIN.PURCHASE",
    "createdAt": 1510656066,
    "resource": {
        "contact": {
            "id": 1337,
            "gender": "male",
            "firstName": "John",
            "lastName": "Doe",
            "email": "john@account.com",
            "updatedAt": 1510837206,
        },
        "address": {
            "id": 25,
            "companyName": "MyStore",
            "firstName": "John",
            "lastName": "Doe",
            "street": "Main Street",
            "houseNumber": "123",
            "additional": "",
            "postalCode": "34117",
            "town": "Kassel",
            "country": "DE",
            "phone": "123-456-7890",
            "email": "john@account.com",
            "updatedAt": 1510753095,
        },
        "order": {
            "id": 221,
            "payPalTransactionId": "1S473067CV761473M",
            "orderItems": [
                {
                    "itemVariationId": 1338,
                    "quantity": 1,
                    "orderItemName": "SuperService",
                    "priceGross": 49,
                    "priceNet": Decimal("41.1765"),
                }
            ],
        },
    },
}


def sample_payload() -> dict[str, Any]:
    """Return a fresh copy of the documented example payload, as JSON values.

    Fractions are `Decimal`; change the copy freely, and pass it to
    [decode][plenty_events.decode] as it is or as text through
    [to_json][plenty_events.testing.to_json].

    Examples:
        >>> from plenty_events.testing import sample_payload
        >>> payload = sample_payload()
        >>> payload["resource"]["order"]["orderItems"][0]["priceNet"]
        Decimal('41.1765')
    """
    return copy.deepcopy(_SAMPLE)


def to_json(payload: object) -> bytes:
    """Return a JSON value as compact UTF-8 JSON, `Decimal` written exactly.

    Raises:
        TypeError: `payload` holds a value that is not JSON.
        ValueError: It holds a non-finite number.

    Examples:
        >>> from plenty_events.testing import sample_payload, to_json
        >>> to_json(sample_payload())[-70:]
        b'"orderItemName":"SuperService","priceGross":49,"priceNet":41.1765}]}}}'
    """
    return dumps(payload).encode("utf-8")


class Invalid(NamedTuple):
    """A payload that strict decoding must reject, and the error it must report.

    Attributes:
        payload: The payload, as JSON values.
        path: The wire path of the error, such as `$.resource.order.id`.
        code: The error code strict decoding reports there, such as `int_type`.
    """

    payload: dict[str, Any]
    path: str
    code: str


def _hypothesis() -> Any:
    try:
        from hypothesis import strategies  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover -- the test suite has Hypothesis
        raise ImportError(
            "plenty_events.testing's strategies need Hypothesis: pip install 'plenty-events[testing]'"
        ) from exc
    return strategies


def _object(model: type, *, max_items: int) -> SearchStrategy[dict[str, Any]]:
    st = _hypothesis()
    members: dict[str, Any] = {}
    for field in wire_fields(model):
        if isinstance(field.kind, ScalarKind):
            members[field.wire] = field.kind.values(st)
        elif field.model is None:
            raise AssertionError(f"{model.__name__}.{field.name}: a nested kind without a model")
        elif field.kind.many:
            members[field.wire] = st.lists(_object(field.model, max_items=max_items), min_size=1, max_size=max_items)
        else:
            members[field.wire] = _object(field.model, max_items=max_items)
    order = list(members)

    def in_wire_order(obj: dict[str, Any]) -> dict[str, Any]:
        # Keys in wire order, as plentymarkets sends them.
        return {key: obj[key] for key in order}

    return st.fixed_dictionaries(members).map(in_wire_order)  # type: ignore[no-any-return]


def payloads(*, max_items: int = 8) -> SearchStrategy[dict[str, Any]]:
    """Strictly valid wire payloads, as JSON values, across the whole value space.

    Unicode names, ids of 1 to 200 characters, 1 to `max_items` order
    items, prices from integers to four decimal places, every gender, every
    accepted country code (`XI` and `IC` included).

    Args:
        max_items: The most order items in one payload.
    """
    return _object(ServicePurchaseEvent, max_items=max_items)


def events(*, max_items: int = 8) -> SearchStrategy[ServicePurchaseEvent]:
    """Strictly valid events: [payloads][plenty_events.testing.payloads], decoded.

    Args:
        max_items: The most order items in one event.
    """
    from ._api import decode  # noqa: PLC0415 -- the API builds on this module's siblings

    return payloads(max_items=max_items).map(lambda payload: decode(payload, strict=True))


def _locations(model: type, path: tuple[str | int, ...]) -> list[tuple[tuple[str | int, ...], FieldKind]]:
    """Every field of ``model`` and its nested models, an array's at index 0, with its kind."""
    found: list[tuple[tuple[str | int, ...], FieldKind]] = []
    for field in wire_fields(model):
        here = (*path, field.wire)
        found.append((here, field.kind))
        if field.model is not None:
            many = isinstance(field.kind, NestedKind) and field.kind.many
            found.extend(_locations(field.model, (*here, 0) if many else here))
    return found


def _render(path: tuple[str | int, ...]) -> str:
    return "$" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)


def invalid_payloads(*, max_items: int = 3) -> SearchStrategy[Invalid]:
    """Valid payloads with one change that strict decoding must reject.

    Each example is an [Invalid][plenty_events.testing.Invalid] naming the
    path and the error code strict decoding reports: a wrong type, a value
    out of range, a removed key, or an unknown key added to an object.

    Args:
        max_items: The most order items in one payload.
    """
    st = _hypothesis()
    locations = _locations(ServicePurchaseEvent, ())
    changes = [(path, "set", wrong, code) for path, kind in locations for wrong, code in kind.wrong]
    changes += [(path, "remove", None, "missing") for path, _ in locations]
    changes += [
        (path, "extra", 1, "extra_forbidden")
        for path, kind in locations
        if isinstance(kind, NestedKind) and not kind.many
    ]
    changes.append(((), "extra", 1, "extra_forbidden"))

    def apply(payload: dict[str, Any], change: tuple[tuple[str | int, ...], str, Any, str]) -> Invalid:
        path, how, value, code = change
        payload = copy.deepcopy(payload)
        parent: Any = payload
        for part in path[:-1]:
            parent = parent[part]
        if how == "extra":
            target = parent[path[-1]] if path else payload
            target["unexpectedKey"] = value
            return Invalid(payload, _render((*path, "unexpectedKey")), code)
        if how == "remove":
            del parent[path[-1]]
        else:
            parent[path[-1]] = value
        return Invalid(payload, _render(path), code)

    return st.builds(apply, payloads(max_items=max_items), st.sampled_from(changes))  # type: ignore[no-any-return]
