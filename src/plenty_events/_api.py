"""The public entry point `decode`; the `Decoder` that holds registered models is in ``_decoder``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, overload

from ._decode import BUILTIN

if TYPE_CHECKING:
    from ._model import ServicePurchaseEvent, UnknownEvent
    from ._types import JSONInput


@overload
def decode(data: JSONInput, *, strict: Literal[True]) -> ServicePurchaseEvent: ...
@overload
def decode(data: JSONInput, *, strict: bool = False) -> ServicePurchaseEvent | UnknownEvent: ...
def decode(data: JSONInput, *, strict: bool = False) -> ServicePurchaseEvent | UnknownEvent:
    """Decode a webhook payload into an event.

    Args:
        data: The raw request body (`bytes`, `bytearray`, `memoryview` or
            `str` holding UTF-8 JSON), or a mapping that a framework has
            already parsed. Prefer the raw body: a parsed body has been
            through floats, which cannot carry prices exactly.
        strict: `True` accepts the documented contract only. `False`, the
            default, also accepts what can be repaired without guessing, and
            lists each repair in the event's `repairs`.

    Returns:
        The event, a [ServicePurchaseEvent][plenty_events.ServicePurchaseEvent]; in lenient mode an
            [UnknownEvent][plenty_events.UnknownEvent] for a `type` without a model.

    Raises:
        DecodeError: The payload breaks the rules of the mode; its `errors`
            list every violation with its wire path.

    Examples:
        >>> import plenty_events
        >>> from plenty_events.testing import sample_payload, to_json
        >>> event = plenty_events.decode(to_json(sample_payload()))
        >>> event.resource.order.order_items[0].price_net
        Decimal('41.1765')
        >>> event.created_at.isoformat()
        '2017-11-14T10:41:06+00:00'
    """
    # One call for a valid payload, which the fast road reads. The built-in
    # models decode to these two classes only.
    event: ServicePurchaseEvent | UnknownEvent | None = BUILTIN.read(data)
    if event is not None:
        return event
    explained: ServicePurchaseEvent | UnknownEvent = BUILTIN.explain(data, strict=strict)
    return explained
