"""The public entry points: `decode` and the `Decoder` that holds the model registry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal, cast, overload

import attrs

from ._decode import BUILTIN_MODELS, decode_input
from ._types import JSONInput

if TYPE_CHECKING:
    from ._decode import ModelDecoder
    from ._model import ServicePurchaseEvent, UnknownEvent


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
    # The built-in models decode to these two classes only.
    return cast("ServicePurchaseEvent | UnknownEvent", decode_input(data, strict=strict, models=BUILTIN_MODELS))


def _copy_models(models: Mapping[str, type]) -> dict[str, type]:
    # A copy, so that changing the caller's mapping later cannot change the decoder.
    return dict(models)


@attrs.frozen
class Decoder:
    """Decodes events, with models registered for event types the library does not know.

    `Decoder(models)` checks the models at once. Nothing is global: each
    `Decoder` holds its own registrations, so two integrations in one process
    cannot disturb each other.

    Attributes:
        models: Event type (the wire's `type`) to an attrs class for the
            whole event. Each field's wire key is its `wire` metadata, or
            its name in camelCase. Values follow the strict rules in both
            modes; lenient mode ignores unknown keys. The built-in
            `SERVICE.PLUGIN.PURCHASE` model cannot be replaced.

    Raises:
        TypeError: A model is not an attrs class.
        ValueError: A model is registered for `SERVICE.PLUGIN.PURCHASE`.

    Examples:
        A model for a refund event, which the library does not know:

        ```python
        import datetime

        import attrs

        import plenty_events


        @attrs.frozen
        class Refund:
            order_id: int


        @attrs.frozen
        class RefundEvent:
            id: str
            type: str
            created_at: datetime.datetime
            resource: Refund


        decoder = plenty_events.Decoder({"SERVICE.PLUGIN.REFUND": RefundEvent})
        event = decoder.decode(request_body)  # a RefundEvent, or what decode returns
        ```
    """

    models: Mapping[str, type] = attrs.field(factory=dict[str, type], converter=_copy_models)
    _decoders: Mapping[str, ModelDecoder] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if set(self.models) & set(BUILTIN_MODELS):
            raise ValueError("the built-in event types cannot be registered again")
        # Imported here: the registry, and cattrs behind it, serve only this.
        from ._registry import validate_models  # noqa: PLC0415

        object.__setattr__(self, "_decoders", {**BUILTIN_MODELS, **validate_models(self.models)})

    def decode(self, data: JSONInput, *, strict: bool = False) -> object:
        """Decode like [decode][plenty_events.decode], with the registered models too.

        Args:
            data: The raw request body, or a mapping a framework has already
                parsed, as for [decode][plenty_events.decode].
            strict: `True` accepts the documented contract only; `False`, the
                default, also repairs what can be repaired without guessing.

        Returns:
            The registered model's instance for its type, else what
                [decode][plenty_events.decode] returns.

        Raises:
            DecodeError: The payload breaks the rules of the mode.
        """
        return decode_input(data, strict=strict, models=self._decoders)
