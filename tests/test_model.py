"""The model: frozen, slotted, hashable, picklable, evolvable attrs classes with masked reprs."""

import pickle
import re
from datetime import UTC, datetime

import attrs
import pytest

import plenty_events
from plenty_events import Address, Contact, Order, OrderItem, Resource, ServicePurchaseEvent
from plenty_events.testing import sample_payload

EVENT = plenty_events.decode(sample_payload(), strict=True)
CLASSES = [ServicePurchaseEvent, Resource, Contact, Address, Order, OrderItem, plenty_events.UnknownEvent]


@pytest.mark.parametrize("cls", CLASSES)
def test_classes_are_frozen_and_slotted(cls):
    """Every model class is a frozen attrs class with __slots__."""
    assert attrs.has(cls)
    assert "__slots__" in cls.__dict__
    assert cls.__setattr__ is not object.__setattr__


def test_events_are_immutable():
    """Assigning to a field raises attrs' FrozenInstanceError."""
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        EVENT.id = "other"  # type: ignore[misc]


def test_events_are_hashable_and_compare_by_value():
    """Equal events hash equally and work as set members and dict keys."""
    again = plenty_events.decode(sample_payload(), strict=True)
    assert again == EVENT
    assert again is not EVENT
    assert len({EVENT, again}) == 1


def test_events_pickle():
    """An event survives pickling unchanged, repairs included."""
    payload = sample_payload()
    payload["createdAt"] = "1510656066"
    event = plenty_events.decode(payload)
    restored = pickle.loads(pickle.dumps(event))
    assert restored == event
    assert restored.repairs == event.repairs


def test_events_evolve():
    """attrs.evolve gives a changed copy."""
    changed = attrs.evolve(EVENT, id="evt_other")
    assert (changed.id, EVENT.id) == ("evt_other", "evt_553ea8a294e2d3a75d5086a06fb53f5a")
    assert changed.resource is EVENT.resource


@pytest.mark.parametrize("model", [ServicePurchaseEvent, Resource, Contact, Address, Order, OrderItem])
def test_attribute_names_are_snake_case_of_the_wire_keys(model):
    """Attributes are the wire keys in snake_case, in wire order; payPalTransactionId is paypal_transaction_id."""
    from plenty_events._model import wire_fields  # noqa: PLC0415

    def snake(key):
        return re.sub(r"(?<!^)(?=[A-Z])", "_", key.replace("payPal", "paypal")).lower()

    names = [field.name for field in attrs.fields(model)]
    wire = [snake(field.wire) for field in wire_fields(model)]
    assert names[: len(wire)] == wire
    assert names[len(wire) :] == (["extra", "repairs"] if model is ServicePurchaseEvent else ["extra"])
    assert snake("payPalTransactionId") == "paypal_transaction_id"


def test_events_can_be_built_by_hand():
    """Users can construct events directly; repairs default to none."""
    moment = datetime(2020, 1, 1, tzinfo=UTC)
    event = attrs.evolve(EVENT, created_at=moment)
    assert event.repairs == ()
    assert plenty_events.to_dict(event)["createdAt"] == 1577836800


def test_reprs_mask_personal_data():
    """The repr shows ids, type, timestamps, country and prices, not names, email, phone, street or PayPal id."""
    text = repr(EVENT)
    for secret in ["John", "Doe", "john@account.com", "123-456-7890", "Main Street", "MyStore", "1S473067CV761473M"]:
        assert secret not in text
    for shown in [
        "evt_553ea8a294e2d3a75d5086a06fb53f5a",
        "'DE'",
        "Decimal('41.1765')",
        "2017, 11, 14",
        "1337",
        "first_name='J***'",
        "email='j***@account.com'",
        "phone='***90'",
        "paypal_transaction_id='***3M'",
    ]:
        assert shown in text


def test_masking_keeps_empty_values_empty():
    """An empty personal field shows as '' (nothing to hide), short ones hide entirely."""
    contact = attrs.evolve(EVENT.resource.address, first_name="", phone="12", email="no-at-sign")
    text = repr(contact)
    assert "first_name=''" in text
    assert "phone='***'" in text
    assert "email='n***'" in text


def test_unknown_event_repr_hides_the_raw_resource():
    """An UnknownEvent's raw resource may hold anything personal, so its repr leaves it out."""
    event = plenty_events.decode(b'{"id":"e","type":"X","createdAt":0,"resource":{"name":"Jane Roe"}}')
    assert "Jane" not in repr(event)
