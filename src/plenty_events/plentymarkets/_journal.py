"""The step journal: which steps of an event are done, and the id plentymarkets gave each."""

from __future__ import annotations

import enum
import threading
from typing import Protocol, runtime_checkable


class Step(enum.StrEnum):
    """A step of [TicketHandler][plenty_events.plentymarkets.TicketHandler], in the order they run."""

    CONTACT = "contact"
    ADDRESS = "address"
    COMPANY = "company"
    TICKET = "ticket"
    NOTE = "note"


@runtime_checkable
class StepJournal(Protocol):
    """Where a handler records each step it finished, before it runs the next.

    A re-run after a crash reads it and skips what is done. The receiver's
    inboxes will implement it; [MemoryJournal][plenty_events.plentymarkets.MemoryJournal]
    does, in memory.
    """

    def done(self, event_id: str, step: Step) -> str | None:
        """Return the remote id recorded for `step` of the event, or `None` if it is not done."""
        ...

    def record(self, event_id: str, step: Step, remote_id: str) -> None:
        """Record that `step` of the event is done, with the id plentymarkets returned (`""` if none)."""
        ...


class MemoryJournal:
    """A [StepJournal][plenty_events.plentymarkets.StepJournal] in memory, safe across threads.

    Examples:
        >>> from plenty_events.plentymarkets import MemoryJournal, Step
        >>> journal = MemoryJournal()
        >>> journal.record("evt_1", Step.CONTACT, "42")
        >>> journal.done("evt_1", Step.CONTACT), journal.done("evt_1", Step.TICKET)
        ('42', None)

    """

    def __init__(self) -> None:
        """Start empty."""
        self._lock = threading.Lock()
        self._steps: dict[tuple[str, Step], str] = {}

    def done(self, event_id: str, step: Step) -> str | None:
        """Return the remote id recorded for `step` of the event, or `None`."""
        with self._lock:
            return self._steps.get((event_id, step))

    def record(self, event_id: str, step: Step, remote_id: str) -> None:
        """Record that `step` of the event is done."""
        with self._lock:
            self._steps[event_id, step] = remote_id

    def __len__(self) -> int:
        """The number of steps recorded."""
        with self._lock:
            return len(self._steps)
