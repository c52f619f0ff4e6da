"""The property that matters, under the real worker: each purchase is in plentymarkets exactly once.

A Hypothesis state machine runs TicketHandler as the handler of a background
`Receiver` and a `Worker` over an inbox (memory or SQLite) that is also its
step journal, against the fake system. It drives deliveries, redeliveries,
replays (by the worker, or an operator's inline replay), clean restarts (a
new worker and inbox object on the same file), kills of the worker after any
call plentymarkets applied or after any step it recorded (the event stays
*handling* until its lease ends), time-outs before and after a write, 429,
5xx and expired tokens, and the clock moving on. Once the faults stop and
time passes, every event is *handled* or *dead* with a reason; replaying the
dead ones then leaves exactly one contact per e-mail and one ticket and note
per event, with every address.
"""

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import event as note_event
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from plenty_events.plentymarkets import Client, FakeCrash, FakePlenty, Step, TicketHandler
from plenty_events.receiver import Backoff, MemoryInbox, Receiver, SQLiteInbox, State, Worker
from plenty_events.receiver._receiver import Core
from plenty_events.testing import sample_event, sample_payload, to_json
from test_plentymarkets_handler import assert_exactly_once
from test_plentymarkets_property import DELIVERY, OPERATIONS

TOKEN = "a-token-of-16-characters"  # noqa: S105 -- a test token, not a secret
LEASE = 10.0
#: Few attempts, so that some events die of "max attempts" and are replayed.
BACKOFF = Backoff(first=1, factor=2, max_delay=60, max_attempts=4, jitter=0)
STATUSES = ("401", "429", "500", "503")


class Killed(BaseException):
    """The worker's process was killed: nothing after this point runs, not even the outcome's record."""


class WorkedPurchases(RuleBasedStateMachine):
    """A receiver, a worker and its inbox in front of one partner's plentymarkets system."""

    kind = "memory"

    def __init__(self):
        """An empty system and inbox, a first worker."""
        super().__init__()
        # A kill here ends the process, not the machine: the file needs no
        # synced writes, and a memory-backed folder spares a disk sync per commit.
        memory = Path("/dev/shm")  # noqa: S108 -- a private folder made inside it, removed at the end
        self.folder = Path(tempfile.mkdtemp(prefix="worked-purchases-", dir=memory if memory.is_dir() else None))
        self.clock = [1_700_000_000.0]
        self.fake = FakePlenty()
        self.bodies = {}
        self.events = {}
        self.killing = None
        self.inbox = None
        #: Where the kills and faults are counted: Hypothesis's statistics.
        self.report = note_event
        self._start()

    # The process ------------------------------------------------------------------

    def _start(self):
        """A process starts: an inbox object on the same store, a handler journalling into it, a worker."""
        if self.inbox is None or self.kind == "sqlite":
            if self.inbox is not None:
                self.inbox.close()
            self.inbox = (
                MemoryInbox(lease=LEASE) if self.kind == "memory" else SQLiteInbox(self.folder / "in.db", lease=LEASE)
            )
            self.inbox._now = self.inbox._lease_now = lambda: self.clock[0]
        self.killing = None
        inbox = self.inbox
        config = self.fake.config()
        handler = TicketHandler(config, client=Client(config, transport=self.fake), journal=inbox)
        record_step, finish = inbox.record_step, inbox.finish

        def recording(event_id, step, remote_id):
            recorded = record_step(event_id, step, remote_id)
            if self.killing == f"recording {step}":
                self._kill(f"killed after recording {step}")
            return recorded

        def finishing(claim, error, **kwargs):
            if self.killing == "dying":
                raise Killed  # the process is gone: the outcome is never recorded
            return finish(claim, error, **kwargs)

        def handle(event):
            try:
                handler(event)
            except FakeCrash as crash:
                self._kill(f"killed after {str(crash).split()[-1]}")

        inbox.record_step, inbox.finish = recording, finishing
        self.handler = handle
        self.receiver = Receiver(tokens=TOKEN, handler=handle, inbox=inbox, background=True, backoff=BACKOFF)
        self.worker = Worker(inbox, handle, backoff=BACKOFF)

    def _kill(self, point):
        self.report(point)
        self.killing = "dying"
        raise Killed

    def _run(self, work):
        """Run the worker's or an operator's work; a kill ends the process, and a new one starts."""
        try:
            work()
        except Killed:
            self._restore()
            self._start()

    def _restore(self):
        """Undo the process's wrappers, so that the store, not the dead process, is what a new one sees."""
        for name in ("record_step", "finish"):
            self.inbox.__dict__.pop(name, None)

    # What happens -----------------------------------------------------------------

    @initialize(**DELIVERY)
    def first(self, number, email, country, company, street):
        """The first delivery, so that there is always an event."""
        self.deliver(number, email, country, company, street)

    @rule(**DELIVERY)
    def deliver(self, number, email, country, company, street):
        """A delivery: a new purchase, or a redelivery of a known event id (the same body again)."""
        event_id = f"evt_{number}"
        if event_id not in self.bodies:
            changes = {
                "$.id": event_id,
                "$.resource.contact.email": email,
                "$.resource.address.country": country,
                "$.resource.address.companyName": company,
                "$.resource.address.street": street,
            }
            self.bodies[event_id] = to_json(sample_payload(changes))
            self.events[event_id] = sample_event(changes)
        answer = self.receiver.receive(TOKEN, self.bodies[event_id])
        assert answer.status in {200, 202}

    @rule()
    def work(self):
        """The worker handles what is due."""
        self._run(self.worker.run_pending)

    @rule()
    def replay(self):
        """An operator replays the inbox inline (`plenty-events inbox DB replay`)."""
        self._run(Core(self.handler, self.inbox, strict=False, backoff=BACKOFF).replay)

    @rule(seconds=st.sampled_from([1, 5, 11, 120]))
    def time_passes(self, seconds):
        """The clock moves on: retries come due, a killed worker's lease ends."""
        self.clock[0] += seconds

    @rule()
    def restart(self):
        """The worker stops and starts again, cleanly: a new inbox object on the same file."""
        self._restore()
        self._start()

    @rule(step=st.sampled_from(list(Step)))
    def kill_after_recording(self, step):
        """The worker is killed right after it records `step` in the inbox, before the next call."""
        self.killing = f"recording {step}"

    @rule(operation=st.sampled_from(OPERATIONS), fault=st.sampled_from(("crash", "timeout", "timeout after the write")))
    def fault(self, operation, fault):
        """The next call of an operation kills the worker after plentymarkets applied it, or times out."""
        if fault == "crash":
            self.fake.crash_after(operation)
        else:
            self.report(f"{fault} at {operation}")
            self.fake.time_out(operation, applied=fault.endswith("write"))

    @rule(operation=st.sampled_from(OPERATIONS), status=st.sampled_from(STATUSES), times=st.integers(1, 3))
    def fail(self, operation, status, times):
        """The next calls of an operation are answered with an error status (429 with `Retry-After`)."""
        self.report(f"{status} at {operation}")
        self.fake.fail(operation, int(status), retry_after="3" if status == "429" else None, times=times)

    @rule()
    def expire_tokens(self):
        """The system forgets the worker's token."""
        self.fake.expire_tokens()

    @invariant()
    def nothing_twice(self):
        """At no moment two contacts for one e-mail, two tickets for one event, two notes on one ticket."""
        assert all(len(ids) == 1 for ids in self.fake.contacts_by_email().values())
        assert all(len(ids) == 1 for ids in self.fake.tickets_by_title().values())
        assert all(len(self.fake.notes_of(ticket)) <= 1 for ticket in self.fake.tickets)

    def teardown(self):
        """With the faults gone and time passing, every event ends handled or dead with a reason; replays finish it."""
        try:
            self.fake.clear_faults()
            self._restore()
            self._start()  # after a kill that was armed but never struck
            for _ in range(BACKOFF.max_attempts + 1):
                self.clock[0] += 3600
                self.worker.run_pending()
            states = {d.event_id: d for d in self.inbox.deliveries(bodies=False)}
            assert set(states) == set(self.bodies)
            for delivery in states.values():
                assert delivery.state in {State.HANDLED, State.DEAD}
                if delivery.state is State.DEAD:
                    self.report(f"dead: {delivery.reason}")
                    # Retries used up, or a step that cannot succeed (a second 401 in a row).
                    assert delivery.reason == "max attempts" or delivery.reason.startswith(OPERATIONS)
            Core(self.handler, self.inbox, strict=False, backoff=BACKOFF).replay()
            assert {d.state for d in self.inbox.deliveries(bodies=False)} == {State.HANDLED}
            assert_exactly_once(self.fake, list(self.events.values()))
            for event_id in self.bodies:
                assert list(self.inbox.steps(event_id)) == list(Step)
        finally:
            if self.inbox is not None and self.kind == "sqlite":
                self.inbox.close()
            shutil.rmtree(self.folder, ignore_errors=True)


class WorkedPurchasesInSQLite(WorkedPurchases):
    """The same, over an SQLite file, each restart a new SQLiteInbox on it."""

    kind = "sqlite"


WorkedPurchases.TestCase.settings = settings(max_examples=1500, stateful_step_count=14)
WorkedPurchasesInSQLite.TestCase.settings = settings(max_examples=500, stateful_step_count=14)
test_purchases_under_the_worker_in_memory = WorkedPurchases.TestCase
test_purchases_under_the_worker_in_sqlite = WorkedPurchasesInSQLite.TestCase


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_killed_worker_leaves_the_event_handling_until_its_lease_ends(kind):
    """After a kill, the event stays handling under its lease; past it, the next worker finishes it once."""
    machine = WorkedPurchases()
    machine.report = lambda _: None  # outside a Hypothesis run there are no statistics
    machine.kind = kind
    machine.inbox = None
    machine._start()
    machine.fake.crash_after("create_ticket")
    machine.deliver(1, "ann@shop.example", "AT", "ACME", "Main Street")
    machine.work()
    (delivery,) = machine.inbox.deliveries(bodies=False)
    assert delivery.state is State.HANDLING
    assert list(machine.inbox.steps(delivery.event_id)) == ["contact", "address", "company"]
    machine.work()
    assert len(machine.fake.tickets) == 1
    assert machine.inbox.deliveries(bodies=False)[0].state is State.HANDLING  # the lease still holds
    machine.time_passes(11)
    machine.work()
    assert machine.inbox.deliveries(bodies=False)[0].state is State.HANDLED
    machine.teardown()
