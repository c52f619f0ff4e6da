"""Against a real plentymarkets system: run only with `--plentymarkets-live` and the PLENTY_* variables.

Deselected otherwise (CI has no system). It creates one ticket for a test
contact, then removes the ticket and anonymises the contact, and writes the
shapes of the answers (types only, no values) to PLENTY_LIVE_SHAPES if set,
so that the token's key spelling and the answers can be compared with the fake.
"""

import json
import os
from pathlib import Path

import pytest

from plenty_events.plentymarkets import (
    Client,
    MemoryJournal,
    PlentyConfig,
    Request,
    Step,
    TicketHandler,
    anonymize_contact,
    check,
)
from plenty_events.testing import sample_event

pytestmark = pytest.mark.live


def shape(value):
    """The JSON value's shape: keys and types, never a value."""
    if isinstance(value, dict):
        return {key: shape(member) for key, member in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


@pytest.fixture
def config():
    if not os.environ.get("PLENTY_URL"):
        pytest.skip("PLENTY_URL and the other PLENTY_* variables are not set: no system to test against")
    return PlentyConfig.from_env()


def test_a_purchase_becomes_one_ticket_in_a_real_system(config):
    """One test purchase makes a contact and a ticket with its note; a replay finds them; then they are removed."""
    event = sample_event(
        {"$.id": f"evt_live_{os.getpid()}", "$.resource.contact.email": "plenty-events-live@example.com"}
    )
    shapes = {}
    with Client(config) as client:
        send = client.send

        def recording(request):
            answer = send(request)
            shapes[request.operation] = shape(answer)
            return answer

        client.send = recording
        assert check(config, client=client) == []  # the owner users' route, confirmed
        journal = MemoryJournal()
        TicketHandler(config, client=client, journal=journal)(event)
        TicketHandler(config, client=client, journal=MemoryJournal())(event)
        ticket_id = journal.steps(event.id).get(Step.TICKET)
        contact_id = journal.steps(event.id).get(Step.CONTACT)
        assert ticket_id
        assert contact_id
        send(Request("delete_ticket", "DELETE", f"/rest/tickets/{ticket_id}"))
        recording(anonymize_contact(int(contact_id)))
    if os.environ.get("PLENTY_LIVE_SHAPES"):
        Path(os.environ["PLENTY_LIVE_SHAPES"]).write_text(json.dumps(shapes, indent=2), encoding="utf-8")
