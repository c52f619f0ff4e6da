"""Nothing lost in handling: a state machine of deliveries, redeliveries, failures, worker runs and restarts.

Run on every inbox of conftest's INBOXES. Whatever the sequence, every event
answered 2xx ends handled or dead once the worker has drained the inbox, none
is handled twice, and `on_dead` is called once per death.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from plenty_events.receiver import Backoff, Outcome, Permanent, Receiver, RetryLater, State, Worker
from plenty_events.testing import sample_payload, to_json
from tests.conftest import INBOXES, postgres_dsn
from tests.receiving import TOKEN
from tests.strategies import clock_steps, handled_event_ids, handler_behaviours

LEASE = 10.0
BACKOFF = Backoff(first=1, factor=2, max_delay=4, max_attempts=3, jitter=0.5)

#: How many sequences each inbox is tried with; the profile's max_examples caps it.
EXAMPLES = 60


class Died(BaseException):
    """A handler's process dying mid-event (as SystemExit from a worker timeout)."""


def body(event_id: str) -> bytes:
    payload = sample_payload()
    payload["id"] = event_id
    return to_json(payload)


class Handling(RuleBasedStateMachine):
    """Deliveries inline and in background mode, failures of every kind, worker runs, abandoned claims, restarts."""

    inbox_name = "memory"

    @initialize()
    def start(self) -> None:
        """An empty inbox in a folder of its own, and a clock."""
        self.folder = Path(tempfile.mkdtemp())
        self.clock = [1_700_000_000.0]
        self.plans: dict[str, list[str]] = {}
        self.successes: Counter[str] = Counter()
        self.answered: set[str] = set()
        self.dead_calls: Counter[str] = Counter()
        self.deaths: Counter[str] = Counter()
        self.open()
        self.before = self.snapshot()

    def open(self) -> None:
        self.inbox = INBOXES[self.inbox_name](self.folder, LEASE)
        self.inbox._now = self.inbox._lease_now = lambda: self.clock[0]
        settings = {"handler": self.handle, "inbox": self.inbox, "backoff": BACKOFF, "on_dead": self.on_dead}
        self.inline = Receiver(tokens=TOKEN, **settings)
        self.background = Receiver(tokens=TOKEN, background=True, **settings)
        self.worker = Worker(self.inbox, self.handle, backoff=BACKOFF, on_dead=self.on_dead)

    def handle(self, event: Any) -> None:
        plan = self.plans.get(event.id)
        behaviour = plan.pop(0) if plan else "succeed"
        if behaviour == "raise":
            raise ConnectionError(event.id)
        if behaviour == "retry":
            raise RetryLater(2, "throttled")
        if behaviour == "permanent":
            raise Permanent("refused")
        if behaviour == "die":
            raise Died
        self.successes[event.id] += 1

    def on_dead(self, outcome: Outcome) -> None:
        assert outcome.event_id is not None
        self.dead_calls[outcome.event_id] += 1

    def snapshot(self) -> dict[str, tuple[State, Any]]:
        return {d.event_id: (d.state, d.tried_at) for d in self.inbox.deliveries() if d.event_id is not None}

    def step(self) -> None:
        """Every step starts at a new instant, so that each claim's time tells it apart."""
        self.clock[0] += 0.001

    @rule(event_id=handled_event_ids, background=st.booleans())
    def deliver(self, event_id: str, background: bool) -> None:
        """A delivery or a redelivery, answered inline or at once."""
        self.step()
        receiver = self.background if background else self.inline
        try:
            status = receiver.receive(TOKEN, body(event_id)).status
        except Died:
            return
        if 200 <= status < 300:
            self.answered.add(event_id)

    @rule(event_id=handled_event_ids, behaviour=handler_behaviours)
    def fail_next(self, event_id: str, behaviour: str) -> None:
        """The handler will fail this event's next call in this way."""
        self.plans.setdefault(event_id, []).append(behaviour)

    @rule()
    def run_worker(self) -> None:
        """The worker handles what is due."""
        self.step()
        with contextlib.suppress(Died):
            self.worker.run_pending()

    @rule(event_id=handled_event_ids)
    def abandon(self, event_id: str) -> None:
        """A worker takes a due event and is killed before it records anything: the lease is all that is left."""
        self.step()
        self.inbox.take(event_id)

    @rule(seconds=clock_steps)
    def wait(self, seconds: float) -> None:
        """Time passes."""
        self.clock[0] += seconds

    @rule()
    def restart(self) -> None:
        """The process restarts: new objects on the same store (the same file, for SQLite)."""
        if hasattr(self.inbox, "close"):
            self.inbox.close()
            self.open()
        else:  # a MemoryInbox lives as long as its process: keep it, renew the rest
            inbox = self.inbox
            self.open()
            self.inbox = inbox
            self.inline._core.inbox = self.background._core.inbox = self.worker.inbox = inbox
            self.worker._core.inbox = inbox

    @invariant()
    def deaths_call_on_dead_once(self) -> None:
        """Each step's deaths, seen in the inbox, match the on_dead calls; no event succeeds twice."""
        after = self.snapshot()
        for event_id, (state, tried_at) in after.items():
            was = self.before.get(event_id)
            if state is State.DEAD and (was is None or was[0] is not State.DEAD or was[1] != tried_at):
                self.deaths[event_id] += 1
        self.before = after
        assert self.dead_calls == self.deaths
        assert all(count == 1 for count in self.successes.values())

    def teardown(self) -> None:
        """Drain: past every lease and delay, the worker runs until nothing is due; then check every answered event."""
        for _ in range(40):
            self.clock[0] += 1_000
            try:
                counts = self.worker.run_pending()
            except Died:
                continue
            if not counts.total:
                break
        self.deaths_call_on_dead_once()
        states = {event_id: state for event_id, (state, _) in self.snapshot().items()}
        for event_id in self.answered:
            assert states[event_id] in {State.HANDLED, State.DEAD}, (event_id, states[event_id])
        for event_id, state in states.items():
            assert (state is State.HANDLED) == (self.successes[event_id] == 1)
        if hasattr(self.inbox, "close"):
            self.inbox.close()
        shutil.rmtree(self.folder)


@pytest.mark.parametrize("inbox_name", sorted(INBOXES))
def test_nothing_answered_is_lost_and_nothing_is_handled_twice(inbox_name: str) -> None:
    """Random sequences on each inbox: answered events end handled or dead, handled once, on_dead once per death."""
    if inbox_name == "postgres":
        postgres_dsn()  # without a server: skip (fail in CI) here, not inside the state machine
    machine = type(f"Handling_{inbox_name}", (Handling,), {"inbox_name": inbox_name})
    run_state_machine_as_test(
        machine,
        settings=settings(
            settings.default, max_examples=min(EXAMPLES, settings.default.max_examples), stateful_step_count=30
        ),
    )
