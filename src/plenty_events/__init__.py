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

from typing import TYPE_CHECKING

from ._api import Decoder, decode
from ._encode import encode, to_dict
from ._errors import Code, DecodeError, ErrorDetail, Repair
from ._kinds import EventType, Gender, Kind
from ._lines import DecodedLine, Line, RejectedLine, decode_lines
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
from ._redact import redact
from ._schema import json_schema

if TYPE_CHECKING:
    # Computed on first access by __getattr__ below; declared for type checkers.
    __version__: str


def __getattr__(name: str) -> str:
    # importlib.metadata takes longer to import than the rest of the package:
    # look the version up only when someone asks for it.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

        try:
            return version("plenty-events")
        except PackageNotFoundError:  # pragma: no cover -- a source tree never installed
            return "0.0.0"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
