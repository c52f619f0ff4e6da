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

    A re-run after a crash reads it and skips what is done. Its two methods
    are those of the receiver's [Inbox][plenty_events.receiver.Inbox], so every
    inbox is a step journal: `TicketHandler(config, journal=inbox)` keeps the
    steps in the same store, and the same file, as the deliveries.
    [MemoryJournal][plenty_events.plentymarkets.MemoryJournal] keeps them in
    memory, for a handler run by your own HTTP flow.
    """

    def record_step(self, event_id: str, step: str, remote_id: str) -> str:
        """Record that `step` of the event is done, with the id plentymarkets returned (`""` if none).

        Returns:
            The id recorded for the step: `remote_id`, or the one recorded first.

        """
        ...

    def steps(self, event_id: str) -> dict[str, str]:
        """Return the event's recorded steps, step name to remote id, in the order recorded."""
        ...


class MemoryJournal:
    """A [StepJournal][plenty_events.plentymarkets.StepJournal] in memory, safe across threads.

    Examples:
        >>> from plenty_events.plentymarkets import MemoryJournal, Step
        >>> journal = MemoryJournal()
        >>> journal.record_step("evt_1", Step.CONTACT, "42")
        '42'
        >>> journal.record_step("evt_1", Step.CONTACT, "43")  # the first id stays
        '42'
        >>> journal.steps("evt_1"), journal.steps("evt_2")
        ({'contact': '42'}, {})

    """

    def __init__(self) -> None:
        """Start empty."""
        self._lock = threading.Lock()
        self._steps: dict[str, dict[str, str]] = {}

    def record_step(self, event_id: str, step: str, remote_id: str) -> str:
        """Record that `step` of the event is done; return the id recorded for it (the first)."""
        with self._lock:
            return self._steps.setdefault(event_id, {}).setdefault(str(step), str(remote_id))

    def steps(self, event_id: str) -> dict[str, str]:
        """Return the event's recorded steps, in the order recorded."""
        with self._lock:
            return dict(self._steps.get(event_id, {}))

    def __len__(self) -> int:
        """The number of steps recorded."""
        with self._lock:
            return sum(len(steps) for steps in self._steps.values())
