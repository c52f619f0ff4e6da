"""What the peer decoders share: the wire format's limits, the duplicate-key check.

Standard library only, so that the cold-start measurement of a peer counts
its own library and models, not this module's imports.
"""

from __future__ import annotations

import enum
import json
from decimal import Decimal
from typing import Final

# The bounds of the strict rules, as the plenty-events documentation states them.
MAX_ID_LENGTH: Final = 200
INT_MIN: Final = -(2**63)
INT_MAX: Final = 2**63 - 1
MAX_SECONDS: Final = 253_402_300_799  # 9999-12-31T23:59:59Z
MAX_PLACES: Final = 4
DECIMAL_LIMIT: Final = Decimal(10) ** 15

#: Keys per object of the documented payload: event 4, resource 3, contact 6,
#: address 13, order 3; and 5 per order item.
FIXED_KEYS: Final = 4 + 3 + 6 + 13 + 3
ITEM_KEYS: Final = 5


class EventType(enum.StrEnum):
    SERVICE_PLUGIN_PURCHASE = "SERVICE.PLUGIN.PURCHASE"


class Gender(enum.StrEnum):
    MALE = "male"
    FEMALE = "female"
    DIVERSE = "diverse"


#: The wire's genders; the empty string means none given.
GENDERS: Final[dict[str, Gender | None]] = {g.value: g for g in Gender} | {"": None}


class DuplicateKeyError(ValueError):
    """A JSON object of the payload has a key twice."""


def _reject_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise DuplicateKeyError("a key occurs more than once in an object")
    return obj


def check_no_duplicate_keys(data: bytes, keys_decoded: int) -> None:
    """Reject ``data`` if one of its objects has a key twice.

    pydantic and msgspec keep the last of duplicate keys without a word.
    After a successful decode into models with no optional and no extra
    keys, the number of keys is known (``keys_decoded``). Every key in the
    text is followed by one ``:`` outside a string, so the text has at least
    as many ``:`` bytes as keys, and at least as many keys as were decoded:
    when the ``:`` count equals ``keys_decoded`` there is no duplicate. Only
    when a string value holds a ``:`` does the check fall back to a second,
    exact parse.
    """
    if data.count(b":") == keys_decoded:
        return
    json.loads(data, object_pairs_hook=_reject_duplicates)
