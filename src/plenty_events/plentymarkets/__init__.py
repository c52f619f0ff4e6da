"""Put each purchase into the partner's own plentymarkets system: contact, address, company, ticket, note.

The replacement of plentymarkets' Service Helper plugin. The request
builders ([find_contact][plenty_events.plentymarkets.find_contact],
[create_ticket][plenty_events.plentymarkets.create_ticket], ...) are pure
data for any HTTP client; [Client][plenty_events.plentymarkets.Client] sends
them over httpx (the extra `plenty-events[plentymarkets]`);
[TicketHandler][plenty_events.plentymarkets.TicketHandler] runs the steps
once per event, recorded in a [StepJournal][plenty_events.plentymarkets.StepJournal].
[FakePlenty][plenty_events.plentymarkets.FakePlenty] is a stateful fake
system for tests. `Client` and the fake import httpx when first used.

Examples:
    >>> from plenty_events.plentymarkets import FakePlenty, TicketHandler, Client
    >>> from plenty_events.testing import sample_event
    >>> fake = FakePlenty()
    >>> handler = TicketHandler(fake.config(), client=Client(fake.config(), transport=fake))
    >>> handler(sample_event())
    >>> fake.calls  # doctest: +NORMALIZE_WHITESPACE
    ['login', 'find_contact', 'create_contact', 'find_contact', 'create_address',
     'create_company', 'find_ticket', 'create_ticket', 'add_note']
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._check import check
from ._config import PlentyConfig
from ._erase import Erasure, erase_person, holds_email
from ._handler import TicketHandler
from ._journal import MemoryJournal, Step, StepJournal
from ._requests import (
    UNKNOWN_COUNTRY,
    Request,
    add_note,
    anonymize_contact,
    contact_email,
    country_id,
    create_address,
    create_company,
    create_contact,
    create_ticket,
    current_user,
    find_contact,
    find_contact_by_email,
    find_notes,
    find_ticket,
    find_user,
    note_text,
    plan,
    ticket_statuses,
    ticket_title,
    ticket_types,
)
from ._schemas import request_document, request_schemas
from ._settings import DEFAULT_TEMPLATE, PLACEHOLDERS, AppClient, UserLogin

if TYPE_CHECKING:
    from ._client import Client
    from ._fake import FakeCrash, FakePlenty, SchemaViolation

# What needs httpx, imported when first asked for, so that the builders and
# the config work without it.
_NEEDS_HTTPX = {"Client": "_client", "FakeCrash": "_fake", "FakePlenty": "_fake", "SchemaViolation": "_fake"}


def __getattr__(name: str) -> Any:
    module = _NEEDS_HTTPX.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = [
    "DEFAULT_TEMPLATE",
    "PLACEHOLDERS",
    "UNKNOWN_COUNTRY",
    "AppClient",
    "Client",
    "Erasure",
    "FakeCrash",
    "FakePlenty",
    "MemoryJournal",
    "PlentyConfig",
    "Request",
    "SchemaViolation",
    "Step",
    "StepJournal",
    "TicketHandler",
    "UserLogin",
    "add_note",
    "anonymize_contact",
    "check",
    "contact_email",
    "country_id",
    "create_address",
    "create_company",
    "create_contact",
    "create_ticket",
    "current_user",
    "erase_person",
    "find_contact",
    "find_contact_by_email",
    "find_notes",
    "find_ticket",
    "find_user",
    "holds_email",
    "note_text",
    "plan",
    "request_document",
    "request_schemas",
    "ticket_statuses",
    "ticket_title",
    "ticket_types",
]
