"""The codes that errors and repairs carry, as an enum: ``Code``.

An [ErrorDetail][plenty_events.ErrorDetail] or a
[Repair][plenty_events.Repair] holds its code as a plain string, so no decode
needs this enum: the package imports this module on first access to
``plenty_events.Code``. Building an enum of fifty members is a noticeable
part of an import.
"""

from __future__ import annotations

import enum


class Code(enum.StrEnum):
    """Every code an [ErrorDetail][plenty_events.ErrorDetail] or a [Repair][plenty_events.Repair] carries.

    A `str`: `error.code == Code.MISSING` and `error.code == "missing"` agree;
    match codes by this enum, which a misspelt name fails at once.

    Examples:
        >>> import plenty_events
        >>> try:
        ...     plenty_events.decode(b"[]")
        ... except plenty_events.DecodeError as exc:
        ...     exc.errors[0].code == plenty_events.Code.OBJECT_TYPE
        True
    """

    # Errors: docs/errors.md, "Error codes".
    JSON_INVALID = "json_invalid"
    JSON_DEPTH = "json_depth"
    JSON_TYPE = "json_type"
    STRING_UNICODE = "string_unicode"
    DUPLICATE_KEY = "duplicate_key"
    OBJECT_TYPE = "object_type"
    ARRAY_TYPE = "array_type"
    ARRAY_TOO_SHORT = "array_too_short"
    MISSING = "missing"
    EXTRA_FORBIDDEN = "extra_forbidden"
    STRING_TYPE = "string_type"
    STRING_TOO_SHORT = "string_too_short"
    STRING_TOO_LONG = "string_too_long"
    EVENT_TYPE = "event_type"
    BOOL_TYPE = "bool_type"
    INVALID = "invalid"
    INT_TYPE = "int_type"
    INT_RANGE = "int_range"
    INT_FRACTION = "int_fraction"
    TIMESTAMP_RANGE = "timestamp_range"
    TIMESTAMP_INVALID = "timestamp_invalid"
    GENDER = "gender"
    COUNTRY_CODE = "country_code"
    NUMBER_TYPE = "number_type"
    DECIMAL_RANGE = "decimal_range"
    DECIMAL_PLACES = "decimal_places"
    TOO_MANY_ERRORS = "too_many_errors"
    PAYLOAD_TOO_LONG = "payload_too_long"
    # Repairs: docs/errors.md, "Repair codes".
    BOM_REMOVED = "bom_removed"
    KEY_KEPT = "key_kept"
    KEY_IGNORED = "key_ignored"
    MISSING_TO_EMPTY = "missing_to_empty"
    NULL_TO_EMPTY = "null_to_empty"
    RESOURCE_UNWRAPPED = "resource_unwrapped"
    STRING_FROM_INT = "string_from_int"
    INT_FROM_STRING = "int_from_string"
    INT_FROM_FRACTION = "int_from_fraction"
    NUMBER_FROM_STRING = "number_from_string"
    NUMBER_FROM_FLOAT = "number_from_float"
    TIMESTAMP_FROM_STRING = "timestamp_from_string"
    TIMESTAMP_LOCAL_TIME = "timestamp_local_time"
    TIMESTAMP_MILLISECONDS = "timestamp_milliseconds"
    TIMESTAMP_FRACTION = "timestamp_fraction"
    GENDER_CASE = "gender_case"
    GENDER_UNKNOWN = "gender_unknown"
    COUNTRY_NORMALIZED = "country_normalized"
    COUNTRY_ALPHA3 = "country_alpha3"
    COUNTRY_FROM_ID = "country_from_id"
    COUNTRY_UNKNOWN = "country_unknown"
    TOO_MANY_REPAIRS = "too_many_repairs"
