"""The request contract: JSON Schemas of the calls the handler makes, written from the documented samples.

Not a copy of the vendor's OpenAPI file (which has no licence): each schema
says what the documented sample sends, and where it departs from the vendor's
spec the "Replacing the Service Helper" page lists the assumption and its
evidence.
"""

from __future__ import annotations

import copy
import functools
from typing import Any, Final

_DRAFT: Final = "https://json-schema.org/draft/2020-12/schema"
_ID: Final = {"type": "integer", "minimum": 0}
_TEXT: Final = {"type": "string"}
_GENDER: Final = {"enum": ["male", "female", "diverse"]}
_NO_QUERY: Final = {"type": "object", "maxProperties": 0}
_NO_BODY: Final = {"type": "null"}


def _object(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {**required, **(optional or {})},
        "required": sorted(required),
        "additionalProperties": False,
    }


def _call(method: str, path: str, query: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    return {
        "$schema": _DRAFT,
        "type": "object",
        "properties": {
            "method": {"const": method},
            "path": {"type": "string", "pattern": path},
            "query": query,
            "body": body,
        },
        "required": ["method", "path", "query", "body"],
        "additionalProperties": False,
    }


@functools.cache
def _schemas() -> dict[str, dict[str, Any]]:
    contact_option = _object(
        {"typeId": {"enum": [1, 2]}, "subTypeId": {"const": 4}, "value": {"type": "string", "minLength": 1}},
        {"priority": _ID},
    )
    address_option = _object({"typeId": {"enum": [4, 5]}, "value": {"type": "string", "minLength": 1}})
    return {
        "login": _call("POST", r"^/rest/login$", _NO_QUERY, _object({"username": _TEXT, "password": _TEXT})),
        "find_contact": _call(
            "GET",
            r"^/rest/accounts/contacts$",
            _object({"email": {"type": "string", "minLength": 1}}),
            _NO_BODY,
        ),
        "create_contact": _call(
            "POST",
            r"^/rest/accounts/contacts$",
            _NO_QUERY,
            _object(
                {
                    "typeId": {"const": 1},
                    "referrerId": {"type": "number"},
                    "options": {"type": "array", "items": contact_option},
                },
                {
                    "plentyId": _ID,
                    "firstName": _TEXT,
                    "lastName": _TEXT,
                    "gender": _GENDER,
                    "lang": {"type": "string", "pattern": "^[a-z]{2}$"},
                    "title": _TEXT,
                },
            ),
        ),
        "create_address": _call(
            "POST",
            r"^/rest/accounts/contacts/[0-9]+/addresses$",
            _object({"typeId": {"const": "1"}}),
            _object(
                {"countryId": _ID, "town": _TEXT},
                {
                    "name1": _TEXT,
                    "name2": _TEXT,
                    "name3": _TEXT,
                    "address1": _TEXT,
                    "address2": _TEXT,
                    "address3": _TEXT,
                    "postalCode": _TEXT,
                    "gender": _GENDER,
                    "options": {"type": "array", "items": address_option},
                },
            ),
        ),
        "create_company": _call(
            "POST",
            r"^/rest/accounts/contacts/[0-9]+/accounts$",
            _NO_QUERY,
            _object({"companyName": {"type": "string", "minLength": 1}}),
        ),
        "find_ticket": _call(
            "GET",
            r"^/rest/tickets$",
            _object(
                {"contactId": {"type": "string", "pattern": "^[0-9]+$"}, "title": {"type": "string", "minLength": 1}}
            ),
            _NO_BODY,
        ),
        "create_ticket": _call(
            "POST",
            r"^/rest/tickets$",
            _NO_QUERY,
            _object(
                {
                    "typeId": _ID,
                    "statusId": _ID,
                    "title": {"type": "string", "minLength": 1},
                    "plentyId": _ID,
                    "source": {"enum": ["frontend", "backend"]},
                    "owners": {
                        "type": "array",
                        "minItems": 1,
                        "items": _object({"userId": _ID, "roleId": _ID}),
                    },
                    "contactId": _ID,
                },
                {"orderId": _ID, "confidential": {"enum": [0, 1]}},
            ),
        ),
        "anonymize_contact": _call("PUT", r"^/rest/accounts/contacts/[0-9]+/anonymize$", _NO_QUERY, _NO_BODY),
        "ticket_types": _call("GET", r"^/rest/tickets/types/names$", _NO_QUERY, _NO_BODY),
        "ticket_statuses": _call("GET", r"^/rest/tickets/status/names$", _NO_QUERY, _NO_BODY),
        "current_user": _call("GET", r"^/rest/users/me$", _NO_QUERY, _NO_BODY),
        "find_user": _call("GET", r"^/rest/users/[0-9]+$", _NO_QUERY, _NO_BODY),
        "find_notes": _call("GET", r"^/rest/tickets/[0-9]+/messages$", _NO_QUERY, _NO_BODY),
        "add_note": _call(
            "POST",
            r"^/rest/tickets/[0-9]+$",
            _NO_QUERY,
            _object({"type": {"enum": ["comment", "message"]}, "text": {"type": "string", "minLength": 1}}),
        ),
    }


def request_schemas() -> dict[str, dict[str, Any]]:
    """Return the JSON Schema (draft 2020-12) of each call, by operation name.

    Each schema describes a request as `{"method", "path", "query", "body"}`:
    the query as an object of strings, the body as JSON or `null`. See
    [request_document][plenty_events.plentymarkets.request_document].

    Examples:
        >>> from plenty_events.plentymarkets import request_schemas
        >>> sorted(request_schemas())[:3]
        ['add_note', 'anonymize_contact', 'create_address']

    """
    return copy.deepcopy(_schemas())


def request_document(method: str, path: str, query: dict[str, str], body: Any) -> dict[str, Any]:
    """Return a request as the JSON document its schema describes.

    Examples:
        >>> from plenty_events.plentymarkets import find_contact, request_document
        >>> from plenty_events.testing import sample_event
        >>> request = find_contact(sample_event())
        >>> request_document(request.method, request.path, dict(request.query), request.body)["query"]
        {'email': 'john@account.com'}

    """
    return {"method": method, "path": path, "query": query, "body": body}
