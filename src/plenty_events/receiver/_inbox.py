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
import functools
import math
import secrets
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

import attrs

if TYPE_CHECKING:
    from collections.abc import Callable, Collection

#: How long a claim holds an event, in seconds, unless the inbox is told
#: otherwise. Longer than any handler should run, and than the usual worker
#: timeouts of WSGI servers (gunicorn's is 30 s).
DEFAULT_LEASE = 60.0


class State(enum.StrEnum):
    """Where a delivery stands.

    Attributes:
        RECEIVED: Its raw body is stored, not yet judged.
        REJECTED: Its body did not decode (answered 400 or 422).
        DISMISSED: A rejected delivery a person dismissed; its body is kept until purged.
        PENDING: It carries an event stored for the worker, not yet tried (background mode).
        HANDLING: It carries an event under a claim's lease, being handled.
        HANDLED: It carries an event that was handled.
        FAILED: It carries an event whose handling failed; it is retried when due.
        DEAD: It carries an event that failed for good: `Permanent`, or its last attempt.

    PENDING, HANDLING, HANDLED, FAILED and DEAD are the state of the event it
    carries, which every delivery of that event shares.
    """

    RECEIVED = "received"
    REJECTED = "rejected"
    DISMISSED = "dismissed"
    PENDING = "pending"
    HANDLING = "handling"
    HANDLED = "handled"
    FAILED = "failed"
    DEAD = "dead"


@attrs.frozen
class Claim:
    """What [Inbox.claim][plenty_events.receiver.Inbox.claim] and [take][plenty_events.receiver.Inbox.take] answer.

    Attributes:
        event_id: The event asked for.
        delivery: The delivery whose body would be handled.
        outcome: `"claimed"`: the caller holds the event and must call
            [Inbox.finish][plenty_events.receiver.Inbox.finish]. `"handled"`: it was handled
            before. `"busy"`: another claim holds it.
        ticket: For `"claimed"`, what proves the claim to
            [Inbox.finish][plenty_events.receiver.Inbox.finish].
        retry_after: For `"busy"`, the seconds until that claim's lease ends.
        attempts: For `"claimed"`, the attempt this claim is (1 for the first).
        body: From [Inbox.take][plenty_events.receiver.Inbox.take], the raw body to handle;
            `None` when every delivery of the event was purged.
        token_name: From [Inbox.take][plenty_events.receiver.Inbox.take], the name of the
            token that delivery came to.

    """

    event_id: str
    delivery: int
    outcome: Literal["claimed", "handled", "busy"]
    ticket: str = attrs.field(default="", repr=False)
    retry_after: float = 0.0
    attempts: int = 0
    body: bytes | None = attrs.field(default=None, repr=False)
    token_name: str | None = None


@attrs.frozen
class Delivery:
    """One stored delivery, as [Inbox.deliveries][plenty_events.receiver.Inbox.deliveries] lists it.

    Attributes:
        number: Its number in the inbox, increasing in order of arrival.
        received_at: When its body was stored, an aware UTC datetime.
        state: Where it stands (for a decoded one, its event's state).
        event_id: The id of the event it carries, once decoded.
        attempts: How often its event was claimed for handling (since it was last revived).
        error: For a rejected delivery the error codes, for a failed or dead
            event the type of the last exception; never a message, which might quote the body.
        body: The exact raw body. It is personal data, and not in the repr.
        token_name: The name of the token it came to, when the tokens were given as a mapping.
        due_at: For a pending or failed event, when the worker may take it next.
        tried_at: When its event's last attempt began.
        reason: For a failed or dead event, the reason given (`RetryLater`,
            `Permanent`, or the worker's own, such as `"max attempts"`).
        lease_until: For a handling event, when its claim's lease ends; past
            it, the worker or a replay takes the event over.

    """

    number: int
    received_at: datetime
    state: State
    event_id: str | None
    attempts: int
    error: str | None
    body: bytes = attrs.field(repr=False)
    token_name: str | None = None
    due_at: datetime | None = None
    tried_at: datetime | None = None
    reason: str | None = None
    lease_until: datetime | None = None


@attrs.frozen
class Attempt:
    """One attempt at handling an event, as [Inbox.attempts][plenty_events.receiver.Inbox.attempts] lists it.

    Attributes:
        attempt: Its number since the event was last revived (1 for the first).
        started_at: When it was claimed, an aware UTC datetime.
        error: The exception's type when it failed; `None` when it
            succeeded, or has not finished (yet, or ever: its lease ended).

    """

    attempt: int
    started_at: datetime
    error: str | None


#: What [Inbox.enqueue][plenty_events.receiver.Inbox.enqueue] answers.
Queued = Literal["queued", "handled", "waiting"]


class Inbox(Protocol):
    """Where a [Receiver][plenty_events.receiver.Receiver] keeps deliveries and event states.

    [SQLiteInbox][plenty_events.receiver.SQLiteInbox], [PostgresInbox][plenty_events.receiver.PostgresInbox] and
    [MemoryInbox][plenty_events.receiver.MemoryInbox] implement it; so can a class over Redis. Every call must be
    safe to make from several threads at once, and
    [claim][plenty_events.receiver.Inbox.claim] and [take][plenty_events.receiver.Inbox.take]
    must be atomic across every process sharing the store: that is what makes handling happen once.
    """

    def record(self, body: bytes, token_name: str | None = None) -> int:
        """Store the raw body durably, as state *received*, before anything answers it.

        Returns:
            The delivery's number.

        """
        ...

    def reject(self, delivery: int, codes: str) -> None:
        """Mark the delivery *rejected*, with its error codes separated by spaces."""
        ...

    def dismiss(self, delivery: int) -> bool:
        """Move a *rejected* delivery to *dismissed*; `False` when it is not rejected."""
        ...

    def enqueue(self, delivery: int, event_id: str) -> Queued:
        """Tie the delivery to its event, and leave the event for the worker (background mode).

        In one atomic step: an event never seen, or *dead*, becomes *pending*,
        due now, its attempts counted from 0 (`"queued"`); a *handled* one
        answers `"handled"`; any other is left as it is (`"waiting"`).
        """
        ...

    def claim(self, delivery: int, event_id: str) -> Claim:
        """Tie the delivery to its event, and take the event for handling if nobody holds it.

        In one atomic step: an event never seen, *pending*, *failed* (due or
        not), *dead* (revived: its attempts counted from 0), or *handling*
        under a lease that has ended is claimed (state *handling*, a new
        lease, one more attempt); a *handled* one answers `"handled"`; one
        under a live lease answers `"busy"`.
        """
        ...

    def due(self, limit: int) -> list[str]:
        """Return up to `limit` ids of events the worker may take now, the longest due first.

        Those are the *pending* and *failed* events whose due time has come,
        and the *handling* ones whose lease has ended.
        """
        ...

    def take(self, event_id: str) -> Claim | None:
        """Claim the event for the worker if it is still due (see [due][plenty_events.receiver.Inbox.due]).

        Returns:
            A `"claimed"` claim with the body of the event's latest delivery
                and its token name; `None` when the event is not due (any more).

        """
        ...

    def finish(
        self, claim: Claim, error: str | None, *, retry_in: float = 0.0, dead: bool = False, reason: str | None = None
    ) -> bool:
        """Record the outcome of a claimed event.

        *handled* when `error` is `None`; else *dead* when `dead`, else
        *failed*, due again `retry_in` seconds from now. `reason` is kept with it.

        Returns:
            `True` when recorded; `False` when the claim no longer held the
                event (its lease ended and another claim took it over), and
                nothing is recorded then.

        """
        ...

    def attempts(self, event_id: str) -> list[Attempt]:
        """Return every attempt at handling the event, the first first: when it began, and its error type."""
        ...

    def deliveries(self, states: Collection[State] | None = None, *, bodies: bool = True) -> list[Delivery]:
        """Return the stored deliveries in order of arrival, only those in `states` if given.

        With `bodies=False` every `body` is empty, and no body is read: for
        listings and health checks, which never need one.
        """
        ...

    def purge(self, before: datetime) -> int:
        """Delete the deliveries stored before `before` (their raw bodies); return how many.

        Event states, which hold no personal data, are kept, so that a late
        redelivery of a handled event is still not handled again; so are the
        recorded [steps][plenty_events.receiver.Inbox.steps].
        """
        ...

    def record_step(self, event_id: str, step: str, remote_id: str) -> str:
        """Record, durably, that `step` of the event's handling is done, with the id the remote system gave.

        A handler calls it after each side effect and before the next, so
        that a re-run after a crash, a restart or a redelivery skips what is
        done (the step journal). It needs no claim: a step done is done,
        whoever did it. A step recorded before keeps its first id.

        Args:
            event_id: The event the step belongs to.
            step: The step's name, chosen by the handler (such as `"contact"`).
            remote_id: The id the remote system returned, `""` if none.

        Returns:
            The id recorded for the step: `remote_id`, or the one recorded first.

        """
        ...

    def steps(self, event_id: str) -> dict[str, str]:
        """Return the event's recorded steps, step name to remote id, in the order they were recorded."""
        ...

    def erase(self, deliveries: Collection[int]) -> int:
        """Delete these deliveries (their raw bodies) and the recorded steps of the events they carry; return how many.

        For a person's erasure request: which deliveries hold their personal
        data is for the caller to find (see `plenty_events.plentymarkets.erase_person`).
        Event states, which hold no personal data, are kept, so that a late
        redelivery of a handled event is still not handled again. Unknown numbers are ignored.
        """
        ...


@runtime_checkable
class OneCommitInbox(Protocol):
    """What an [Inbox][plenty_events.receiver.Inbox] may add, to store a body and its event's step in one commit.

    A [Receiver][plenty_events.receiver.Receiver] whose inbox has both
    methods decodes a body before storing it, and stores a body that
    decoded together with its event's claim (inline) or queueing
    (background mode): one durable commit where `record` then `claim` or
    `enqueue` pay two. A body that does not decode is stored with `record`
    as before. [SQLiteInbox][plenty_events.receiver.SQLiteInbox] has them.

    Examples:
        >>> from plenty_events.receiver import MemoryInbox, OneCommitInbox
        >>> isinstance(MemoryInbox(), OneCommitInbox)
        False

    """

    def record_claim(self, body: bytes, token_name: str | None, event_id: str) -> Claim:
        """`record` then `claim`, atomically and durably, in one commit.

        Returns:
            The claim; its `delivery` is the new delivery's number.

        """
        ...

    def record_enqueue(self, body: bytes, token_name: str | None, event_id: str) -> tuple[int, Queued]:
        """`record` then `enqueue`, atomically and durably, in one commit.

        Returns:
            The new delivery's number, and what `enqueue` answers.

        """
        ...


def utc(timestamp: float) -> datetime:
    """Unix seconds as an aware UTC datetime."""
    return datetime.fromtimestamp(timestamp, UTC)


def boot_clock(boot_id_file: str = "/proc/sys/kernel/random/boot_id") -> tuple[str, Callable[[], float]]:
    """The clock leases are measured on, and the id of the boot it counts from.

    Linux's `CLOCK_BOOTTIME` is one clock for every process of the machine,
    and a step of the wall clock (a manual change, an NTP step) does not
    move it; it restarts at each boot, which the boot id tells apart. Where
    either is missing, the wall clock, with an empty boot id.
    """
    clock_id = getattr(time, "CLOCK_BOOTTIME", None)
    try:
        boot = Path(boot_id_file).read_text(encoding="ascii").strip()
    except OSError:
        boot = ""
    if clock_id is None or not boot:
        return "", time.time
    return boot, functools.partial(time.clock_gettime, clock_id)


#: This machine's boot id and lease clock, read once.
BOOT, LEASE_CLOCK = boot_clock()


def check_lease(lease: float) -> float:
    """Refuse a lease that is not a positive, finite number of seconds.

    An infinite lease would keep the event of a killed worker *handling* for ever.
    """
    if not (lease > 0 and math.isfinite(lease)):
        raise ValueError("the lease must be a positive, finite number of seconds")
    return float(lease)


def new_ticket() -> str:
    """A claim's ticket: unguessable, so that one claim can never finish another's."""
    return secrets.token_hex(16)


def when(timestamp: float | None) -> datetime | None:
    """Unix seconds, or nothing, as an aware UTC datetime."""
    return None if timestamp is None else utc(timestamp)


#: The event states the worker takes when due.
WAITING_FOR_WORKER = frozenset({State.PENDING, State.FAILED})


@attrs.define
class _Event:
    state: State
    delivery: int
    attempts: int
    ticket: str | None = None
    lease_until: float = 0.0
    error: str | None = None
    due_at: float | None = None
    tried_at: float | None = None
    reason: str | None = None


@attrs.define
class _Stored:
    received_at: float
    body: bytes
    token_name: str | None = None
    event_id: str | None = None
    rejected: str | None = None
    dismissed: bool = False


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
        self._attempts: dict[str, list[list[Any]]] = {}
        self._steps: dict[str, dict[str, str]] = {}
        self._next = 1
        self._now = time.time
        # Leases on a clock that a step of the wall clock does not move.
        self._lease_now = time.monotonic

    def record(self, body: bytes, token_name: str | None = None) -> int:
        """Store the raw body; return the delivery's number."""
        with self._lock:
            number = self._next
            self._next += 1
            self._deliveries[number] = _Stored(self._now(), bytes(body), token_name)
            return number

    def reject(self, delivery: int, codes: str) -> None:
        """Mark the delivery rejected."""
        with self._lock:
            stored = self._deliveries.get(delivery)
            if stored is not None:
                stored.rejected = codes

    def dismiss(self, delivery: int) -> bool:
        """Dismiss a rejected delivery."""
        with self._lock:
            stored = self._deliveries.get(delivery)
            if stored is None or stored.rejected is None or stored.event_id is not None or stored.dismissed:
                return False
            stored.dismissed = True
            return True

    def _tie(self, delivery: int, event_id: str) -> None:
        stored = self._deliveries.get(delivery)
        if stored is not None:
            stored.event_id, stored.rejected, stored.dismissed = event_id, None, False

    def enqueue(self, delivery: int, event_id: str) -> Queued:
        """Leave the event for the worker; see [Inbox.enqueue][plenty_events.receiver.Inbox.enqueue]."""
        with self._lock:
            self._tie(delivery, event_id)
            event = self._events.get(event_id)
            if event is not None and event.state is State.HANDLED:
                return "handled"
            if event is not None and event.state is not State.DEAD:
                return "waiting"
            self._events[event_id] = _Event(State.PENDING, delivery, 0, due_at=self._now())
            return "queued"

    def _claim(self, event_id: str, delivery: int, attempts: int, now: float) -> Claim:
        ticket = new_ticket()
        held_until = self._lease_now() + self._lease
        event = self._events.get(event_id)
        if event is None:
            event = self._events[event_id] = _Event(State.HANDLING, delivery, attempts)
        event.state, event.delivery, event.attempts = State.HANDLING, delivery, attempts
        event.ticket, event.lease_until, event.tried_at, event.due_at = ticket, held_until, now, None
        self._attempts.setdefault(event_id, []).append([attempts, now, None])
        return Claim(event_id, delivery, "claimed", ticket, attempts=attempts)

    def claim(self, delivery: int, event_id: str) -> Claim:
        """Take the event for handling unless it is handled or held.

        See [Inbox.claim][plenty_events.receiver.Inbox.claim].
        """
        with self._lock:
            now = self._now()
            self._tie(delivery, event_id)
            event = self._events.get(event_id)
            if event is not None and event.state is State.HANDLED:
                return Claim(event_id, delivery, "handled")
            if event is not None and event.state is State.HANDLING and event.lease_until > self._lease_now():
                return Claim(event_id, delivery, "busy", retry_after=event.lease_until - self._lease_now())
            attempts = 1 if event is None or event.state is State.DEAD else event.attempts + 1
            return self._claim(event_id, delivery, attempts, now)

    def _due(self, event: _Event, now: float) -> bool:
        if event.state is State.HANDLING:
            return event.lease_until <= self._lease_now()
        return event.state in WAITING_FOR_WORKER and (event.due_at is None or event.due_at <= now)

    def due(self, limit: int) -> list[str]:
        """Return the ids of the events due now; see [Inbox.due][plenty_events.receiver.Inbox.due]."""
        with self._lock:
            now = self._now()
            found = [
                (event.due_at or 0.0, event_id) for event_id, event in self._events.items() if self._due(event, now)
            ]
            return [event_id for _, event_id in sorted(found)[:limit]]

    def take(self, event_id: str) -> Claim | None:
        """Claim a due event for the worker; see [Inbox.take][plenty_events.receiver.Inbox.take]."""
        with self._lock:
            now = self._now()
            event = self._events.get(event_id)
            if event is None or not self._due(event, now):
                return None
            number = event.delivery
            if number not in self._deliveries:
                # Its delivery was purged: take the latest one left, if any.
                numbers = [n for n, stored in self._deliveries.items() if stored.event_id == event_id]
                number = max(numbers, default=number)
            claim = self._claim(event_id, number, event.attempts + 1, now)
            stored = self._deliveries.get(number)
            if stored is None:
                return claim
            return attrs.evolve(claim, body=stored.body, token_name=stored.token_name)

    def finish(
        self, claim: Claim, error: str | None, *, retry_in: float = 0.0, dead: bool = False, reason: str | None = None
    ) -> bool:
        """Record handled, failed or dead, if the claim still holds the event."""
        with self._lock:
            event = self._events.get(claim.event_id)
            if event is None or event.ticket is None or event.ticket != claim.ticket:
                return False
            if error is None:
                event.state, event.due_at = State.HANDLED, None
            elif dead:
                event.state, event.due_at = State.DEAD, None
            else:
                event.state, event.due_at = State.FAILED, self._now() + retry_in
            event.ticket, event.lease_until, event.error, event.reason = None, 0.0, error, reason
            self._attempts[claim.event_id][-1][2] = error
            return True

    def attempts(self, event_id: str) -> list[Attempt]:
        """Return every attempt at handling the event."""
        with self._lock:
            return [Attempt(n, utc(at), error) for n, at, error in self._attempts.get(event_id, [])]

    def deliveries(self, states: Collection[State] | None = None, *, bodies: bool = True) -> list[Delivery]:
        """Return the stored deliveries in order of arrival; empty bodies with `bodies=False`."""
        with self._lock:
            found: list[Delivery] = []
            for number, stored in self._deliveries.items():
                event = None if stored.event_id is None else self._events.get(stored.event_id)
                if event is not None:
                    delivery = Delivery(
                        number,
                        utc(stored.received_at),
                        event.state,
                        stored.event_id,
                        event.attempts,
                        event.error,
                        stored.body if bodies else b"",
                        stored.token_name,
                        when(event.due_at),
                        when(event.tried_at),
                        event.reason,
                        self._lease_end(event),
                    )
                else:
                    state = State.RECEIVED
                    if stored.rejected is not None:
                        state = State.DISMISSED if stored.dismissed else State.REJECTED
                    delivery = Delivery(
                        number,
                        utc(stored.received_at),
                        state,
                        stored.event_id,
                        0,
                        stored.rejected,
                        stored.body if bodies else b"",
                        stored.token_name,
                    )
                if states is None or delivery.state in states:
                    found.append(delivery)
            return found

    def _lease_end(self, event: _Event) -> datetime | None:
        if event.state is not State.HANDLING:
            return None
        return utc(self._now() + event.lease_until - self._lease_now())

    def purge(self, before: datetime) -> int:
        """Delete the deliveries stored before `before`; keep the event states."""
        cutoff = before.timestamp()
        with self._lock:
            old = [number for number, stored in self._deliveries.items() if stored.received_at < cutoff]
            for number in old:
                del self._deliveries[number]
            return len(old)

    def record_step(self, event_id: str, step: str, remote_id: str) -> str:
        """Record that `step` of the event is done; the first id recorded stays."""
        with self._lock:
            return self._steps.setdefault(event_id, {}).setdefault(str(step), str(remote_id))

    def steps(self, event_id: str) -> dict[str, str]:
        """Return the event's recorded steps, in the order recorded."""
        with self._lock:
            return dict(self._steps.get(event_id, {}))

    def erase(self, deliveries: Collection[int]) -> int:
        """Delete these deliveries and the recorded steps of their events; return how many deliveries."""
        with self._lock:
            erased = [self._deliveries.pop(number) for number in set(deliveries) if number in self._deliveries]
            for stored in erased:
                if stored.event_id is not None:
                    self._steps.pop(stored.event_id, None)
            return len(erased)
