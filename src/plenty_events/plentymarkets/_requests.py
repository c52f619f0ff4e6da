"""Pure request builders: what each step sends to plentymarkets, without sending it."""

from __future__ import annotations

import html
import string
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import attrs

from plenty_events import countries
from plenty_events._kinds import Gender

from ._settings import Settings

if TYPE_CHECKING:
    from plenty_events import ServicePurchaseEvent

# Codes that decoding accepts and that plentymarkets' list holds under another
# spelling (its alpha-3 rows), or not at all (0 is its "Unknown").
_OTHER_SPELLINGS: Final = {"CW": 258, "SX": 259, "BQ": 260}
UNKNOWN_COUNTRY: Final = 0
"""The `countryId` of a code that plentymarkets' country list lacks (`MF`, `SS`): its "Unknown"."""

_GENDERS: Final = frozenset(gender.value for gender in Gender)


@attrs.frozen
class Request:
    """One call to the plentymarkets REST API, as data: for any HTTP client.

    The repr shows the operation, method and path only: the query and the
    body hold personal values.

    Attributes:
        operation: What the call does, such as `"create_contact"`; the key
            of its schema in [request_schemas][plenty_events.plentymarkets.request_schemas].
        method: The HTTP method.
        path: The path below the system's URL, such as `/rest/tickets`.
        query: The query parameters, in order.
        body: The JSON body, or `None`.

    Examples:
        >>> from plenty_events.plentymarkets import find_contact
        >>> from plenty_events.testing import sample_event
        >>> find_contact(sample_event())
        Request(operation='find_contact', method='GET', path='/rest/accounts/contacts')

    """

    operation: str
    method: str
    path: str
    query: tuple[tuple[str, str], ...] = attrs.field(default=(), repr=False)
    body: Mapping[str, Any] | None = attrs.field(default=None, repr=False, hash=False)


def country_id(code: str) -> int:
    """Return the plentymarkets `countryId` of an address's country code.

    The main (lowest) ID of the code; `CW`, `SX` and `BQ` by the alpha-3
    rows of plentymarkets' list; [UNKNOWN_COUNTRY][plenty_events.plentymarkets.UNKNOWN_COUNTRY]
    for a code the list lacks. The Service Helper sent 1 (Germany) for all.

    Examples:
        >>> country_id("AT"), country_id("XI"), country_id("CW"), country_id("SS")
        (2, 265, 258, 0)

    """
    try:
        return countries.main_id(code)
    except KeyError:
        return _OTHER_SPELLINGS.get(code, UNKNOWN_COUNTRY)


def contact_email(event: ServicePurchaseEvent) -> str:
    """Return the e-mail that identifies the buyer: the contact's, else the invoice address's; `""` if neither."""
    return event.resource.contact.email or event.resource.address.email


def find_contact(event: ServicePurchaseEvent) -> Request:
    """`GET /rest/accounts/contacts?email=…`: the contacts with the buyer's e-mail, exactly.

    Raises:
        ValueError: The event has no e-mail at all.

    """
    email = contact_email(event)
    if not email:
        raise ValueError("the event has no e-mail to find the contact by")
    return find_contact_by_email(email)


def find_contact_by_email(email: str) -> Request:
    """`GET /rest/accounts/contacts?email=…`: the contacts with exactly this e-mail (`email` is the exact filter).

    Raises:
        ValueError: The e-mail is empty.

    """
    if not email:
        raise ValueError("an empty e-mail finds no contact")
    return Request("find_contact", "GET", "/rest/accounts/contacts", (("email", email),))


def anonymize_contact(contact_id: int) -> Request:
    """`PUT /rest/accounts/contacts/{contactId}/anonymize`: replace a contact's personal data, for an erasure request.

    Examples:
        >>> from plenty_events.plentymarkets import anonymize_contact
        >>> anonymize_contact(42)
        Request(operation='anonymize_contact', method='PUT', path='/rest/accounts/contacts/42/anonymize')

    """
    return Request("anonymize_contact", "PUT", f"/rest/accounts/contacts/{contact_id}/anonymize")


def create_contact(event: ServicePurchaseEvent, config: Settings) -> Request:
    """`POST /rest/accounts/contacts`: a customer contact with name, gender, language, e-mail and phone.

    Examples:
        >>> from plenty_events.plentymarkets import PlentyConfig, UserLogin, create_contact
        >>> from plenty_events.testing import sample_event
        >>> config = PlentyConfig(
        ...     url="https://shop.example",
        ...     credentials=UserLogin("api", "pw"),
        ...     plenty_id=1000,
        ...     ticket_type_id=1,
        ...     ticket_status_id=1,
        ...     ticket_role_id=1,
        ...     owner_user_ids=(7,),
        ... )
        >>> body = create_contact(sample_event(), config).body
        >>> body["typeId"], body["plentyId"], body["lang"], body["gender"]
        (1, 1000, 'de', 'male')

    """
    contact = event.resource.contact
    address = event.resource.address
    body: dict[str, Any] = {
        "typeId": 1,
        "referrerId": config.referrer_id,
        "plentyId": config.plenty_id,
        "firstName": contact.first_name,
        "lastName": contact.last_name,
        "lang": config.language,
    }
    if contact.gender in _GENDERS:
        body["gender"] = str(contact.gender)
    options: list[dict[str, Any]] = [{"typeId": 2, "subTypeId": 4, "value": contact_email(event), "priority": 0}]
    if address.phone:
        options.append({"typeId": 1, "subTypeId": 4, "value": address.phone, "priority": 0})
    body["options"] = options
    return Request("create_contact", "POST", "/rest/accounts/contacts", body=body)


def create_address(event: ServicePurchaseEvent, contact_id: int) -> Request:
    """`POST /rest/accounts/contacts/{contactId}/addresses?typeId=1`: the invoice address, every field kept.

    `countryId` from [country_id][plenty_events.plentymarkets.country_id];
    `gender` left out when the payload's is empty.

    Examples:
        >>> from plenty_events.plentymarkets import create_address
        >>> from plenty_events.testing import sample_event
        >>> request = create_address(sample_event({"$.resource.address.country": "AT"}), 42)
        >>> request.path, request.query, request.body["countryId"]
        ('/rest/accounts/contacts/42/addresses', (('typeId', '1'),), 2)

    """
    address = event.resource.address
    body: dict[str, Any] = {
        "name1": address.company_name,
        "name2": address.first_name,
        "name3": address.last_name,
        "address1": address.street,
        "address2": address.house_number,
        "address3": address.additional,
        "postalCode": address.postal_code,
        "town": address.town,
        "countryId": country_id(address.country),
    }
    gender = event.resource.contact.gender
    if gender in _GENDERS:
        body["gender"] = str(gender)
    options = [
        {"typeId": type_id, "value": value} for type_id, value in ((5, address.email), (4, address.phone)) if value
    ]
    if options:
        body["options"] = options
    return Request(
        "create_address", "POST", f"/rest/accounts/contacts/{contact_id}/addresses", (("typeId", "1"),), body
    )


def create_company(event: ServicePurchaseEvent, contact_id: int) -> Request | None:
    """`POST /rest/accounts/contacts/{contactId}/accounts`: the company, or `None` when the payload has none."""
    name = event.resource.address.company_name
    if not name.strip():
        return None
    return Request(
        "create_company", "POST", f"/rest/accounts/contacts/{contact_id}/accounts", body={"companyName": name}
    )


def ticket_title(event: ServicePurchaseEvent, config: Settings) -> str:
    """Return the ticket's title: the prefix, the first item's name, and the event id in brackets.

    The event id is the remote marker: found by
    [find_ticket][plenty_events.plentymarkets.find_ticket] before a
    ticket is created, it survives losing the step journal.
    """
    return f"{config.title_prefix}{event.resource.order.order_items[0].order_item_name} [{event.id}]"


def find_ticket(event: ServicePurchaseEvent, config: Settings, contact_id: int) -> Request:
    """`GET /rest/tickets?contactId=…&title=…`: the contact's tickets whose title holds the event's title."""
    query = (("contactId", str(contact_id)), ("title", ticket_title(event, config)))
    return Request("find_ticket", "GET", "/rest/tickets", query)


def create_ticket(event: ServicePurchaseEvent, config: Settings, contact_id: int) -> Request:
    """`POST /rest/tickets`: the ticket, owned by the configured users, in the configured client (`plentyId`)."""
    body: dict[str, Any] = {
        "typeId": config.ticket_type_id,
        "statusId": config.ticket_status_id,
        "title": ticket_title(event, config),
        "plentyId": config.plenty_id,
        "source": "frontend",
        "owners": [{"userId": user, "roleId": config.ticket_role_id} for user in config.owner_user_ids],
        "contactId": contact_id,
    }
    return Request("create_ticket", "POST", "/rest/tickets", body=body)


def find_notes(ticket_id: int) -> Request:
    """`GET /rest/tickets/{ticketId}/messages`: the ticket's messages, to find a note added before a crash."""
    return Request("find_notes", "GET", f"/rest/tickets/{ticket_id}/messages")


def note_text(event: ServicePurchaseEvent, config: Settings) -> str:
    """Return the note's text: the config's template with every value HTML-escaped.

    Examples:
        >>> from plenty_events.plentymarkets import PlentyConfig, UserLogin, note_text
        >>> from plenty_events.testing import sample_event
        >>> config = PlentyConfig(
        ...     url="https://shop.example",
        ...     credentials=UserLogin("api", "pw"),
        ...     plenty_id=1000,
        ...     ticket_type_id=1,
        ...     ticket_status_id=1,
        ...     ticket_role_id=1,
        ...     owner_user_ids=(7,),
        ...     note_template="$first_name: $items",
        ... )
        >>> note_text(sample_event({"$.resource.address.firstName": "<b>Jo</b>"}), config)
        '&lt;b&gt;Jo&lt;/b&gt;: <ul><li>1 x SuperService, 49 gross</li></ul>'

    """
    resource = event.resource
    address = resource.address
    escape = html.escape
    items = "".join(
        f"<li>{escape(str(item.quantity))} x {escape(item.order_item_name)}, {escape(str(item.price_gross))} gross</li>"
        for item in resource.order.order_items
    )
    values = {
        "event_id": event.id,
        "created_at": event.created_at.isoformat(),
        "first_name": address.first_name,
        "last_name": address.last_name,
        "email": contact_email(event),
        "phone": address.phone,
        "company": address.company_name,
        "street": address.street,
        "house_number": address.house_number,
        "additional": address.additional,
        "postal_code": address.postal_code,
        "town": address.town,
        "country": address.country,
        "order_id": str(resource.order.id),
        "paypal_transaction_id": resource.order.paypal_transaction_id,
    }
    escaped = {name: escape(value) for name, value in values.items()}
    escaped["items"] = f"<ul>{items}</ul>"
    return string.Template(config.note_template).substitute(escaped)


def add_note(event: ServicePurchaseEvent, config: Settings, ticket_id: int) -> Request:
    """`POST /rest/tickets/{ticketId}`: the note, of the config's type (`comment`, internal, by default)."""
    body = {"type": config.note_type, "text": note_text(event, config)}
    return Request("add_note", "POST", f"/rest/tickets/{ticket_id}", body=body)


def ticket_types() -> Request:
    """`GET /rest/tickets/types/names`: the ticket types, to check the config's."""
    return Request("ticket_types", "GET", "/rest/tickets/types/names")


def ticket_statuses() -> Request:
    """`GET /rest/tickets/status/names`: the ticket statuses, to check the config's."""
    return Request("ticket_statuses", "GET", "/rest/tickets/status/names")


def current_user() -> Request:
    """`GET /rest/users/me`: the user logged in, to check the login."""
    return Request("current_user", "GET", "/rest/users/me")


def find_user(user_id: int) -> Request:
    """`GET /rest/users/{userId}`: one back-end user, to check that a ticket owner exists (404 when not)."""
    return Request("find_user", "GET", f"/rest/users/{user_id}")


def plan(
    event: ServicePurchaseEvent, config: Settings, *, contact_id: int = 0, ticket_id: int = 0
) -> tuple[Request, ...]:
    """Return every request a new purchase gives, in order, with the ids the system would return.

    For a dry run, and for checking the requests against their schemas.
    The company's request is left out when the payload has no company.

    Raises:
        ValueError: The event has no e-mail at all.

    """
    company = create_company(event, contact_id)
    return (
        find_contact(event),
        create_contact(event, config),
        create_address(event, contact_id),
        *(() if company is None else (company,)),
        find_ticket(event, config, contact_id),
        create_ticket(event, config, contact_id),
        find_notes(ticket_id),
        add_note(event, config, ticket_id),
    )
