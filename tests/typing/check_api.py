"""Types users rely on; checked by mypy --strict and pyright strict, never run."""

from datetime import datetime
from decimal import Decimal
from typing import Any, assert_type

import plenty_events
from plenty_events import EventType, Gender, ServicePurchaseEvent, UnknownEvent


def check(body: bytes) -> None:
    """The overloads of decode, and the attribute types of the model."""
    strict = plenty_events.decode(body, strict=True)
    assert_type(strict, ServicePurchaseEvent)
    assert_type(plenty_events.decode(body), ServicePurchaseEvent | UnknownEvent)
    assert_type(plenty_events.decode(body, strict=False), ServicePurchaseEvent | UnknownEvent)
    assert_type(strict.type, EventType)
    assert_type(strict.created_at, datetime)
    assert_type(strict.resource.contact.gender, Gender | str | None)
    item = strict.resource.order.order_items[0]
    assert_type(item.price_gross, Decimal)
    assert_type(item.quantity, Decimal)
    assert_type(item.item_variation_id, int)
    assert_type(strict.repairs, tuple[plenty_events.Repair, ...])
    assert_type(plenty_events.encode(strict), bytes)
    assert_type(plenty_events.to_dict(strict), dict[str, Any])
    assert_type(plenty_events.redact(strict), ServicePurchaseEvent)
    try:
        plenty_events.decode(body, strict=True)
    except plenty_events.DecodeError as exc:
        assert_type(exc.errors, tuple[plenty_events.ErrorDetail, ...])
        assert_type(exc.errors[0].path, str)
