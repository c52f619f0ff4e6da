"""The worker: handles the events a background receiver stored, with retries and a dead-letter state."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

import attrs

from ._receiver import Core

if TYPE_CHECKING:
    from collections.abc import Callable

    from plenty_events import Decoder

    from ._inbox import Inbox
    from ._outcomes import Backoff, Outcome
    from ._receiver import Handler

log = logging.getLogger("plenty_events.receiver")

#: How many due event ids one look into the inbox asks for.
_BATCH = 100


@attrs.frozen
class Counts:
    """What one [Worker.run_pending][plenty_events.receiver.Worker.run_pending] did.

    Attributes:
        handled: Events handled.
        failed: Events that failed and are due again later.
        dead: Events that died (`Permanent`, or their last attempt).
        lost: Events whose outcome could not be recorded (the inbox failed, or
            their lease ended first); they stay due.

    """

    handled: int = 0
    failed: int = 0
    dead: int = 0
    lost: int = 0

    @property
    def total(self) -> int:
        """Every event tried."""
        return self.handled + self.failed + self.dead + self.lost


class Worker:
    """Handles the events that are due in an inbox: new ones, failed ones whose retry is due, stale ones.

    Pair it with `Receiver(..., background=True)`, which stores and answers
    at once: run it in a thread of the same process
    ([start][plenty_events.receiver.Worker.start] and [stop][plenty_events.receiver.Worker.stop]),
    or in a process of its own (`plenty-events inbox DB work --handler module:function`).
    Any number of workers may share one inbox: each event is taken by one at
    a time, under a lease. A failure is retried after the backoff's delay
    (or the one a `RetryLater` asks for); after the backoff's last attempt,
    or a `Permanent`, the event is *dead* and `on_dead` is called once.

    Args:
        inbox: The inbox the receiver stores into.
        handler: As for [Receiver][plenty_events.receiver.Receiver]: sync or async, or a Router.
        backoff: The retry schedule; `Backoff()` when not given.
        on_dead: Called once with the `"dead"` [Outcome][plenty_events.receiver.Outcome] of each event that dies.
        on_outcome: Called with every handled, failed and dead outcome.
        decoder: A [Decoder][plenty_events.Decoder] with registered models, as the receiver's.
        strict: Decode in strict mode, as the receiver does.
        poll: Seconds [run][plenty_events.receiver.Worker.run] waits when nothing was due.

    Examples:
        >>> from plenty_events.receiver import Backoff, MemoryInbox, Receiver, Worker
        >>> from plenty_events.testing import sample_payload, to_json
        >>> inbox, handled = MemoryInbox(), []
        >>> receiver = Receiver(tokens="a-token-of-16-characters", handler=handled.append, inbox=inbox, background=True)
        >>> receiver.receive("a-token-of-16-characters", to_json(sample_payload())).status, handled
        (202, [])
        >>> Worker(inbox, handled.append).run_pending(), len(handled)
        (Counts(handled=1, failed=0, dead=0, lost=0), 1)

    """

    def __init__(  # noqa: PLR0913 -- keywords only, each documented
        self,
        inbox: Inbox,
        handler: Handler,
        *,
        backoff: Backoff | None = None,
        on_dead: Callable[[Outcome], object] | None = None,
        on_outcome: Callable[[Outcome], object] | None = None,
        decoder: Decoder[Any] | None = None,
        strict: bool = False,
        poll: float = 1.0,
    ) -> None:
        """Set the worker up; see the class."""
        if not 0 < poll < float("inf"):
            raise ValueError("poll must be a positive number of seconds")
        self.inbox = inbox
        self.poll = float(poll)
        self._core = Core(
            handler, inbox, strict=strict, decoder=decoder, backoff=backoff, on_dead=on_dead, on_outcome=on_outcome
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_pending(self) -> Counts:
        """Handle every event due now, each at most once in this call, and count the outcomes.

        For tests and cron; [run][plenty_events.receiver.Worker.run] calls it in a loop.
        An event that fails with a zero delay is due again at once, and waits
        for the next call.
        """
        seen: set[str] = set()
        counts = {"handled": 0, "failed": 0, "dead": 0, "lost": 0}
        while not self._stop.is_set():
            due = [event_id for event_id in self.inbox.due(len(seen) + _BATCH) if event_id not in seen]
            if not due:
                break
            for event_id in due:
                if self._stop.is_set():
                    break
                seen.add(event_id)
                claim = self.inbox.take(event_id)
                if claim is None:
                    continue  # another worker took it first
                counts[self._core.work(claim) or "lost"] += 1
        return Counts(**counts)

    def run(self) -> None:
        """Handle due events until [stop][plenty_events.receiver.Worker.stop] is called.

        An inbox error is logged and tried again after `poll` seconds. An
        event being handled when `stop` is called is finished first.
        """
        while not self._stop.is_set():
            try:
                counts = self.run_pending()
            except Exception as exc:  # noqa: BLE001 -- a locked or full disk: keep going, as a server would
                log.error("the worker could not read the inbox: %s", type(exc).__name__)  # noqa: TRY400
                counts = Counts()
            if not counts.total:
                self._stop.wait(self.poll)

    def start(self) -> threading.Thread:
        """Run the worker in a daemon thread of this process; return the thread.

        Call [stop][plenty_events.receiver.Worker.stop] at shutdown, so that the event
        being handled is finished rather than cut off.
        """
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="plenty-events-worker", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float | None = None) -> None:
        """Ask the worker to stop after the event it holds, and wait up to `timeout` seconds for its thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
