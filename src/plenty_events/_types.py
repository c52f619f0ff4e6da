"""Type aliases shared by the modules of the package."""

from collections.abc import Mapping
from decimal import Decimal
from typing import TypeAlias

JSONValue: TypeAlias = "dict[str, JSONValue] | list[JSONValue] | str | int | Decimal | float | bool | None"
"""A JSON value as plenty-events parses it: fractions are ``Decimal``.

``float`` only appears in values that the caller passed in already parsed.
"""

JSONText: TypeAlias = bytes | bytearray | memoryview | str
"""JSON text: UTF-8 bytes, or a ``str``."""

JSONInput: TypeAlias = JSONText | Mapping[str, object]
"""What ``decode`` takes: JSON text, or an already parsed object."""
