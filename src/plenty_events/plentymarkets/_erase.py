"""Erasing a person: their deliveries and journal rows in the inboxes, and their contact in plentymarkets."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

import attrs

from ._answers import entry_id, list_entries
from ._journal import Step
from ._requests import anonymize_contact, find_contact_by_email

if TYPE_CHECKING:
    from collections.abc import Iterable

    from plenty_events.receiver import Inbox

    from ._client import Client

# A JSON string may spell any character as \uXXXX, and "/" as "\/".
_ESCAPE: Final = re.compile(r"\\u([0-9a-fA-F]{4})|\\/")


def _unescaped(text: str) -> str:
    return _ESCAPE.sub(lambda match: chr(int(match[1], 16)) if match[1] else "/", text)


def holds_email(body: bytes, email: str) -> bool:
    r"""Tell whether a raw body holds the e-mail, in any letter case, also spelled with JSON escapes.

    A plain search, not a decode: it also finds the e-mail in a body that
    was rejected, and it is one linear pass over the body.

    Examples:
        >>> holds_email(b'{"email": "Jo\\u0040Example.com"}', "jo@example.com")
        True

    """
    needle = email.casefold()
    if not needle:
        return False
    text = body.decode("utf-8", "replace").casefold()
    return needle in text or needle in _unescaped(text).casefold()


@attrs.frozen
class Erasure:
    """What [erase_person][plenty_events.plentymarkets.erase_person] did; no personal value.

    Attributes:
        deliveries: How many deliveries were deleted, in every inbox together.
        contacts: The contact ids anonymised in plentymarkets (or, without a
            client, found in the journal and left to anonymise).
        tickets: The ticket ids the journal named for those deliveries. Their
            notes hold the person's name and address: delete those tickets in
            plentymarkets yourself (this library never deletes a ticket).

    """

    deliveries: int
    contacts: tuple[int, ...]
    tickets: tuple[int, ...]


def erase_person(email: str, inboxes: Iterable[Inbox], *, client: Client | None = None) -> Erasure:
    """Erase a person: anonymise their contact in plentymarkets, then delete their deliveries and journal rows.

    Every delivery whose raw body holds the e-mail (see
    [holds_email][plenty_events.plentymarkets.holds_email]) is deleted with
    [Inbox.erase][plenty_events.receiver.Inbox.erase], and with it the
    recorded steps of its event. Before that, with a `client`, each contact
    the journal recorded for those events, and each contact plentymarkets
    finds by the e-mail, gets `PUT /rest/accounts/contacts/{id}/anonymize`.
    A call that fails raises before any inbox row is deleted, so the call
    can be repeated: the journal still names the contacts then.

    Args:
        email: The person's e-mail, in any letter case.
        inboxes: Every inbox that may hold their deliveries.
        client: The client to anonymise the contacts with; without one,
            plentymarkets is not called, and the contact ids are only reported.

    Raises:
        ValueError: The e-mail is empty.
        RetryLater: plentymarkets could not be reached, or asked to wait; nothing was deleted.
        Permanent: plentymarkets refused a call; nothing was deleted.

    Examples:
        >>> from plenty_events.plentymarkets import Client, FakePlenty, TicketHandler, erase_person
        >>> from plenty_events.receiver import MemoryInbox
        >>> from plenty_events.testing import sample_event, sample_payload, to_json
        >>> fake, inbox = FakePlenty(), MemoryInbox()
        >>> client = Client(fake.config(), transport=fake)
        >>> inbox.claim(inbox.record(to_json(sample_payload())), sample_event().id).outcome
        'claimed'
        >>> TicketHandler(fake.config(), client=client, journal=inbox)(sample_event())
        >>> erase_person("JOHN@account.com", [inbox], client=client)
        Erasure(deliveries=1, contacts=(2,), tickets=(5,))
        >>> inbox.deliveries(), fake.contacts[2]
        ([], {'email': '', 'anonymized': True})

    """
    if not email:
        raise ValueError("an empty e-mail names nobody")
    inboxes = list(inboxes)
    found: list[tuple[Inbox, list[int]]] = []
    contacts: set[int] = set()
    tickets: set[int] = set()
    for inbox in inboxes:
        numbers: list[int] = []
        events: set[str] = set()
        for delivery in inbox.deliveries():
            if holds_email(delivery.body, email):
                numbers.append(delivery.number)
                if delivery.event_id is not None:
                    events.add(delivery.event_id)
        for event_id in sorted(events):
            steps = inbox.steps(event_id)
            contact, ticket = steps.get(Step.CONTACT, ""), steps.get(Step.TICKET, "")
            if contact.isdigit():
                contacts.add(int(contact))
            if ticket.isdigit():
                tickets.add(int(ticket))
        found.append((inbox, numbers))
    if client is not None:
        entries = list_entries("find_contact", client.send(find_contact_by_email(email)))
        contacts.update(entry_id("find_contact", entry) for entry in entries)
        for contact_id in sorted(contacts):
            client.send(anonymize_contact(contact_id))
    erased = sum(inbox.erase(numbers) for inbox, numbers in found)
    return Erasure(erased, tuple(sorted(contacts)), tuple(sorted(tickets)))
