"""The public entry points: ``decode`` and the ``Decoder`` that holds the model registry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, overload

from ._decode import BUILTIN_MODELS, decode_input

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
        data: The raw request body (``bytes``, ``bytearray``, ``memoryview``
            or ``str`` holding UTF-8 JSON), or an object that a framework has
            already parsed. Prefer the raw body: a parsed body has been
            through floats, which cannot carry prices exactly.
        strict: ``True`` accepts the documented contract only. ``False``, the
            default, also accepts what can be repaired without guessing, and
            lists each repair in the event's ``repairs``.

    Returns:
        A :class:`ServicePurchaseEvent`; in lenient mode an
        :class:`UnknownEvent` for a ``type`` without a model.

    Raises:
        DecodeError: the payload breaks the rules of the mode; its ``errors``
            list every violation with its wire path.

    >>> import plenty_events
    >>> event = plenty_events.decode(open("examples/service-purchase.json", "rb").read())
    >>> event.resource.order.order_items[0].price_net
    Decimal('41.1765')
    >>> event.created_at.isoformat()
    '2017-11-14T10:41:06+00:00'

    """
    return decode_input(data, strict=strict, models=BUILTIN_MODELS)  # type: ignore[return-value]
