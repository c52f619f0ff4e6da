"""Typed, validated, immutable objects for plentyMarketplace service-purchase webhooks.

[decode][plenty_events.decode] turns a webhook body into a
[ServicePurchaseEvent][plenty_events.ServicePurchaseEvent], and
[encode][plenty_events.encode] turns the event back into the same JSON.

Examples:
    >>> import plenty_events
    >>> from plenty_events.testing import sample_payload, to_json
    >>> event = plenty_events.decode(to_json(sample_payload()))
    >>> event.type
    <EventType.SERVICE_PLUGIN_PURCHASE: 'SERVICE.PLUGIN.PURCHASE'>
    >>> plenty_events.decode(plenty_events.encode(event), strict=True) == event
    True
"""

from typing import TYPE_CHECKING, Final

from ._api import decode
from ._errors import DecodeError, ErrorDetail, Repair
from ._kinds import EventType, Gender, Kind
from ._model import (
    Address,
    Contact,
    Order,
    OrderItem,
    Resource,
    ServicePurchaseEvent,
    UnknownEvent,
    field,
)
from ._privacy import Mask

if TYPE_CHECKING:
    # Imported or computed on first access by __getattr__ below; declared for type checkers.
    from ._codes import Code
    from ._decoder import Decoder
    from ._encode import encode, to_dict
    from ._lines import DecodedLine, Line, RejectedLine, decode_lines
    from ._redact import redact
    from ._schema import json_schema

    __version__: str

#: The exports a decode does not need, by the module that defines them. A
#: process that only decodes never imports these modules: they are imported
#: on first access (``import plenty_events`` is part of a cold start).
_DEFERRED: Final = {
    "Code": "_codes",
    "DecodedLine": "_lines",
    "Decoder": "_decoder",
    "Line": "_lines",
    "RejectedLine": "_lines",
    "decode_lines": "_lines",
    "encode": "_encode",
    "json_schema": "_schema",
    "redact": "_redact",
    "to_dict": "_encode",
}


def __getattr__(name: str) -> object:
    module = _DEFERRED.get(name)
    if module is not None:
        import importlib  # noqa: PLC0415

        value: object = getattr(importlib.import_module(f"{__name__}.{module}"), name)
        globals()[name] = value  # later lookups find it without this function
        return value
    # importlib.metadata takes longer to import than the rest of the package:
    # look the version up only when someone asks for it.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

        try:
            return version("plenty-events")
        except PackageNotFoundError:  # pragma: no cover -- a source tree never installed
            return "0.0.0"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    # The deferred exports are names of the package before their first access too.
    return sorted({*globals(), *__all__})


__all__ = [
    "Address",
    "Code",
    "Contact",
    "DecodeError",
    "DecodedLine",
    "Decoder",
    "ErrorDetail",
    "EventType",
    "Gender",
    "Kind",
    "Line",
    "Mask",
    "Order",
    "OrderItem",
    "RejectedLine",
    "Repair",
    "Resource",
    "ServicePurchaseEvent",
    "UnknownEvent",
    "__version__",
    "decode",
    "decode_lines",
    "encode",
    "field",
    "json_schema",
    "redact",
    "to_dict",
]
