"""Erasing a person: their deliveries and journal rows in every inbox, and `PUT .../anonymize` on their contact."""

from __future__ import annotations

from typing import Any

import pytest

from plenty_events.plentymarkets import (
    Client,
    Erasure,
    FakePlenty,
    TicketHandler,
    anonymize_contact,
    erase_person,
    find_contact_by_email,
    holds_email,
)
from plenty_events.receiver import Permanent, RetryLater
from plenty_events.testing import sample_event, sample_payload, to_json

ANN, BOB = "ann@shop.example", "bob@shop.example"


def changes(number: int, email: str) -> dict[str, object]:
    return {"$.id": f"evt_{number}", "$.resource.contact.email": email, "$.resource.address.email": email}


def handled(inbox: Any, fake: FakePlenty, number: int, email: str) -> None:
    """Store a delivery, claim its event and run the handler with the inbox as its journal."""
    claim = inbox.claim(inbox.record(to_json(sample_payload(changes(number, email)))), f"evt_{number}")
    config = fake.config()
    TicketHandler(config, client=Client(config, transport=fake), journal=inbox)(sample_event(changes(number, email)))
    inbox.finish(claim, None)


@pytest.mark.parametrize(
    ("body", "email", "held"),
    [
        (b'{"email": "ann@shop.example"}', ANN, True),
        (b'{"email": "ANN@Shop.Example"}', ANN, True),
        (b'{"email": "ann\\u0040shop.example"}', ANN, True),
        (b'{"email": "ann\\u0040SHOP.example"}', "Ann@shop.EXAMPLE", True),
        (b'{"email": "a\\/b@shop.example"}', "a/b@shop.example", True),
        (b"not json at all, ann@shop.example", ANN, True),
        (b'{"email": "bob@shop.example"}', ANN, False),
        (b"\xff\xfe broken utf-8", ANN, False),
        (b'{"email": ""}', "", False),
    ],
)
def test_holds_email_finds_the_email_in_any_case_and_spelling(body: bytes, email: str, held: bool) -> None:
    """A body holds the e-mail whatever its letter case, with JSON escapes, decodable or not; "" holds nothing."""
    assert holds_email(body, email) is held


def test_the_anonymize_request_is_a_put_on_the_contact() -> None:
    """anonymize_contact builds `PUT /rest/accounts/contacts/{id}/anonymize` with no query and no body."""
    request = anonymize_contact(42)
    assert (request.operation, request.method, request.path, request.query, request.body) == (
        "anonymize_contact",
        "PUT",
        "/rest/accounts/contacts/42/anonymize",
        (),
        None,
    )
    assert find_contact_by_email(ANN).query == (("email", ANN),)
    with pytest.raises(ValueError, match="empty e-mail"):
        find_contact_by_email("")


def test_erasure_deletes_only_the_persons_rows_and_anonymises_their_contact(inbox_factory: Any) -> None:
    """Deliveries holding the e-mail (a rejected one too) and their journal rows go, others stay; contact anonymised."""
    inbox, fake = inbox_factory(), FakePlenty()
    handled(inbox, fake, 1, ANN)
    handled(inbox, fake, 2, ANN)
    handled(inbox, fake, 3, BOB)
    rejected = inbox.record(b'{"broken": "ann@shop.example"')
    inbox.reject(rejected, "json_invalid")
    (ann_id,), (bob_id,) = fake.contacts_by_email()[ANN], fake.contacts_by_email()[BOB]
    ann_tickets = tuple(sorted(int(inbox.steps(f"evt_{n}")["ticket"]) for n in (1, 2)))
    erasure = erase_person("Ann@Shop.example", [inbox], client=Client(fake.config(), transport=fake))
    assert erasure == Erasure(deliveries=3, contacts=(ann_id,), tickets=ann_tickets)
    assert [d.event_id for d in inbox.deliveries()] == ["evt_3"]
    assert inbox.steps("evt_1") == inbox.steps("evt_2") == {}
    assert inbox.steps("evt_3")
    assert fake.contacts[ann_id] == {"email": "", "anonymized": True}
    assert ann_id not in fake.addresses
    assert ann_id not in fake.companies
    assert fake.contacts[bob_id]["email"] == BOB
    assert fake.calls[-2:] == ["find_contact", "anonymize_contact"]
    assert inbox.claim(inbox.record(to_json(sample_payload(changes(1, ANN)))), "evt_1").outcome == "handled"
    assert "ann" not in repr(erasure).lower()


def test_erasure_spans_every_inbox_given(inbox_factory: Any, tmp_path: Any) -> None:
    """Deliveries of one person in two inboxes are all deleted, and counted together."""
    (tmp_path / "second").mkdir()
    first, second, fake = inbox_factory(), inbox_factory(folder=tmp_path / "second"), FakePlenty()
    handled(first, fake, 1, ANN)
    second.record(to_json(sample_payload(changes(2, ANN))))
    erasure = erase_person(ANN, [first, second], client=Client(fake.config(), transport=fake))
    assert erasure.deliveries == 2
    assert first.deliveries() == second.deliveries() == []


def test_without_a_client_nothing_is_sent_and_the_contacts_are_reported(inbox_factory: Any) -> None:
    """With no client plentymarkets is not called; the journal's contact ids are reported for anonymising by hand."""
    inbox, fake = inbox_factory(), FakePlenty()
    handled(inbox, fake, 1, ANN)
    calls = len(fake.calls)
    erasure = erase_person(ANN, [inbox])
    assert erasure.contacts == tuple(fake.contacts_by_email()[ANN])
    assert erasure.deliveries == 1
    assert len(fake.calls) == calls


def test_a_contact_the_journal_lacks_is_found_by_its_email(inbox_factory: Any) -> None:
    """A delivery not yet handled has no journal rows: the contact plentymarkets finds by the e-mail is anonymised."""
    inbox, fake = inbox_factory(), FakePlenty()
    handled(inbox, fake, 1, ANN)
    inbox.erase([d.number for d in inbox.deliveries()])  # its journal gone, say by an earlier erasure
    inbox.enqueue(inbox.record(to_json(sample_payload(changes(2, ANN)))), "evt_2")  # not handled yet
    (ann_id,) = fake.contacts_by_email()[ANN]
    erasure = erase_person(ANN, [inbox], client=Client(fake.config(), transport=fake))
    assert erasure == Erasure(deliveries=1, contacts=(ann_id,), tickets=())
    assert fake.contacts[ann_id]["anonymized"] is True


def test_a_failed_call_deletes_nothing_so_the_erasure_can_be_repeated(inbox_factory: Any) -> None:
    """When plentymarkets fails, the error is raised before any row is deleted; repeating it then succeeds."""
    inbox, fake = inbox_factory(), FakePlenty()
    handled(inbox, fake, 1, ANN)
    client = Client(fake.config(), transport=fake)
    fake.fail("anonymize_contact", 503)
    with pytest.raises(RetryLater, match="anonymize_contact: plentymarkets answered 503"):
        erase_person(ANN, [inbox], client=client)
    assert len(inbox.deliveries()) == 1
    assert inbox.steps("evt_1")
    assert erase_person(ANN, [inbox], client=client).deliveries == 1


def test_anonymizing_an_unknown_contact_is_permanent() -> None:
    """The fake answers 404 for a contact it does not have, which the client reports as Permanent."""
    fake = FakePlenty()
    with pytest.raises(Permanent, match="anonymize_contact: plentymarkets answered 404"):
        Client(fake.config(), transport=fake).send(anonymize_contact(99))


def test_an_empty_email_erases_nothing(inbox_factory: Any) -> None:
    """An empty e-mail is refused: it would name nobody, or everybody."""
    with pytest.raises(ValueError, match="empty e-mail"):
        erase_person("", [inbox_factory()])
