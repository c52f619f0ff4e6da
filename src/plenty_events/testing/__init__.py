"""Test data for code that handles plenty-events: samples, Hypothesis strategies, a WSGI client.

For a downstream project to test its own webhook receiver:

- the documented sample, as a payload ([sample_payload][plenty_events.testing.sample_payload])
  or an event ([sample_event][plenty_events.testing.sample_event]), with
  nested values changed by wire path or attribute path
  ([with_changes][plenty_events.testing.with_changes]);
- Hypothesis strategies of valid payloads and events
  ([payloads][plenty_events.testing.payloads], [events][plenty_events.testing.events]),
  of payloads each mode rejects ([invalid_payloads][plenty_events.testing.invalid_payloads]),
  of drifted payloads that lenient mode repairs
  ([repairable_payloads][plenty_events.testing.repairable_payloads]) and of event
  types without a model ([unknown_events][plenty_events.testing.unknown_events]);
- [WSGIClient][plenty_events.testing.WSGIClient], which calls a WSGI application
  in-process as a server would;
- `FakePlenty` and `FakeCrash`: the stateful fake plentymarkets system of
  [plenty_events.plentymarkets][plenty_events.plentymarkets.FakePlenty], for
  testing handlers that call it (needs httpx and jsonschema, imported on first use).

The strategies need Hypothesis, an optional dependency:
`python -m pip install 'plenty-events[testing]'`. The rest does not.
Installing plenty-events also gives pytest sessions fixtures built on this
module (`plenty_sample_body`, `plenty_sample_event`, `plenty_client`, ...):
see the "Testing your receiver" page.

Examples:
    >>> import plenty_events
    >>> from plenty_events.testing import sample_payload
    >>> plenty_events.decode(sample_payload(), strict=True).id
    'evt_553ea8a294e2d3a75d5086a06fb53f5a'

    A property test of a downstream handler:

        from hypothesis import given
        from plenty_events.testing import payloads, to_json

        @given(payloads())
        def test_handler_accepts_every_valid_delivery(payload):
            assert my_handler(to_json(payload)).status == 202

"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, cast

import attrs

from plenty_events import decode
from plenty_events._decode import BUILTIN_MODELS
from plenty_events._json import dumps
from plenty_events._kinds import DECIMAL, EVENT_ID, INTEGER, TIMESTAMP, ScalarKind
from plenty_events._model import ServicePurchaseEvent, wire_fields

from . import _sample as _testkit
from ._wsgi import WSGIClient, WSGIResponse

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

__all__ = [
    "Invalid",
    "Repairable",
    "WSGIClient",
    "WSGIResponse",
    "events",
    "invalid_payloads",
    "payloads",
    "repairable_payloads",
    "sample_event",
    "sample_payload",
    "to_json",
    "unknown_events",
    "with_changes",
]

_T = TypeVar("_T")


def __getattr__(name: str) -> Any:
    # The fake plentymarkets system needs httpx: imported only when asked for,
    # and left out of __all__ so that a star import does not need it.
    if name in {"FakeCrash", "FakePlenty"}:
        from plenty_events import plentymarkets  # noqa: PLC0415

        return getattr(plentymarkets, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Samples -------------------------------------------------------------------------


def sample_payload(changes: Mapping[str, object] | None = None) -> dict[str, Any]:
    """Return a fresh copy of the documented example payload, as JSON values.

    Fractions are `Decimal`; change the copy freely, and pass it to
    [decode][plenty_events.decode] as it is or as text through
    [to_json][plenty_events.testing.to_json].

    Args:
        changes: Values to set, by wire path: the paths that errors and
            repairs report, such as `$.resource.order.orderItems[0].quantity`.
            The last step of a path may be a key the object does not have.

    Raises:
        ValueError: A path is not a wire path, or names no member of the payload.

    Examples:
        >>> from plenty_events.testing import sample_payload
        >>> payload = sample_payload({"$.resource.order.orderItems[0].quantity": 2})
        >>> payload["resource"]["order"]["orderItems"][0]["quantity"]
        2

    """
    payload = copy.deepcopy(_testkit.SAMPLE)
    for path, value in (changes or {}).items():
        _testkit.set_wire(payload, path, value)
    return payload


def sample_event(changes: Mapping[str, object] | None = None) -> ServicePurchaseEvent:
    """Return the documented example as an event, with nested values changed.

    A change's path is a wire path (starting with `$`), whose value is a
    wire value set in the payload before it is decoded strictly; or an
    attribute path, whose value is a model value set in the decoded event.

    Args:
        changes: Values to set, by wire path or by attribute path such as
            `resource.order.order_items[0].quantity`.

    Raises:
        ValueError: A path names no member of the payload or of the event.
        plenty_events.DecodeError: The payload changed by wire paths is not strictly valid.

    Examples:
        >>> from decimal import Decimal
        >>> from plenty_events.testing import sample_event
        >>> event = sample_event(
        ...     {
        ...         "resource.order.order_items[0].quantity": Decimal(2),
        ...         "$.resource.address.country": "AT",
        ...     }
        ... )
        >>> event.resource.order.order_items[0].quantity, event.resource.address.country
        (Decimal('2'), 'AT')

    """
    wire = {path: value for path, value in (changes or {}).items() if path.startswith("$")}
    model = {path: value for path, value in (changes or {}).items() if not path.startswith("$")}
    event = decode(sample_payload(wire), strict=True)
    return _testkit.with_attribute_changes(event, model)  # type: ignore[no-any-return]


def with_changes(value: _T, changes: Mapping[str, object]) -> _T:
    """Return a copy of a payload or an event with nested values changed, without nested `attrs.evolve`.

    Args:
        value: A payload (a `dict` of JSON values), whose changes are by wire
            path (`$.resource.order.orderItems[0].quantity`); or an attrs
            instance such as an event, whose changes are by attribute path
            (`resource.order.order_items[0].quantity`).
        changes: Path to new value. The value is set as given, not
            converted nor checked.

    Returns:
        A changed copy; `value` itself is left as it was.

    Raises:
        TypeError: `value` is neither a `dict` nor an attrs instance.
        ValueError: A path is not of the value's sort, or names no member of it.

    Examples:
        >>> from decimal import Decimal
        >>> from plenty_events.testing import sample_event, with_changes
        >>> event = with_changes(sample_event(), {"resource.order.order_items[0].price_gross": Decimal("59.50")})
        >>> event.resource.order.order_items[0].price_gross
        Decimal('59.50')

    """
    if isinstance(value, dict):
        changed: Any = _testkit.with_wire_changes(cast("dict[str, Any]", value), changes)
        return cast("_T", changed)
    if attrs.has(type(value)):
        return _testkit.with_attribute_changes(value, changes)  # type: ignore[no-any-return]
    raise TypeError(f"with_changes() changes a dict or an attrs instance, not a {type(value).__name__}")


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


# Strategies ----------------------------------------------------------------------


class Invalid(NamedTuple):
    """A payload that decoding must reject, and the one error it must report.

    Attributes:
        payload: The payload, as JSON values.
        path: The wire path of the error, such as `$.resource.order.id`.
        code: The error code decoding reports there, such as `int_type`.

    """

    payload: dict[str, Any]
    path: str
    code: str


class Repairable(NamedTuple):
    """A drifted payload that lenient decoding repairs, and the valid payload it repairs to.

    `decode(payload)` equals `decode(canonical, strict=True)`, with at least
    one repair; `decode(payload, strict=True)` raises.

    Attributes:
        payload: The drifted payload, as JSON values.
        canonical: The strictly valid payload it was drifted from.

    """

    payload: dict[str, Any]
    canonical: dict[str, Any]


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
    optional: dict[str, Any] = {}
    for field in wire_fields(model):
        if isinstance(field.kind, ScalarKind) and not field.required:
            optional[field.wire] = field.kind.values(st)
        elif isinstance(field.kind, ScalarKind):
            members[field.wire] = field.kind.values(st)
        elif field.model is None:
            raise AssertionError(f"{model.__name__}.{field.name}: a nested kind without a model")
        elif field.kind.many:
            members[field.wire] = st.lists(_object(field.model, max_items=max_items), min_size=1, max_size=max_items)
        else:
            members[field.wire] = _object(field.model, max_items=max_items)
    order = [field.wire for field in wire_fields(model)]
    return _in_order(st.fixed_dictionaries(members, optional=optional), order)


def _in_order(strategy: SearchStrategy[dict[str, Any]], order: list[str]) -> SearchStrategy[dict[str, Any]]:
    def in_wire_order(obj: dict[str, Any]) -> dict[str, Any]:
        # Keys in wire order, as plentymarkets sends them.
        return {key: obj[key] for key in order if key in obj}

    return strategy.map(in_wire_order)


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
    return payloads(max_items=max_items).map(lambda payload: decode(payload, strict=True))


def _invalid(payload: dict[str, Any], change: _testkit.Change) -> Invalid:
    changed, path = _testkit.apply(payload, change)
    return Invalid(changed, path, change.code)


def invalid_payloads(*, strict: bool = True, max_items: int = 3) -> SearchStrategy[Invalid]:
    """Valid payloads with one change that decoding in the mode must reject.

    Each example is an [Invalid][plenty_events.testing.Invalid] naming the
    one error, path and code, that decoding in that mode reports.

    With `strict=True`: a wrong type, a value out of range, a removed key,
    or an unknown key added to an object. With `strict=False`, only what
    lenient mode cannot repair: a wrong type that no lenient rule reads
    (`true` as an integer, `null` as a required string, an array as an
    object), a value out of range, an empty event id, an empty `orderItems`,
    a removed key that lenient mode does not fill in (it fills in the
    optional strings). Every such payload is rejected strictly too.

    Args:
        strict: The mode whose decoding rejects every example.
        max_items: The most order items in one payload.

    """
    st = _hypothesis()
    changes = _testkit.changes(strict=strict)
    return st.builds(_invalid, payloads(max_items=max_items), st.sampled_from(changes))  # type: ignore[no-any-return]


def _rewritten(rewrite: _testkit.Rewrite) -> _testkit.Path:
    return rewrite.path


def repairable_payloads(*, max_items: int = 3) -> SearchStrategy[Repairable]:
    """Drifted payloads that lenient decoding accepts with at least one repair, and strict decoding rejects.

    Each example is a [Repairable][plenty_events.testing.Repairable]: a
    strictly valid payload (`canonical`), and a copy (`payload`) with up to
    six values written in forms that lenient mode repairs back to the same
    value (numbers and timestamps as strings, milliseconds, ISO 8601 times,
    `null` or missing optional strings, country and gender in other cases,
    alpha-3 country codes), and perhaps a key the wire format does not have.
    The forms are those the field kinds declare.

    Args:
        max_items: The most order items in one payload.

    """
    st = _hypothesis()
    rewrites = _testkit.rewrites()
    objects = _testkit.objects(ServicePurchaseEvent)

    @st.composite  # type: ignore[untyped-decorator]
    def drifted(draw: Any) -> Repairable:
        canonical = draw(payloads(max_items=max_items))
        payload = copy.deepcopy(canonical)
        chosen = draw(st.lists(st.sampled_from(rewrites), max_size=6, unique_by=_rewritten))
        changed = [_testkit.rewrite(payload, rewrite) for rewrite in chosen]
        # Where no rewrite changed anything, a key the wire format lacks is the drift.
        if not any(changed) or draw(st.booleans()):
            _testkit.add_unknown(payload, draw(st.sampled_from(objects)), draw(st.text(max_size=20)))
        return Repairable(payload, canonical)

    return drifted()  # type: ignore[no-any-return]


def unknown_events() -> SearchStrategy[dict[str, Any]]:
    """Payloads of event types without a model: lenient decoding returns an `UnknownEvent`.

    Each example is a payload: an event id, a `type` that names no built-in
    model (`SERVICE.PLUGIN.REFUND` and the like, or any text), a timestamp
    and a `resource` object of any JSON values. Strict decoding rejects
    each with `event_type` at `$.type`; lenient decoding returns an
    [UnknownEvent][plenty_events.UnknownEvent] that encodes back to it.
    """
    st = _hypothesis()
    names = st.from_regex(r"[A-Z]{2,10}(\.[A-Z_]{2,10}){1,3}", fullmatch=True) | st.text(max_size=40)
    scalars = st.none() | st.booleans() | INTEGER.values(st) | st.text(max_size=20) | DECIMAL.values(st)

    def containers(children: SearchStrategy[object]) -> SearchStrategy[object]:
        return st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)  # type: ignore[no-any-return]

    def unknown(name: str) -> bool:
        return name not in BUILTIN_MODELS

    values = st.recursive(scalars, containers, max_leaves=8)
    members = {
        "id": EVENT_ID.values(st),
        "type": names.filter(unknown),
        "createdAt": TIMESTAMP.values(st),
        "resource": st.dictionaries(st.text(max_size=12), values, max_size=5),
    }
    return _in_order(st.fixed_dictionaries(members), list(members))
