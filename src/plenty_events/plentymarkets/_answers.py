"""Reading plentymarkets' answers: the entries of a list, the id of a created object."""

from __future__ import annotations

from typing import Any, cast

from plenty_events.receiver import Permanent


def list_entries(step: str, answer: Any) -> list[dict[str, Any]]:
    """The entries of a list answer: plentymarkets' page object, or a bare list."""
    entries: object = cast("dict[str, object]", answer).get("entries") if isinstance(answer, dict) else answer
    if not isinstance(entries, list):
        raise Permanent(f"{step}: the answer holds no list of entries")
    return [cast("dict[str, Any]", entry) for entry in cast("list[object]", entries) if isinstance(entry, dict)]


def entry_id(step: str, answer: Any) -> int:
    """The `id` of a created object."""
    value: object = cast("dict[str, object]", answer).get("id") if isinstance(answer, dict) else None
    if not isinstance(value, int) or isinstance(value, bool):
        raise Permanent(f"{step}: the answer holds no id")
    return value
