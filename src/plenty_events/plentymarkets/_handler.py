"""TicketHandler: a purchase becomes a contact, an address, a company and a ticket with a note, exactly once."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Final

from plenty_events import ServicePurchaseEvent
from plenty_events.receiver import Permanent

from ._answers import entry_id, list_entries
from ._journal import MemoryJournal, Step, StepJournal
from ._requests import (
    Request,
    add_note,
    contact_email,
    create_address,
    create_company,
    create_contact,
    create_ticket,
    find_contact,
    find_notes,
    find_ticket,
    note_text,
    ticket_title,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from plenty_events import UnknownEvent

    from ._client import Client
    from ._config import PlentyConfig

log = logging.getLogger("plenty_events.plentymarkets")

# Two events for one new e-mail must not both find no contact and both create
# one: the contact step runs under a lock chosen by the e-mail. A fixed set
# of locks bounds the memory; two e-mails that share a lock only wait.
_LOCKS: Final = tuple(threading.Lock() for _ in range(64))


def _lock_for(email: str) -> threading.Lock:
    return _LOCKS[hash(email.casefold()) % len(_LOCKS)]


class TicketHandler:
    """A handler that puts each purchase into the partner's plentymarkets system, once.

    For each event, the steps *find or create the contact → add the invoice
    address → add the company (if any) → find or create the ticket → add the
    note* run in order; each is recorded in the step journal, with the id
    plentymarkets returned, before the next runs, so a re-run after a crash
    skips what is done. The ticket's title holds the event id: a re-run that
    lost the journal finds the ticket (and its note) before creating one. A
    returning buyer's contact is reused and the new address added (plentymarkets
    assigns a duplicate address to the contact instead of adding it twice).

    Failures come as `plenty_events.receiver.RetryLater` (429,
    5xx, time-outs, call limits) or `plenty_events.receiver.Permanent`
    (other 4xx, an event without e-mail, an event that is not a purchase).

    Args:
        config: The system, the credentials and what a ticket gets.
        client: The client to call plentymarkets with; by default a
            [Client][plenty_events.plentymarkets.Client] of `config`.
        journal: Where the steps are recorded; by default a
            [MemoryJournal][plenty_events.plentymarkets.MemoryJournal].

    Examples:
        >>> from plenty_events.plentymarkets import Client, FakePlenty, TicketHandler
        >>> from plenty_events.testing import sample_event
        >>> fake = FakePlenty()
        >>> handler = TicketHandler(fake.config(), client=Client(fake.config(), transport=fake))
        >>> handler(sample_event())
        >>> handler(sample_event())  # a redelivery: nothing new
        >>> len(fake.contacts), len(fake.tickets), len(fake.notes)
        (1, 1, 1)

    """

    def __init__(
        self, config: PlentyConfig, *, client: Client | None = None, journal: StepJournal | None = None
    ) -> None:
        """Make the handler; nothing is sent before the first event."""
        if client is None:
            from ._client import Client  # noqa: PLC0415 -- httpx is an extra, needed only here

            client = Client(config)
        self.config = config
        self.client = client
        self.journal: StepJournal = MemoryJournal() if journal is None else journal

    def __repr__(self) -> str:
        """Show the system, never the credentials."""
        return f"<TicketHandler {self.config.url}>"

    def __call__(self, event: ServicePurchaseEvent | UnknownEvent) -> None:
        """Run the steps of `event` that are not done yet.

        Raises:
            RetryLater: A step failed for now; the done ones stay recorded.
            Permanent: The event cannot succeed.

        """
        if not isinstance(event, ServicePurchaseEvent):
            raise Permanent("plentymarkets: only service purchases become tickets")
        if not contact_email(event):
            raise Permanent("contact: the event has no e-mail to find the contact by")
        done = self.journal.steps(event.id)
        contact_id = self._contact(event, done)
        self._step(event, done, Step.ADDRESS, lambda: create_address(event, contact_id))
        self._step(event, done, Step.COMPANY, lambda: create_company(event, contact_id))
        ticket_id, created = self._ticket(event, done, contact_id)
        self._note(event, done, ticket_id, look=not created)

    def _step(
        self, event: ServicePurchaseEvent, done: dict[str, str], step: Step, request: Callable[[], Request | None]
    ) -> None:
        if step in done:
            return
        call = request()
        remote = "" if call is None else str(entry_id(call.operation, self.client.send(call)))
        self.journal.record_step(event.id, step, remote)

    def _contact(self, event: ServicePurchaseEvent, done: dict[str, str]) -> int:
        if Step.CONTACT in done:
            return int(done[Step.CONTACT])
        with _lock_for(contact_email(event)):
            contact_id = self._find_contact(event)
            if contact_id is None:
                created = entry_id("create_contact", self.client.send(create_contact(event, self.config)))
                # Another process may have created one at the same moment: look
                # again, and let every event settle on the oldest (lowest id).
                again = self._find_contact(event)
                contact_id = created if again is None else min(created, again)
                if contact_id != created:
                    log.warning("event %s: another contact with this e-mail appeared; using the oldest", event.id)
        # A run that took this event over may have recorded its contact first: go on with that one.
        return int(self.journal.record_step(event.id, Step.CONTACT, str(contact_id)))

    def _find_contact(self, event: ServicePurchaseEvent) -> int | None:
        entries = list_entries("find_contact", self.client.send(find_contact(event)))
        ids = [entry_id("find_contact", entry) for entry in entries]
        return min(ids, default=None)

    def _ticket(self, event: ServicePurchaseEvent, done: dict[str, str], contact_id: int) -> tuple[int, bool]:
        if Step.TICKET in done:
            return int(done[Step.TICKET]), False
        title = ticket_title(event, self.config)
        entries = list_entries("find_ticket", self.client.send(find_ticket(event, self.config, contact_id)))
        found = [entry_id("find_ticket", entry) for entry in entries if entry.get("title") == title]
        created = not found
        ticket_id = (
            entry_id("create_ticket", self.client.send(create_ticket(event, self.config, contact_id)))
            if created
            else min(found)
        )
        recorded = int(self.journal.record_step(event.id, Step.TICKET, str(ticket_id)))
        return recorded, created and recorded == ticket_id

    def _note(self, event: ServicePurchaseEvent, done: dict[str, str], ticket_id: int, *, look: bool) -> None:
        if Step.NOTE in done:
            return
        text = note_text(event, self.config)
        if look:
            # A ticket this run did not create may have its note from before a crash.
            entries = list_entries("find_notes", self.client.send(find_notes(ticket_id)))
            found = [entry_id("find_notes", entry) for entry in entries if entry.get("text") == text]
            if found:
                self.journal.record_step(event.id, Step.NOTE, str(min(found)))
                return
        note_id = entry_id("add_note", self.client.send(add_note(event, self.config, ticket_id)))
        self.journal.record_step(event.id, Step.NOTE, str(note_id))
