"""`Decoder`: decoding with registered models, for event types the library does not know.

Imported on first access to ``plenty_events.Decoder``: ``decode`` with the
built-in models needs none of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Generic, Literal, Never, TypeVar, overload

import attrs

from ._decode import BUILTIN_MODELS, Engine
from ._model import wire_fields

if TYPE_CHECKING:
    from ._model import ServicePurchaseEvent, UnknownEvent
    from ._types import JSONInput

_Model = TypeVar("_Model")


def _copy_models(models: Mapping[str, type[_Model]]) -> dict[str, type[_Model]]:
    # A copy, so that changing the caller's mapping later cannot change the decoder.
    return dict(models)


def _check(model: type, within: tuple[type, ...] = ()) -> type:
    """Check a registered model: an attrs class whose every field has a kind, all the way down.

    Raises:
        TypeError: What the decoder cannot build: not an attrs class, a field
            without a kind, a model that holds itself, an ``extra`` without a default.

    """
    if not attrs.has(model):
        raise TypeError(f"{model!r} is not an attrs class")
    if model in within:
        path = " -> ".join(outer.__name__ for outer in (*within, model))
        raise TypeError(f"{model.__name__} holds itself ({path}): a JSON payload has no cycles to decode into it")
    for attribute in attrs.fields(model):
        if attribute.name == "extra" and attribute.default is attrs.NOTHING:
            raise TypeError(f"{model.__name__}.extra needs a default: an object without unknown keys leaves it unset")
    for field in wire_fields(model):
        if field.model is not None:
            _check(field.model, (*within, model))
    return model


@attrs.frozen
class Decoder(Generic[_Model]):
    """Decodes events, with models registered for event types the library does not know.

    `Decoder(models)` checks the models at once. Nothing is global: each
    `Decoder` holds its own registrations, so two integrations in one process
    cannot disturb each other.

    Attributes:
        models: Event type (the wire's `type`) to an attrs class for the
            whole event. A field declared with
            [field][plenty_events.field] has its wire key, kind, presence
            and privacy from there; any other field has its name in
            camelCase as its wire key, and its type gives its kind, with the
            rules of the built-in model's fields of that kind, in both modes:
            `str` is text, `int` a signed 64-bit integer, `bool` a boolean,
            `Decimal` a price, `datetime` integer Unix seconds (in lenient
            mode also the forms the built-in timestamps accept), an attrs
            class a nested object, and `tuple[Model, ...]` a non-empty array
            of them. A field `repairs: tuple[Repair, ...]` with a default
            receives lenient decoding's repairs, and a field
            `extra: Mapping[str, Any]` with a default the unknown keys it
            keeps. The built-in `SERVICE.PLUGIN.PURCHASE` model cannot be
            replaced.

    Raises:
        TypeError: A model is not an attrs class, a field's type has no kind,
            its `type` field cannot hold the event type it is registered for,
            it holds itself (at any depth), or its `extra` has no default.
        ValueError: A model is registered for `SERVICE.PLUGIN.PURCHASE`.

    Examples:
        A model for a refund event, which the library does not know:

        ```python
        import datetime

        import attrs

        import plenty_events


        @attrs.frozen
        class Refund:
            order_id: int  # wire key "orderId", by its name
            reason: str | None = plenty_events.field("refundReason", plenty_events.Kind.TEXT, required=False)


        @attrs.frozen
        class RefundEvent:
            id: str
            type: str
            created_at: datetime.datetime
            resource: Refund


        decoder = plenty_events.Decoder({"SERVICE.PLUGIN.REFUND": RefundEvent})
        request_body = (
            b'{"id": "evt_1", "type": "SERVICE.PLUGIN.REFUND", "createdAt": 1510656066, "resource": {"orderId": 221}}'
        )
        event = decoder.decode(request_body, strict=True)
        assert event == RefundEvent("evt_1", "SERVICE.PLUGIN.REFUND", event.created_at, Refund(221))
        ```
    """

    models: Mapping[str, type[_Model]] = attrs.field(factory=dict[str, "type[_Model]"], converter=_copy_models)
    _engine: Engine = attrs.field(init=False, repr=False, eq=False)

    if TYPE_CHECKING:
        # pyright does not infer _Model through the converter of the field
        # that attrs writes into __init__; this signature says it plainly.
        @overload
        def __init__(self: Decoder[Never]) -> None: ...
        @overload
        def __init__(self, models: Mapping[str, type[_Model]]) -> None: ...
        def __init__(self, models: Mapping[str, type[_Model]] | None = None) -> None: ...

    def __attrs_post_init__(self) -> None:
        if set(self.models) & set(BUILTIN_MODELS):
            raise ValueError("the built-in event types cannot be registered again")
        models = {**BUILTIN_MODELS, **{event_type: _check(model) for event_type, model in self.models.items()}}
        engine = Engine(models)
        # Built now, so that a model msgspec cannot decode fails at registration.
        engine.fast_road()
        object.__setattr__(self, "_engine", engine)

    @overload
    def decode(self, data: JSONInput, *, strict: Literal[True]) -> _Model | ServicePurchaseEvent: ...
    @overload
    def decode(self, data: JSONInput, *, strict: bool = False) -> _Model | ServicePurchaseEvent | UnknownEvent: ...
    def decode(self, data: JSONInput, *, strict: bool = False) -> _Model | ServicePurchaseEvent | UnknownEvent:
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
        event: _Model | ServicePurchaseEvent | UnknownEvent | None = self._engine.read(data)
        if event is not None:
            return event
        explained: _Model | ServicePurchaseEvent | UnknownEvent = self._engine.explain(data, strict=strict)
        return explained
