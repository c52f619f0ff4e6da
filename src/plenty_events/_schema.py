"""The JSON Schema (draft 2020-12) of the strict wire format, built from the model and its kinds."""

from __future__ import annotations

import copy
import functools
from typing import Any

from ._kinds import NestedKind
from ._model import ServicePurchaseEvent, wire_fields


def _definition(model: type, defs: dict[str, Any]) -> dict[str, str]:
    name = model.__name__
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in wire_fields(model):
        if field.required:
            required.append(field.wire)
        if isinstance(field.kind, NestedKind):
            if field.model is None:
                raise AssertionError(f"{name}.{field.name}: a nested kind without a model")
            properties[field.wire] = field.kind.schema(_definition(field.model, defs))
        else:
            properties[field.wire] = field.kind.schema()
    defs[name] = {
        "type": "object",
        "description": (model.__doc__ or "").strip().splitlines()[0],
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
    return {"$ref": f"#/$defs/{name}"}


@functools.cache
def _schema() -> dict[str, Any]:
    defs: dict[str, Any] = {}
    root = _definition(ServicePurchaseEvent, defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://plenty-events.readthedocs.io/schema/service-purchase.json",
        "title": "plentyMarketplace service-purchase webhook (strict)",
        **root,
        "$defs": defs,
    }


def json_schema() -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of the strict wire format.

    It agrees with strict decoding on all a schema can express: types,
    required keys, no additional properties, lengths, ranges, the gender
    values and the country list. Two strict rules it cannot state: at most
    four decimal places in a price, and no duplicate keys.

    Returns:
        A fresh copy of the schema, as JSON values; change it freely.

    Examples:
        >>> import plenty_events
        >>> schema = plenty_events.json_schema()
        >>> schema["$defs"]["OrderItem"]["required"]
        ['itemVariationId', 'quantity', 'orderItemName', 'priceGross', 'priceNet']
    """
    return copy.deepcopy(_schema())
