"""TicketHandler against the fake plentymarkets system: the steps, the journal, the remote marker, the faults."""

import sys
import threading

import attrs
import httpx
import pytest

from plenty_events import UnknownEvent, plentymarkets
from plenty_events.plentymarkets import (
    Client,
    FakeCrash,
    FakePlenty,
    MemoryJournal,
    PlentyConfig,
    SchemaViolation,
    Step,
    StepJournal,
    TicketHandler,
    _fake,
    create_address,
    erase_person,
    find_contact,
    note_text,
    ticket_title,
)
from plenty_events.plentymarkets import _handler as handler_module
from plenty_events.receiver import Counts, MemoryInbox, Permanent, Receiver, RetryLater, SQLiteInbox, State, Worker
from plenty_events.receiver._receiver import Core
from plenty_events.testing import sample_event, sample_payload, to_json

WRITES = ("create_contact", "create_address", "create_company", "create_ticket", "add_note")
STEPS = ("find_contact", *WRITES, "find_ticket")


def handler_of(fake, journal=None, **config):
    settings = fake.config(**config)
    journal = MemoryJournal() if journal is None else journal
    return TicketHandler(settings, client=Client(settings, transport=fake), journal=journal)


def event_of(number, email="john@account.com", **changes):
    wire = {"$.id": f"evt_{number}", "$.resource.contact.email": email, **changes}
    return sample_event(wire)


def assert_exactly_once(fake, events):
    """One contact per e-mail, one ticket and one note per event, each event's address on its contact."""
    emails = {event.resource.contact.email for event in events}
    assert {email: len(ids) for email, ids in fake.contacts_by_email().items()} == dict.fromkeys(emails, 1)
    titles = fake.tickets_by_title()
    config = fake.config()
    for event in events:
        (ticket_id,) = titles[ticket_title(event, config)]
        (note,) = fake.notes_of(ticket_id)
        assert note.text == note_text(event, config)
        (contact_id,) = fake.contacts_by_email()[event.resource.contact.email]
        address = create_address(event, contact_id).body
        assert address in [{k: v for k, v in a.items() if k != "id"} for a in fake.addresses[contact_id]]
    assert len(fake.tickets) == len(fake.notes) == len({event.id for event in events})


def test_a_new_purchase_runs_every_step_and_journals_it():
    """A new buyer's purchase creates contact, address, company, ticket and note, each recorded with its id."""
    fake, journal = FakePlenty(), MemoryJournal()
    handler = handler_of(fake, journal)
    event = sample_event()
    handler(event)
    assert fake.calls == [
        "login",
        "find_contact",
        "create_contact",
        "find_contact",
        *WRITES[1:3],
        "find_ticket",
        *WRITES[3:],
    ]
    assert len(journal) == 5
    assert list(journal.steps(event.id)) == list(Step)
    assert all(journal.steps(event.id)[step] for step in Step)
    assert_exactly_once(fake, [event])
    assert fake.companies == {int(journal.steps(event.id)[Step.CONTACT]): ["MyStore"]}


def test_a_redelivery_sends_nothing():
    """A redelivered event whose steps are all journalled makes no call at all."""
    fake = FakePlenty()
    handler = handler_of(fake)
    handler(sample_event())
    calls = len(fake.calls)
    handler(sample_event())
    assert len(fake.calls) == calls


def test_without_a_company_no_company_is_created():
    """An address without a company name gives no company call; the step is still journalled."""
    fake, journal = FakePlenty(), MemoryJournal()
    event = sample_event({"$.resource.address.companyName": ""})
    handler_of(fake, journal)(event)
    assert "create_company" not in fake.calls
    assert journal.steps(event.id)[Step.COMPANY] == ""


@pytest.mark.parametrize("operation", STEPS)
@pytest.mark.parametrize("journal_kept", [True, False], ids=["journal kept", "journal lost"])
def test_a_crash_after_any_step_then_a_rerun_does_everything_once(operation, journal_kept):
    """After a crash right after any call, a new handler (journal kept or lost) finishes with nothing twice."""
    fake, journal = FakePlenty(), MemoryJournal()
    fake.crash_after(operation)
    event = sample_event()
    with pytest.raises(FakeCrash):
        handler_of(fake, journal)(event)
    handler_of(fake, journal if journal_kept else MemoryJournal())(event)
    assert_exactly_once(fake, [event])


@pytest.mark.parametrize("operation", WRITES)
def test_a_timeout_after_the_write_was_applied_is_retried_without_a_duplicate(operation):
    """A write applied but not answered in time is RetryLater; the retry finds it (the ticket by its title)."""
    fake = FakePlenty()
    fake.time_out(operation, applied=True)
    handler = handler_of(fake)
    with pytest.raises(RetryLater, match=f"{operation}: plentymarkets did not answer in time"):
        handler(sample_event())
    handler(sample_event())
    assert_exactly_once(fake, [sample_event()])


def test_a_note_found_on_a_found_ticket_is_not_added_again():
    """When the journal is lost after the note, the ticket is found by its title and its note by its text."""
    fake = FakePlenty()
    handler_of(fake)(sample_event())
    fresh = handler_of(fake)
    fresh(sample_event())
    assert fake.calls[-3:] == ["create_company", "find_ticket", "find_notes"]
    assert_exactly_once(fake, [sample_event()])
    assert fresh.journal.steps(sample_event().id)[Step.NOTE] == str(next(iter(fake.notes)))


def test_two_events_for_one_new_email_at_once_make_one_contact():
    """Two threads handling two events of one new e-mail create one contact: the contact step is locked per e-mail."""
    fake = FakePlenty(latency=0.01)
    handler = handler_of(fake)
    events = [event_of(1), event_of(2)]
    start = threading.Barrier(2)

    def run(event):
        start.wait()
        handler(event)

    threads = [threading.Thread(target=run, args=(event,)) for event in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert fake.calls.count("create_contact") == 1
    assert_exactly_once(fake, events)


def test_without_the_lock_the_look_after_creating_settles_on_one_contact(monkeypatch):
    """Two processes (no shared lock) may create two contacts; both events then use the oldest for their tickets."""
    monkeypatch.setattr(handler_module, "_lock_for", lambda _email: threading.Lock())
    fake = FakePlenty(latency=0.02)
    events = [event_of(1), event_of(2)]
    start = threading.Barrier(2)

    def run(event):
        start.wait()
        handler_of(fake)(event)

    threads = [threading.Thread(target=run, args=(event,)) for event in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    contacts = fake.contacts_by_email()["john@account.com"]
    assert len(contacts) == 2
    assert {ticket["contactId"] for ticket in fake.tickets.values()} == {min(contacts)}


# The Service Helper's faults, one by one ------------------------------------------


def test_fault_1_a_foreign_address_keeps_its_country():
    """The Service Helper sent Germany (1) for every buyer; an Austrian address here gets Austria (2)."""
    fake = FakePlenty()
    handler_of(fake)(sample_event({"$.resource.address.country": "AT"}))
    ((address,),) = fake.addresses.values()
    assert address["countryId"] == 2


def test_fault_2_a_returning_buyers_address_phone_and_company_are_stored():
    """The Service Helper stopped at a found contact; here a returning buyer's new address and company are added."""
    fake = FakePlenty()
    handler = handler_of(fake)
    first = event_of(1)
    second = event_of(
        2,
        **{
            "$.resource.address.street": "New Road",
            "$.resource.address.phone": "555-0100",
            "$.resource.address.companyName": "NewCo",
        },
    )
    handler(first)
    handler(second)
    ((contact_id, addresses),) = fake.addresses.items()
    assert [(a["address1"], a["options"][1]["value"]) for a in addresses] == [
        ("Main Street", "123-456-7890"),
        ("New Road", "555-0100"),
    ]
    assert fake.companies[contact_id] == ["MyStore", "NewCo"]
    assert_exactly_once(fake, [first, second])


def test_fault_3_a_redelivery_or_replay_gives_no_second_ticket():
    """The Service Helper made a ticket per POST; a redelivery, even after losing the journal, finds the ticket."""
    fake = FakePlenty()
    handler_of(fake)(sample_event())
    handler_of(fake)(sample_event())  # a replay with the journal lost
    handler_of(fake)(sample_event())
    assert len(fake.tickets) == 1
    assert fake.calls.count("create_ticket") == 1


def test_fault_4_no_token_no_call_and_no_mislabelled_or_late_error():
    """Without the token no call; a config error before any call; a contact error named by step and status."""
    fake = FakePlenty()
    inbox = MemoryInbox()
    receiver = Receiver(tokens="a-token-of-16-characters", handler=handler_of(fake), inbox=inbox)
    assert receiver.receive("wrong-token-of-16-chars", to_json(sample_payload())).status == 404
    assert fake.calls == []
    with pytest.raises(ValueError, match="at least one user"):
        fake.config(owner_user_ids=())
    fake.fail("create_contact", 422)
    with pytest.raises(Permanent) as caught:
        handler_of(fake)(sample_event())
    assert caught.value.reason == "create_contact: plentymarkets answered 422"
    assert fake.contacts == {}


def test_fault_5_the_note_is_internal_and_escaped():
    """The plugin wrote unescaped HTML as a customer-visible `message`; the note here is an escaped `comment`."""
    fake = FakePlenty()
    handler_of(fake)(sample_event({"$.resource.address.firstName": "<img src=x onerror=alert(1)>"}))
    (note,) = fake.notes.values()
    assert note.type == "comment"
    assert "<img" not in note.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in note.text


def test_fault_6_the_ticket_systems_end_loses_no_purchase_and_duplicates_nothing():
    """Should the ticket routes go (410), each purchase is dead naming the step, its contact kept; a replay resumes."""
    fake, inbox = FakePlenty(), MemoryInbox()
    handler = handler_of(fake, inbox)
    receiver = Receiver(tokens="a-token-of-16-characters", handler=handler, inbox=inbox, background=True)
    receiver.receive("a-token-of-16-characters", to_json(sample_payload()))
    fake.fail("find_ticket", 410, times=10)
    assert Worker(inbox, handler).run_pending() == Counts(dead=1)
    (delivery,) = inbox.deliveries()
    assert (delivery.state, delivery.reason) == (State.DEAD, "find_ticket: plentymarkets answered 410")
    assert list(inbox.steps(delivery.event_id)) == ["contact", "address", "company"]
    fake.clear_faults()  # the routes answer again, or the handler writes elsewhere
    replayed = Core(handler, inbox, strict=False).replay()
    assert [answer.status for _, answer in replayed] == [202]
    assert inbox.deliveries()[0].state is State.HANDLED
    assert fake.calls.count("create_contact") == 1
    assert_exactly_once(fake, [sample_event()])


# Events it refuses, answers it cannot read -----------------------------------------


def test_an_event_without_email_or_of_another_type_is_permanent():
    """No e-mail to find the contact by, or an unknown event type, is Permanent before any call."""
    fake = FakePlenty()
    handler = handler_of(fake)
    with pytest.raises(Permanent, match="contact: the event has no e-mail"):
        handler(sample_event({"$.resource.contact.email": "", "$.resource.address.email": ""}))
    unknown = UnknownEvent(id="e", type="SERVICE.OTHER", created_at=sample_event().created_at, resource={})
    with pytest.raises(Permanent, match="only service purchases"):
        handler(unknown)
    assert fake.calls == []


@pytest.mark.parametrize(
    ("answers", "reason"),
    [
        ([{"entries": "none"}], "find_contact: the answer holds no list of entries"),
        ([["not an object", {"id": "7"}]], "find_contact: the answer holds no id"),
        ([{"entries": []}, {"id": True}], "create_contact: the answer holds no id"),
        ([None], "find_contact: the answer holds no list of entries"),
    ],
)
def test_an_answer_of_an_unexpected_shape_is_permanent(answers, reason):
    """Answers without entries or ids stop the event with a reason naming the step."""
    queue = list(answers)

    def handle(request):
        if request.url.path == "/rest/login":
            return httpx.Response(200, json={"access_token": "t"})
        return httpx.Response(200, json=queue.pop(0))

    settings = FakePlenty().config()
    handler = TicketHandler(settings, client=Client(settings, transport=httpx.MockTransport(handle)))
    with pytest.raises(Permanent) as caught:
        handler(sample_event())
    assert caught.value.reason == reason


def test_the_memory_journal_is_a_step_journal():
    """MemoryJournal satisfies the StepJournal protocol, keeps a step's first id and counts what it recorded."""
    journal = MemoryJournal()
    assert isinstance(journal, StepJournal)
    assert journal.record_step("e", Step.NOTE, "1") == "1"
    assert journal.record_step("e", Step.NOTE, "2") == "1"
    journal.record_step("f", Step.NOTE, "3")
    assert journal.steps("e") == {"note": "1"}
    assert len(journal) == 2


@pytest.mark.parametrize("inbox_kind", ["memory", "sqlite"])
def test_every_inbox_is_a_step_journal_the_handler_uses(inbox_kind, tmp_path):
    """An inbox given as the journal holds the handler's steps, so a new handler on the same file sends nothing."""
    make = MemoryInbox if inbox_kind == "memory" else lambda: SQLiteInbox(tmp_path / "in.sqlite3")
    inbox = make()
    assert isinstance(inbox, StepJournal)
    fake, event = FakePlenty(), sample_event()
    handler_of(fake, inbox)(event)
    assert list(inbox.steps(event.id)) == list(Step)
    calls = len(fake.calls)
    if inbox_kind == "sqlite":
        inbox.close()
        inbox = make()  # a restart: the journal is in the file
    handler_of(fake, inbox)(event)
    assert len(fake.calls) == calls
    assert_exactly_once(fake, [event])
    if inbox_kind == "sqlite":
        inbox.close()


def test_a_ticket_another_run_recorded_first_is_the_one_used():
    """When another run recorded its ticket first, this run adds the note to that ticket, not to its own."""
    fake, journal = FakePlenty(), MemoryJournal()
    event = sample_event()
    record_step = journal.record_step

    def racing(event_id, step, remote_id):
        if step == Step.TICKET:
            record_step(event_id, step, "424242")  # the other run, just before this one
        return record_step(event_id, step, remote_id)

    journal.record_step = racing
    fake.tickets[424242] = {"id": 424242, "title": "the other run's", "contactId": 1}
    handler_of(fake, journal)(event)
    assert journal.steps(event.id)[Step.TICKET] == "424242"
    assert fake.calls[-2:] == ["find_notes", "add_note"]  # looked for its note there first
    (note,) = fake.notes_of(424242)
    assert note.text == note_text(event, fake.config())


# The fake itself --------------------------------------------------------------------


def test_the_fake_refuses_requests_that_break_the_schemas_or_know_no_route():
    """An unknown route or a request that breaks its schema raises SchemaViolation, naming path and rule only."""
    fake = FakePlenty()
    client = httpx.Client(transport=fake, base_url=fake.url)
    with pytest.raises(SchemaViolation, match="no such route: DELETE /rest/tickets"):
        client.delete("/rest/tickets")
    with pytest.raises(SchemaViolation, match=r"find_contact: \$.query.email breaks 'minLength'"):
        client.get("/rest/accounts/contacts", params={"email": ""})
    with pytest.raises(ValueError, match="unknown operation 'delete'"):
        fake.fail("delete", 500)


def test_the_fake_answers_404_for_unknown_contacts_and_tickets():
    """Addresses for a contact and notes for a ticket that do not exist are answered 404, so Permanent."""
    fake = FakePlenty()
    client = Client(fake.config(), transport=fake)
    with pytest.raises(Permanent, match="create_address: plentymarkets answered 404"):
        client.send(create_address(sample_event(), 999))
    with pytest.raises(Permanent, match="find_notes: plentymarkets answered 404"):
        client.send(plentymarkets.find_notes(999))


def test_the_fake_refuses_a_wrong_app_secret_and_forgets_faults():
    """A wrong client secret is answered 401; clear_faults drops the faults not yet used."""
    fake = FakePlenty()
    wrong = fake.config(app=True)
    wrong = attrs.evolve(wrong, credentials=attrs.evolve(wrong.credentials, client_secret="nope"))  # noqa: S106 -- a wrong one, on purpose
    with pytest.raises(Permanent, match="login: plentymarkets answered 401"):
        Client(wrong, transport=fake).send(find_contact(sample_event()))
    fake.fail("find_contact", 500)
    fake.clear_faults()
    Client(fake.config(), transport=fake).send(find_contact(sample_event()))
    assert repr(fake) == "<FakePlenty: 0 contacts, 0 tickets, 0 notes>"


def test_the_fake_answers_429_past_its_limit():
    """Past the period's call limit the fake answers 429 with Retry-After and the X-Plenty-* headers."""
    fake = FakePlenty(calls_per_period=1, decay=30)
    client = httpx.Client(transport=fake, base_url=fake.url)
    client.post("/rest/login", json={"username": fake.username, "password": fake.password})
    answer = client.post("/rest/login", json={"username": fake.username, "password": fake.password})
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "30"
    assert answer.headers["X-Plenty-Global-Short-Period-Calls-Left"] == "0"
    assert answer.headers["X-Plenty-Global-Short-Period-Decay"] == "30"


def test_the_fake_needs_jsonschema_and_says_so(monkeypatch):
    """Without jsonschema the fake raises ImportError naming it."""
    monkeypatch.setitem(sys.modules, "jsonschema", None)
    monkeypatch.setattr(_fake, "_validators", _fake._validators.__wrapped__)
    with pytest.raises(ImportError, match="pip install jsonschema"):
        FakePlenty()


def test_a_handler_config_is_a_plentyconfig():
    """The fake's config is a PlentyConfig for its URL and user."""
    config = FakePlenty().config(note_type="message")
    assert isinstance(config, PlentyConfig)
    assert (config.url, config.note_type) == ("https://plenty.fake", "message")


READS = {"find_contact", "find_ticket", "find_notes", "current_user", "ticket_types", "ticket_statuses", "find_user"}


def budget(fake, since=0):
    """The reads and writes the fake received since call number `since`, logins left out."""
    calls = [call for call in fake.calls[since:] if call not in {"login", "app_login"}]
    reads = sum(call in READS for call in calls)
    return reads, len(calls) - reads


@pytest.mark.parametrize(
    ("purchase", "expected"),
    [
        ("new buyer, with company", (3, 5)),
        ("new buyer, no company", (3, 4)),
        ("returning buyer", (2, 4)),
        ("returning buyer, no company", (2, 3)),
        ("redelivery, journal kept", (0, 0)),
        ("replay, journal lost", (3, 2)),
        ("replay, journal lost, no company", (3, 1)),
    ],
)
def test_the_call_budget_per_purchase(purchase, expected):
    """Each row of the docs' call budget: the reads and writes one purchase costs."""
    fake, journal = FakePlenty(), MemoryJournal()
    company = "" if purchase.endswith("no company") else "ACME"
    event = event_of(2, **{"$.resource.address.companyName": company})
    if purchase.startswith("returning"):
        handler_of(fake)(event_of(1))
    if purchase.startswith(("redelivery", "replay")):
        handler_of(fake, journal)(event)
    since = len(fake.calls)
    handler_of(fake, MemoryJournal() if "lost" in purchase else journal)(event)
    assert budget(fake, since) == expected


def test_the_call_budget_of_a_check_and_an_erasure():
    """Check costs 3 reads and one per owner user; an erasure one read and one write per contact."""
    fake = FakePlenty()
    fake.users.update({8, 9})
    config = fake.config(owner_user_ids=(7, 8, 9))
    assert config.check(client=Client(config, transport=fake)) == []
    assert budget(fake) == (3 + 3, 0)
    inbox = MemoryInbox()
    handler_of(fake, inbox)(sample_event())
    since = len(fake.calls)
    erase_person("john@account.com", [inbox], client=Client(config, transport=fake))
    assert budget(fake, since) == (1, 1)
