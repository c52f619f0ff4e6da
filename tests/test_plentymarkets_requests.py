"""The plentymarkets request builders: what each step sends, checked against the request schemas."""

import doctest
import importlib

import jsonschema
import pytest
from hypothesis import given

from plenty_events import countries
from plenty_events.plentymarkets import (
    UNKNOWN_COUNTRY,
    PlentyConfig,
    UserLogin,
    add_note,
    contact_email,
    country_id,
    create_address,
    create_company,
    create_contact,
    create_ticket,
    find_contact,
    find_notes,
    find_ticket,
    note_text,
    plan,
    request_document,
    request_schemas,
    ticket_title,
)
from plenty_events.testing import sample_event, with_changes
from strategies import purchase_events

CONFIG = PlentyConfig(
    url="https://shop.example/",
    credentials=UserLogin("api", "pw"),
    plenty_id=1000,
    ticket_type_id=2,
    ticket_status_id=3,
    ticket_role_id=4,
    owner_user_ids=(7, 8),
    referrer_id=5,
    language="en",
)
SCHEMAS = request_schemas()


def check(request):
    """Validate one request against its operation's schema."""
    document = request_document(request.method, request.path, dict(request.query), request.body)
    jsonschema.validate(document, SCHEMAS[request.operation], cls=jsonschema.Draft202012Validator)


def test_the_schemas_are_valid_draft_2020_12():
    """Each request schema is itself a valid draft 2020-12 schema, one per operation sent."""
    for schema in SCHEMAS.values():
        jsonschema.Draft202012Validator.check_schema(schema)
    assert set(SCHEMAS) == {
        "login",
        "find_contact",
        "create_contact",
        "create_address",
        "create_company",
        "find_ticket",
        "create_ticket",
        "find_notes",
        "add_note",
        "ticket_types",
        "ticket_statuses",
        "current_user",
        "find_user",
        "anonymize_contact",
    }


@given(purchase_events())
def test_every_request_of_every_event_matches_its_schema(event):
    """For valid, repaired, any-country, company-less and many-item events, every built request matches its schema."""
    if not contact_email(event):
        with pytest.raises(ValueError, match="no e-mail"):
            plan(event, CONFIG, contact_id=11, ticket_id=22)
        return
    requests = plan(event, CONFIG, contact_id=11, ticket_id=22)
    for request in requests:
        check(request)
    has_company = bool(event.resource.address.company_name.strip())
    assert ("create_company" in [request.operation for request in requests]) is has_company


@pytest.mark.parametrize("code", sorted(countries.valid_codes()))
def test_every_country_has_its_country_id(code):
    """Every accepted country code gets plentymarkets' id for it, never Germany for all, in a valid address."""
    request = create_address(sample_event({"$.resource.address.country": code}), 1)
    check(request)
    other_spellings = {"CW": 258, "SX": 259, "BQ": 260}
    expected = countries.main_id(code) if code in countries.plenty_codes() else other_spellings.get(code, 0)
    assert request.body["countryId"] == expected
    if code != "DE":
        assert request.body["countryId"] != 1


def test_codes_missing_from_plentymarkets_list_map_to_its_other_spelling_or_unknown():
    """CW, SX and BQ use the alpha-3 rows of plentymarkets' list; MF and SS its Unknown (0)."""
    assert [country_id(code) for code in ("CW", "SX", "BQ", "MF", "SS")] == [258, 259, 260, 0, 0]
    assert countries.by_id(UNKNOWN_COUNTRY).name == "Unknown"


def test_the_address_keeps_every_field_of_the_payload():
    """Company, names, street, house number, addition, postal code, town, country, e-mail and phone are all sent."""
    event = sample_event({"$.resource.address.additional": "Rear", "$.resource.address.country": "AT"})
    request = create_address(event, 42)
    assert request.method == "POST"
    assert request.path == "/rest/accounts/contacts/42/addresses"
    assert request.query == (("typeId", "1"),)
    assert request.body == {
        "name1": "MyStore",
        "name2": "John",
        "name3": "Doe",
        "address1": "Main Street",
        "address2": "123",
        "address3": "Rear",
        "postalCode": "34117",
        "town": "Kassel",
        "countryId": 2,
        "gender": "male",
        "options": [{"typeId": 5, "value": "john@account.com"}, {"typeId": 4, "value": "123-456-7890"}],
    }


def test_an_empty_gender_and_empty_options_are_left_out():
    """Without gender, e-mail and phone on the address, neither `gender` nor `options` is sent."""
    event = sample_event(
        {"$.resource.contact.gender": "", "$.resource.address.email": "", "$.resource.address.phone": ""}
    )
    body = create_address(event, 1).body
    assert "gender" not in body
    assert "options" not in body
    contact = create_contact(event, CONFIG).body
    assert "gender" not in contact
    assert contact["options"] == [{"typeId": 2, "subTypeId": 4, "value": "john@account.com", "priority": 0}]


def test_an_unknown_gender_kept_by_lenient_decoding_is_left_out():
    """A gender lenient decoding kept as text (`company`) is not sent: the API knows male, female, diverse."""
    event = with_changes(sample_event(), {"resource.contact.gender": "company"})
    assert "gender" not in create_address(event, 1).body
    assert "gender" not in create_contact(event, CONFIG).body


def test_the_contact_is_a_customer_of_the_configured_client_and_language():
    """The contact has type 1, the configured referrer, plentyId and language, and its e-mail and phone options."""
    request = create_contact(sample_event(), CONFIG)
    assert (request.method, request.path, request.query) == ("POST", "/rest/accounts/contacts", ())
    assert request.body == {
        "typeId": 1,
        "referrerId": 5,
        "plentyId": 1000,
        "firstName": "John",
        "lastName": "Doe",
        "lang": "en",
        "gender": "male",
        "options": [
            {"typeId": 2, "subTypeId": 4, "value": "john@account.com", "priority": 0},
            {"typeId": 1, "subTypeId": 4, "value": "123-456-7890", "priority": 0},
        ],
    }


def test_the_contact_is_found_by_the_exact_email_filter():
    """The contact is looked up with `email` (exact), by the contact's e-mail, else the address's."""
    assert find_contact(sample_event()).query == (("email", "john@account.com"),)
    event = sample_event({"$.resource.contact.email": "", "$.resource.address.email": "inv@shop.example"})
    assert find_contact(event).query == (("email", "inv@shop.example"),)
    with pytest.raises(ValueError, match="no e-mail"):
        find_contact(sample_event({"$.resource.contact.email": "", "$.resource.address.email": ""}))


def test_the_company_is_created_only_when_there_is_one():
    """With a company name the company is created; with none (or blanks) no request is built."""
    request = create_company(sample_event(), 9)
    assert request is not None
    assert (request.path, request.body) == ("/rest/accounts/contacts/9/accounts", {"companyName": "MyStore"})
    assert create_company(sample_event({"$.resource.address.companyName": "  "}), 9) is None


def test_the_ticket_title_holds_the_event_id_and_the_find_looks_for_it():
    """The title is the prefix, the first item and the event id; the find asks for that title of that contact."""
    event = sample_event()
    title = ticket_title(event, CONFIG)
    assert title == "Service: SuperService [evt_553ea8a294e2d3a75d5086a06fb53f5a]"
    assert find_ticket(event, CONFIG, 3).query == (("contactId", "3"), ("title", title))


def test_the_ticket_uses_the_client_id_and_the_configured_owners():
    """The ticket has the configured type, status, plentyId (not a store id) and one owner per user, with the role."""
    body = create_ticket(sample_event(), CONFIG, 3).body
    assert body == {
        "typeId": 2,
        "statusId": 3,
        "title": "Service: SuperService [evt_553ea8a294e2d3a75d5086a06fb53f5a]",
        "plentyId": 1000,
        "source": "frontend",
        "owners": [{"userId": 7, "roleId": 4}, {"userId": 8, "roleId": 4}],
        "contactId": 3,
    }


def test_the_note_is_an_internal_comment_by_default():
    """The note is of type `comment` (internal) unless configured, and goes to the ticket's route."""
    request = add_note(sample_event(), CONFIG, 77)
    assert (request.method, request.path, request.body["type"]) == ("POST", "/rest/tickets/77", "comment")
    assert (
        add_note(sample_event(), PlentyConfig(**{**_settings(), "note_type": "message"}), 77).body["type"] == "message"
    )
    assert find_notes(77).path == "/rest/tickets/77/messages"


def _settings():
    return {
        "url": "https://shop.example",
        "credentials": UserLogin("api", "pw"),
        "plenty_id": 1,
        "ticket_type_id": 1,
        "ticket_status_id": 1,
        "ticket_role_id": 1,
        "owner_user_ids": (1,),
    }


def test_the_note_escapes_every_payload_value():
    """HTML in any payload value reaches the note escaped: no markup from the payload, the template's own kept."""
    hostile = "<script>alert(1)</script>"
    changes = {f"$.resource.address.{key}": hostile for key in ("firstName", "street", "companyName", "town")}
    changes["$.resource.order.orderItems[0].orderItemName"] = hostile
    text = note_text(sample_event(changes), CONFIG)
    assert "<script>" not in text
    assert "&lt;script&gt;" in text
    assert text.startswith("<p>Service purchase evt_553ea8a294e2d3a75d5086a06fb53f5a of 2017-11-14T10:41:06+00:00</p>")


def test_the_request_repr_shows_no_personal_value():
    """A request's repr names the operation, method and path; the query and body stay out."""
    text = repr(find_contact(sample_event())) + repr(create_address(sample_event(), 1))
    assert "john" not in text.lower()
    assert "Main Street" not in text
    assert "create_address" in text


@pytest.mark.parametrize(
    "module",
    ["", "._check", "._config", "._requests", "._schemas", "._journal", "._client", "._handler", "._fake", "._erase"],
)
def test_docstring_examples_run(module):
    """Every >>> example in the plentymarkets modules' docstrings gives the output it shows."""
    failures, tried = doctest.testmod(
        importlib.import_module(f"plenty_events.plentymarkets{module}"), optionflags=doctest.ELLIPSIS
    )
    assert tried > 0
    assert failures == 0
