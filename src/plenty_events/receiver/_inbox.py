"""The inbox: where every delivery's raw body and every event's state are kept.

A delivery is one POST that passed the token and length checks. Its raw body
is committed first, then judged: *rejected* when it does not decode, else it
names an event, whose state moves *handling* → *handled* or *failed*. A
delivery whose body is stored but not yet judged is *received*.

Handling is guarded by a lease: [Inbox.claim][plenty_events.receiver.Inbox.claim] takes the
event for `lease` seconds, and only the holder of that claim may record the outcome.
A worker that dies without recording one (SIGKILL, power loss) leaves the
event *handling* until the lease ends; then a redelivery or a replay may take
it over.
"""

from __future__ import annotations

import enum
import secrets
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal, Protocol

import attrs

if TYPE_CHECKING:
    from collections.abc import Collection

#: How long a claim holds an event, in seconds, unless the inbox is told
#: otherwise. Longer than any handler should run, and than the usual worker
#: timeouts of WSGI servers (gunicorn's is 30 s).
DEFAULT_LEASE = 60.0


class State(enum.StrEnum):
    """Where a delivery stands.

    Attributes:
        RECEIVED: Its raw body is stored, not yet judged.
        REJECTED: Its body did not decode (answered 400 or 422).
        HANDLING: It carries an event under a claim's lease, being handled.
        HANDLED: It carries an event that was handled.
        FAILED: It carries an event whose handling failed.

    HANDLING, HANDLED and FAILED are the state of the event it carries,
    which every delivery of that event shares.
    """

    RECEIVED = "received"
    REJECTED = "rejected"
    HANDLING = "handling"
    HANDLED = "handled"
    FAILED = "failed"


@attrs.frozen
class Claim:
    """The answer of [Inbox.claim][plenty_events.receiver.Inbox.claim].

    Attributes:
        event_id: The event asked for.
        delivery: The delivery whose body would be handled.
        outcome: `"claimed"`: the caller holds the event and must call
            [Inbox.finish][plenty_events.receiver.Inbox.finish]. `"handled"`: it was handled
            before. `"busy"`: another claim holds it.
        ticket: For `"claimed"`, what proves the claim to
            [Inbox.finish][plenty_events.receiver.Inbox.finish].
        retry_after: For `"busy"`, the seconds until that claim's lease ends.

    """

    event_id: str
    delivery: int
    outcome: Literal["claimed", "handled", "busy"]
    ticket: str = attrs.field(default="", repr=False)
    retry_after: float = 0.0


@attrs.frozen
class Delivery:
    """One stored delivery, as [Inbox.deliveries][plenty_events.receiver.Inbox.deliveries] lists it.

    Attributes:
        number: Its number in the inbox, increasing in order of arrival.
        received_at: When its body was stored, an aware UTC datetime.
        state: Where it stands (for a decoded one, its event's state).
        event_id: The id of the event it carries, once decoded.
        attempts: How often its event was claimed for handling.
        error: For a rejected delivery the error codes, for a failed event
            the type of the exception; never a message, which might quote the body.
        body: The exact raw body. It is personal data, and not in the repr.

    """

    number: int
    received_at: datetime
    state: State
    event_id: str | None
    attempts: int
    error: str | None
    body: bytes = attrs.field(repr=False)


class Inbox(Protocol):
    """Where a [Receiver][plenty_events.receiver.Receiver] keeps deliveries and event states.

    [SQLiteInbox][plenty_events.receiver.SQLiteInbox] and [MemoryInbox][plenty_events.receiver.MemoryInbox]
    implement it; so can a class over Postgres or Redis. Every call must be
    safe to make from several threads at once, and
    [claim][plenty_events.receiver.Inbox.claim] must be atomic across every
    process sharing the store: it is what makes handling happen once.
    """

    def record(self, body: bytes) -> int:
        """Store the raw body durably, as state *received*, before anything answers it.

        Returns:
            The delivery's number.

        """
        ...

    def reject(self, delivery: int, codes: str) -> None:
        """Mark the delivery *rejected*, with its error codes separated by spaces."""
        ...

    def claim(self, delivery: int, event_id: str) -> Claim:
        """Tie the delivery to its event, and take the event for handling if nobody holds it.

        In one atomic step: an event never seen, *failed*, or *handling*
        under a lease that has ended is claimed (state *handling*, a new
        lease, one more attempt); a *handled* one answers `"handled"`; one
        under a live lease answers `"busy"`.
        """
        ...

    def finish(self, claim: Claim, error: str | None) -> bool:
        """Record the outcome of a claimed event: *handled* when `error` is `None`, else *failed*.

        Returns:
            `True` when recorded; `False` when the claim no longer held the
                event (its lease ended and another claim took it over), and
                nothing is recorded then.

        """
        ...

    def deliveries(self, states: Collection[State] | None = None) -> list[Delivery]:
        """Return the stored deliveries in order of arrival, only those in `states` if given."""
        ...

    def purge(self, before: datetime) -> int:
        """Delete the deliveries stored before `before` (their raw bodies); return how many.

        Event states, which hold no personal data, are kept, so that a late
        redelivery of a handled event is still not handled again.
        """
        ...


def utc(timestamp: float) -> datetime:
    """Unix seconds as an aware UTC datetime."""
    return datetime.fromtimestamp(timestamp, UTC)


def check_lease(lease: float) -> float:
    """Refuse a lease that is not a positive number of seconds."""
    if not lease > 0:
        raise ValueError("the lease must be a positive number of seconds")
    return float(lease)


def new_ticket() -> str:
    """A claim's ticket: unguessable, so that one claim can never finish another's."""
    return secrets.token_hex(16)


@attrs.define
class _Event:
    state: State
    delivery: int
    attempts: int
    ticket: str | None
    lease_until: float
    error: str | None


@attrs.define
class _Stored:
    received_at: float
    body: bytes
    event_id: str | None = None
    rejected: str | None = None


class MemoryInbox:
    """An [Inbox][plenty_events.receiver.Inbox] in the memory of one process, for tests and trials.

    It does not survive a restart: a delivery acknowledged and then lost
    with the process is gone. Deploy [SQLiteInbox][plenty_events.receiver.SQLiteInbox].

    Examples:
        >>> inbox = MemoryInbox()
        >>> number = inbox.record(b"{}")
        >>> inbox.claim(number, "evt_1").outcome, inbox.claim(number, "evt_1").outcome
        ('claimed', 'busy')

    """

    def __init__(self, *, lease: float = DEFAULT_LEASE) -> None:
        """Keep deliveries in memory; a claim holds its event for `lease` seconds."""
        self._lease = check_lease(lease)
        self._lock = threading.Lock()
        self._deliveries: dict[int, _Stored] = {}
        self._events: dict[str, _Event] = {}
        self._next = 1
        self._now = time.time

    def record(self, body: bytes) -> int:
        """Store the raw body; return the delivery's number."""
        with self._lock:
            number = self._next
            self._next += 1
            self._deliveries[number] = _Stored(self._now(), bytes(body))
            return number

    def reject(self, delivery: int, codes: str) -> None:
        """Mark the delivery rejected."""
        with self._lock:
            stored = self._deliveries.get(delivery)
            if stored is not None:
                stored.rejected = codes

    def claim(self, delivery: int, event_id: str) -> Claim:
        """Take the event for handling unless it is handled or held.

        See [Inbox.claim][plenty_events.receiver.Inbox.claim].
        """
        with self._lock:
            now = self._now()
            stored = self._deliveries.get(delivery)
            if stored is not None:
                stored.event_id, stored.rejected = event_id, None
            event = self._events.get(event_id)
            if event is not None and event.state is State.HANDLED:
                return Claim(event_id, delivery, "handled")
            if event is not None and event.state is State.HANDLING and event.lease_until > now:
                return Claim(event_id, delivery, "busy", retry_after=event.lease_until - now)
            ticket = new_ticket()
            attempts = 1 if event is None else event.attempts + 1
            self._events[event_id] = _Event(State.HANDLING, delivery, attempts, ticket, now + self._lease, None)
            return Claim(event_id, delivery, "claimed", ticket)

    def finish(self, claim: Claim, error: str | None) -> bool:
        """Record handled or failed, if the claim still holds the event."""
        with self._lock:
            event = self._events.get(claim.event_id)
            if event is None or event.ticket is None or event.ticket != claim.ticket:
                return False
            event.state = State.HANDLED if error is None else State.FAILED
            event.ticket, event.lease_until, event.error = None, 0.0, error
            return True

    def deliveries(self, states: Collection[State] | None = None) -> list[Delivery]:
        """Return the stored deliveries in order of arrival."""
        with self._lock:
            found: list[Delivery] = []
            for number, stored in self._deliveries.items():
                event = None if stored.event_id is None else self._events.get(stored.event_id)
                if event is not None:
                    state, attempts, error = event.state, event.attempts, event.error
                elif stored.rejected is not None:
                    state, attempts, error = State.REJECTED, 0, stored.rejected
                else:
                    state, attempts, error = State.RECEIVED, 0, None
                if states is None or state in states:
                    delivery = Delivery(
                        number, utc(stored.received_at), state, stored.event_id, attempts, error, stored.body
                    )
                    found.append(delivery)
            return found

    def purge(self, before: datetime) -> int:
        """Delete the deliveries stored before `before`; keep the event states."""
        cutoff = before.timestamp()
        with self._lock:
            old = [number for number, stored in self._deliveries.items() if stored.received_at < cutoff]
            for number in old:
                del self._deliveries[number]
            return len(old)
