"""redact(): an equal-shaped event without personal data, still strictly valid."""

import pickle

import attrs

import plenty_events
from plenty_events.testing import sample_payload, to_json

EVENT = plenty_events.decode(sample_payload(), strict=True)


def test_redact_replaces_every_personal_field():
    """Names, emails, phone, street, house number, addition, company and PayPal id become '***'."""
    redacted = plenty_events.redact(EVENT)
    contact, address = redacted.resource.contact, redacted.resource.address
    assert (contact.first_name, contact.last_name, contact.email) == ("***", "***", "***")
    assert (address.street, address.house_number, address.phone, address.company_name) == ("***",) * 4
    assert redacted.resource.order.paypal_transaction_id == "***"
    encoded = plenty_events.encode(redacted)
    for secret in [b"John", b"Doe", b"john@account.com", b"Main Street", b"123-456-7890", b"MyStore", b"1S473067"]:
        assert secret not in encoded


def test_redact_keeps_what_analytics_needs():
    """Ids, timestamps, postal code, town, country, items and prices are kept."""
    redacted = plenty_events.redact(EVENT)
    assert redacted.id == EVENT.id
    assert redacted.created_at == EVENT.created_at
    assert redacted.resource.order.order_items == EVENT.resource.order.order_items
    assert (redacted.resource.address.postal_code, redacted.resource.address.town) == ("34117", "Kassel")
    assert redacted.resource.address.country == "DE"


def test_empty_fields_stay_empty():
    """A field that was empty stays empty, so the shape tells what was there."""
    assert plenty_events.redact(EVENT).resource.address.additional == ""


def test_a_redacted_event_passes_strict_decoding():
    """The redacted event's encoding is strictly valid."""
    redacted = plenty_events.redact(EVENT)
    assert plenty_events.decode(plenty_events.encode(redacted), strict=True) == redacted


def test_redact_keeps_repairs():
    """Repairs carry no personal values and are kept."""
    payload = sample_payload()
    payload["createdAt"] = "1510656066"
    event = plenty_events.decode(payload)
    assert plenty_events.redact(event).repairs == event.repairs
    assert attrs.has(type(plenty_events.redact(event)))


def test_kept_unknown_keys_stay_out_of_reprs_and_redacted_copies():
    """Kept values show in no repr, pickle with the event, and redact() drops them at every level."""
    body = to_json(sample_payload()).replace(b'"contact":{', b'"contact":{"nickname":"Johnny",')
    body = body.replace(b'"quantity":1', b'"quantity":1,"note":"for John Doe"')
    event = plenty_events.decode(body)
    assert event.resource.contact.extra == {"nickname": "Johnny"}
    assert "Johnny" not in repr(event)
    assert "John Doe" not in repr(event)
    assert repr(event.resource.contact.extra) == "<extra: 1 keys>"
    assert pickle.loads(pickle.dumps(event)).resource.contact.extra == {"nickname": "Johnny"}
    redacted = plenty_events.redact(event)
    assert b"Johnny" not in plenty_events.encode(redacted)
    assert b"John Doe" not in plenty_events.encode(redacted)
    assert plenty_events.decode(plenty_events.encode(redacted), strict=True) == redacted
