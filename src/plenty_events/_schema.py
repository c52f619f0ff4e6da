"""The JSON Schema (draft 2020-12) of the strict wire format, built from the model."""

from __future__ import annotations

import copy
import functools
from typing import Any

from . import countries
from ._model import EventType, Kind, ServicePurchaseEvent, wire_fields
from ._strict import DECIMAL_LIMIT, GENDERS, INT_MAX, INT_MIN, MAX_ID_LENGTH
from .timestamps import MAX_SECONDS

_SCALARS: dict[Kind, dict[str, Any]] = {
    Kind.EVENT_ID: {"type": "string", "minLength": 1, "maxLength": MAX_ID_LENGTH},
    Kind.EVENT_TYPE: {"const": EventType.SERVICE_PLUGIN_PURCHASE.value},
    Kind.TIMESTAMP: {"type": "integer", "minimum": 0, "maximum": MAX_SECONDS},
    Kind.INTEGER: {"type": "integer", "minimum": INT_MIN, "maximum": INT_MAX},
    Kind.TEXT: {"type": "string"},
    Kind.OPTIONAL_TEXT: {"type": "string"},
    Kind.GENDER: {"enum": sorted(GENDERS)},
    # At most four decimal places cannot be said without multipleOf, which
    # validators compute in binary floating point and get wrong (41.1765 is
    # not a multiple of 0.0001 in floats): that rule is the decoder's alone.
    Kind.DECIMAL: {
        "type": "number",
        "exclusiveMinimum": -int(DECIMAL_LIMIT),
        "exclusiveMaximum": int(DECIMAL_LIMIT),
    },
}


def _definition(model: type, defs: dict[str, Any]) -> dict[str, str]:
    name = model.__name__
    properties: dict[str, Any] = {}
    for field in wire_fields(model):
        if field.kind is Kind.ARRAY and field.model is not None:
            schema: dict[str, Any] = {"type": "array", "minItems": 1, "items": _definition(field.model, defs)}
        elif field.model is not None:
            schema = _definition(field.model, defs)
        elif field.kind is Kind.COUNTRY:
            schema = {"type": "string", "enum": sorted(countries.iso_codes() | countries.plenty_codes())}
        else:
            schema = dict(_SCALARS[field.kind])
        properties[field.wire] = schema
    defs[name] = {
        "type": "object",
        "description": (model.__doc__ or "").strip().splitlines()[0],
        "properties": properties,
        "required": list(properties),
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
