"""The property that matters: whatever happens, each purchase is in plentymarkets exactly once.

A Hypothesis state machine drives TicketHandler, MemoryJournal and the fake
system through deliveries, redeliveries and replays, restarts (the journal
kept or lost), crashes after any call, time-outs before and after a write,
429, 5xx and expired tokens.
"""

from hypothesis import event as note_event
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from plenty_events.plentymarkets import Client, FakeCrash, FakePlenty, MemoryJournal, TicketHandler
from plenty_events.receiver import Permanent, RetryLater
from plenty_events.testing import sample_event
from test_plentymarkets_handler import assert_exactly_once

EMAILS = ("ann@shop.example", "bob@shop.example", "cy@shop.example")
OPERATIONS = (
    "find_contact",
    "create_contact",
    "create_address",
    "create_company",
    "find_ticket",
    "create_ticket",
    "find_notes",
    "add_note",
)
#: The parts of a delivery that vary: few values, so that e-mails and event ids meet again.
DELIVERY = {
    "number": st.integers(0, 6),
    "email": st.sampled_from(EMAILS),
    "country": st.sampled_from(["DE", "AT", "XI", "CW"]),
    "company": st.sampled_from(["", "ACME"]),
    "street": st.sampled_from(["Main Street", "New Road"]),
}
FAULTS = ("crash", "timeout", "timeout after the write", "401", "429", "500", "503")


class Purchases(RuleBasedStateMachine):
    """One partner's plentymarkets system, and the worker that handles purchases into it."""

    def __init__(self):
        """An empty system, an empty journal, a first worker."""
        super().__init__()
        self.fake = FakePlenty()
        self.journal = MemoryJournal()
        self.handler = self._worker()
        self.events = {}
        self.open = set()
        self.dead = {}

    def _worker(self):
        config = self.fake.config()
        return TicketHandler(config, client=Client(config, transport=self.fake), journal=self.journal)

    def _handle(self, event):
        try:
            self.handler(event)
        except FakeCrash as crash:
            note_event(str(crash))
            self.open.add(event.id)
            self.handler = self._worker()  # the process died; a new one starts on the same journal
        except RetryLater as retry:
            note_event(f"retry: {retry.reason}")
            self.open.add(event.id)
        except Permanent as stop:
            note_event(f"dead: {stop.reason}")
            self.open.discard(event.id)
            self.dead[event.id] = stop.reason
        else:
            self.open.discard(event.id)
            self.dead.pop(event.id, None)

    @initialize(**DELIVERY)
    def first(self, number, email, country, company, street):
        """The first delivery, so that there is always an event to replay."""
        self.deliver(number, email, country, company, street)

    @rule(**DELIVERY)
    def deliver(self, number, email, country, company, street):
        """A delivery: a new purchase, or a redelivery of a known event id (which keeps its content)."""
        event_id = f"evt_{number}"
        if event_id not in self.events:
            self.events[event_id] = sample_event(
                {
                    "$.id": event_id,
                    "$.resource.contact.email": email,
                    "$.resource.address.country": country,
                    "$.resource.address.companyName": company,
                    "$.resource.address.street": street,
                }
            )
        self._handle(self.events[event_id])

    @rule(data=st.data())
    def replay(self, data):
        """An operator replays any event, handled, open or dead."""
        self._handle(self.events[data.draw(st.sampled_from(sorted(self.events)))])

    @rule(operation=st.sampled_from(OPERATIONS), fault=st.sampled_from(FAULTS))
    def fault(self, operation, fault):
        """The next call of an operation crashes the worker after it is applied, times out, or fails."""
        if fault == "crash":
            self.fake.crash_after(operation)
        elif fault.startswith("timeout"):
            self.fake.time_out(operation, applied=fault.endswith("write"))
        else:
            self.fake.fail(operation, int(fault), retry_after="3")

    @rule(lose_journal=st.booleans())
    def restart(self, lose_journal):
        """The worker restarts; its journal survives, or is lost (a new inbox, a restored backup)."""
        if lose_journal:
            self.journal = MemoryJournal()
        self.handler = self._worker()

    @rule()
    def expire_tokens(self):
        """The system forgets the worker's token."""
        self.fake.expire_tokens()

    @invariant()
    def nothing_twice(self):
        """At no moment two contacts for one e-mail, two tickets for one event, two notes on one ticket."""
        assert all(len(ids) == 1 for ids in self.fake.contacts_by_email().values())
        assert all(len(ids) == 1 for ids in self.fake.tickets_by_title().values())
        assert all(len(self.fake.notes_of(ticket)) == 1 for ticket in self.fake.tickets if self.fake.notes_of(ticket))

    def teardown(self):
        """Once the faults stop, retrying the open events and replaying the dead ones puts each in exactly once."""
        self.fake.clear_faults()
        for reason in self.dead.values():
            assert reason.startswith(OPERATIONS)  # a dead event says which step, and why
        for _ in range(3):
            for event_id in sorted(self.open | set(self.dead)):
                self._handle(self.events[event_id])
        assert not self.open
        assert not self.dead
        assert_exactly_once(self.fake, list(self.events.values()))


# The worker's machine (test_plentymarkets_worker.py) runs the 2,000 sequences
# of the property that matters; this one adds what only a separate journal
# can lose, the journal itself, with the remote marker then the only guard.
Purchases.TestCase.settings = settings(max_examples=300, stateful_step_count=12)
test_purchases_are_in_plentymarkets_exactly_once = Purchases.TestCase
