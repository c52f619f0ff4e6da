"""A stateful fake plentymarkets system, as an httpx transport, for testing handlers without one."""

from __future__ import annotations

import functools
import importlib
import itertools
import json
import re
import threading
import time
from collections.abc import Mapping
from typing import Any, Final, Literal
from urllib.parse import parse_qsl

import attrs
import httpx

from ._config import PlentyConfig
from ._schemas import request_document, request_schemas
from ._settings import AppClient, UserLogin

TOKEN_PATH: Final = "/rest/oauth/token"  # noqa: S105 -- a path, not a secret
"""The path where the fake hands out app-client tokens."""

_ROUTES: Final = (
    ("POST", re.compile(r"/rest/login"), "login"),
    ("POST", re.compile(re.escape(TOKEN_PATH)), "app_login"),
    ("GET", re.compile(r"/rest/accounts/contacts"), "find_contact"),
    ("POST", re.compile(r"/rest/accounts/contacts"), "create_contact"),
    ("POST", re.compile(r"/rest/accounts/contacts/([0-9]+)/addresses"), "create_address"),
    ("POST", re.compile(r"/rest/accounts/contacts/([0-9]+)/accounts"), "create_company"),
    ("PUT", re.compile(r"/rest/accounts/contacts/([0-9]+)/anonymize"), "anonymize_contact"),
    ("GET", re.compile(r"/rest/tickets"), "find_ticket"),
    ("POST", re.compile(r"/rest/tickets"), "create_ticket"),
    ("GET", re.compile(r"/rest/tickets/types/names"), "ticket_types"),
    ("GET", re.compile(r"/rest/tickets/status/names"), "ticket_statuses"),
    ("GET", re.compile(r"/rest/users/me"), "current_user"),
    ("GET", re.compile(r"/rest/users/([0-9]+)"), "find_user"),
    ("GET", re.compile(r"/rest/tickets/([0-9]+)/messages"), "find_notes"),
    ("POST", re.compile(r"/rest/tickets/([0-9]+)"), "add_note"),
)

OPERATIONS: Final = tuple(operation for _, _, operation in _ROUTES)
"""The operations the fake knows, by the names of [Request.operation][plenty_events.plentymarkets.Request]."""


class FakeCrash(Exception):  # noqa: N818 -- what happened, as the tests read it: `except FakeCrash`
    """Raised to the caller by [FakePlenty][plenty_events.plentymarkets.FakePlenty] after it applied a call.

    As if the caller's process died after plentymarkets did the work and
    before the answer arrived.
    """


class SchemaViolation(AssertionError):  # noqa: N818 -- what the request is, read as `except SchemaViolation`
    """A request the fake received does not match its schema: a bug in the caller, raised loudly."""


@attrs.frozen
class _Fault:
    kind: Literal["status", "timeout", "crash"]
    status: int = 0
    retry_after: str | None = None
    applied: bool = False


@attrs.frozen
class Note:
    """A ticket's message in the fake.

    Attributes:
        id: The message id.
        ticket_id: The ticket.
        type: `comment` or `message`.
        text: The text.

    """

    id: int
    ticket_id: int
    type: str
    text: str


class FakePlenty(httpx.BaseTransport):
    """A fake plentymarkets system that keeps contacts by e-mail and tickets by title.

    Pass it as the `transport` of a [Client][plenty_events.plentymarkets.Client]
    (or of any `httpx.Client`). It validates every request against
    [request_schemas][plenty_events.plentymarkets.request_schemas] and raises
    [SchemaViolation][plenty_events.plentymarkets.SchemaViolation] on a
    mismatch; it answers each call with the `X-Plenty-*` call-limit headers;
    and it can be told to answer a status (401, 429 with `Retry-After`, 5xx),
    to time out before or after applying a call, to crash the caller after
    applying one, and to expire its tokens. It anonymises contacts, and
    answers for its back-end `users`. Needs `jsonschema`.

    Args:
        token_keys: The spelling of the login answer's keys: `"snake"` as
            plentymarkets' guide shows, or `"camel"` as its spec says.
        token_lifetime: Seconds a token is valid (`expires_in`).
        calls_per_period: The short period's call limit; `None` for none.
        decay: The period's length in seconds, as the headers say.
        latency: Seconds each call takes, to let threads interleave.

    Examples:
        >>> from plenty_events.plentymarkets import Client, FakePlenty, find_contact
        >>> from plenty_events.testing import sample_event
        >>> fake = FakePlenty()
        >>> fake.fail("find_contact", 503, retry_after="7")
        >>> client = Client(fake.config(), transport=fake)
        >>> try:
        ...     client.send(find_contact(sample_event()))
        ... except Exception as exc:
        ...     print(repr(exc))
        RetryLater(7.0, 'find_contact: plentymarkets answered 503')

    """

    username: Final = "fake-user"
    password: Final = "fake-password"  # noqa: S105 -- the fake's own, not a secret
    client_id: Final = "fake-app"
    client_secret: Final = "fake-app-secret"  # noqa: S105 -- the fake's own, not a secret
    url: Final = "https://plenty.fake"

    def __init__(
        self,
        *,
        token_keys: Literal["snake", "camel"] = "snake",  # noqa: S107 -- the spelling of keys, not a secret
        token_lifetime: int = 86400,
        calls_per_period: int | None = None,
        decay: int = 60,
        latency: float = 0.0,
    ) -> None:
        """Start an empty system."""
        self.token_keys = token_keys
        self.token_lifetime = token_lifetime
        self.calls_per_period = calls_per_period
        self.decay = decay
        self.latency = latency
        self.contacts: dict[int, dict[str, Any]] = {}
        """Contacts by id, each with its `email`."""
        self.addresses: dict[int, list[dict[str, Any]]] = {}
        """The addresses of each contact, by contact id; a duplicate is not added again."""
        self.companies: dict[int, list[str]] = {}
        """The company names of each contact, by contact id."""
        self.tickets: dict[int, dict[str, Any]] = {}
        """Tickets by id, each with its `title`."""
        self.notes: dict[int, Note] = {}
        """Ticket messages by id."""
        self.ticket_types: dict[int, str] = {1: "Service"}
        """The ticket types by id, each with its name."""
        self.ticket_statuses: dict[int, str] = {1: "New"}
        """The ticket statuses by id, each with its name."""
        self.users: set[int] = {7}
        """The back-end users' ids."""
        self.calls: list[str] = []
        """Every operation received, in order, those answered with a fault too."""
        self._period_calls = 0
        self._tokens: set[str] = set()
        self._faults: dict[str, list[_Fault]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._validators = _validators()

    def __repr__(self) -> str:
        """Show the counts."""
        return f"<FakePlenty: {len(self.contacts)} contacts, {len(self.tickets)} tickets, {len(self.notes)} notes>"

    def config(self, *, app: bool = False, **changes: Any) -> PlentyConfig:
        """Return a [PlentyConfig][plenty_events.plentymarkets.PlentyConfig] for this fake.

        Args:
            app: Log in as the fake's app client, not as its back-end user.
            changes: Other settings, such as `note_type="message"`.

        """
        credentials: UserLogin | AppClient = (
            AppClient(self.client_id, self.client_secret, f"{self.url}{TOKEN_PATH}")
            if app
            else UserLogin(self.username, self.password)
        )
        settings: dict[str, Any] = {
            "url": self.url,
            "credentials": credentials,
            "plenty_id": 1000,
            "ticket_type_id": 1,
            "ticket_status_id": 1,
            "ticket_role_id": 1,
            "owner_user_ids": (7,),
            **changes,
        }
        return PlentyConfig(**settings)

    # What to do next -------------------------------------------------------------

    def fail(self, operation: str, status: int, *, retry_after: str | None = None, times: int = 1) -> None:
        """Answer the next `times` calls of `operation` with `status`, without applying them."""
        self._add(operation, _Fault("status", status, retry_after), times)

    def time_out(self, operation: str, *, applied: bool = False) -> None:
        """Time out the next call of `operation`; after applying it if `applied`."""
        self._add(operation, _Fault("timeout", applied=applied), 1)

    def crash_after(self, operation: str) -> None:
        """Apply the next call of `operation`, then raise [FakeCrash][plenty_events.plentymarkets.FakeCrash]."""
        self._add(operation, _Fault("crash", applied=True), 1)

    def expire_tokens(self) -> None:
        """Make every token handed out so far invalid: the next call with one is answered 401."""
        with self._lock:
            self._tokens.clear()

    def new_period(self) -> None:
        """Start a new call-limit period."""
        with self._lock:
            self._period_calls = 0

    def clear_faults(self) -> None:
        """Forget the faults not yet used."""
        with self._lock:
            self._faults.clear()

    def _add(self, operation: str, fault: _Fault, times: int) -> None:
        if operation not in OPERATIONS:
            raise ValueError(f"unknown operation {operation!r}; known: {list(OPERATIONS)}")
        with self._lock:
            self._faults.setdefault(operation, []).extend([fault] * times)

    # What the system holds -------------------------------------------------------

    def contacts_by_email(self) -> dict[str, list[int]]:
        """Return the contact ids of each e-mail."""
        found: dict[str, list[int]] = {}
        for contact_id, contact in sorted(self.contacts.items()):
            found.setdefault(contact["email"], []).append(contact_id)
        return found

    def tickets_by_title(self) -> dict[str, list[int]]:
        """Return the ticket ids of each title."""
        found: dict[str, list[int]] = {}
        for ticket_id, ticket in sorted(self.tickets.items()):
            found.setdefault(ticket["title"], []).append(ticket_id)
        return found

    def notes_of(self, ticket_id: int) -> list[Note]:
        """Return the ticket's messages."""
        return [note for note in self.notes.values() if note.ticket_id == ticket_id]

    # The transport ---------------------------------------------------------------

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer one request, as plentymarkets would."""
        if self.latency:
            time.sleep(self.latency)
        operation, match = self._route(request)
        with self._lock:
            self.calls.append(operation)
            self._period_calls += 1
            headers = self._limit_headers()
            faults = self._faults.get(operation)
            fault = faults.pop(0) if faults else None
            if fault is not None and fault.kind == "status":
                if fault.retry_after is not None:
                    headers["Retry-After"] = fault.retry_after
                return httpx.Response(fault.status, headers=headers, json={"error": "fault"})
            if fault is not None and not fault.applied:
                raise httpx.ReadTimeout("the fake timed out", request=request)
            if self.calls_per_period is not None and self._period_calls > self.calls_per_period:
                headers["Retry-After"] = str(self.decay)
                return httpx.Response(429, headers=headers, json={"error": "too many calls"})
            answer = self._answer(operation, match, request, headers)
            if fault is not None and fault.kind == "timeout":
                raise httpx.ReadTimeout("the fake timed out after applying the call", request=request)
            if fault is not None:
                raise FakeCrash(f"the caller crashed after {operation}")
            return answer

    def _route(self, request: httpx.Request) -> tuple[str, re.Match[str]]:
        for method, pattern, operation in _ROUTES:
            match = pattern.fullmatch(request.url.path)
            if request.method == method and match is not None:
                return operation, match
        raise SchemaViolation(f"no such route: {request.method} {request.url.path}")

    def _limit_headers(self) -> dict[str, str]:
        limit = self.calls_per_period
        left = 10**6 if limit is None else max(0, limit - self._period_calls)
        headers: dict[str, str] = {}
        for period, period_limit, period_left, decay in (
            ("Global-Short-Period", limit or 10**6, left, self.decay),
            ("Route", 10**6, 10**6, self.decay),
            ("Global-Long-Period", 10**6, 10**6, 86400),
        ):
            headers[f"X-Plenty-{period}-Limit"] = str(period_limit)
            headers[f"X-Plenty-{period}-Calls-Left"] = str(period_left)
            headers[f"X-Plenty-{period}-Decay"] = str(decay)
        return headers

    def _validate(self, operation: str, request: httpx.Request, body: Any) -> None:
        document = request_document(request.method, request.url.path, dict(request.url.params), body)
        for error in self._validators[operation].iter_errors(document):
            # The path and the rule, not the value: the value may be personal.
            raise SchemaViolation(f"{operation}: {error.json_path} breaks {error.validator!r}")

    def _answer(
        self, operation: str, match: re.Match[str], request: httpx.Request, headers: dict[str, str]
    ) -> httpx.Response:
        if operation == "app_login":
            form = dict(parse_qsl(request.content.decode()))
            expected = {"grant_type": "client_credentials", "client_id": self.client_id}
            good = all(form.get(key) == value for key, value in expected.items())
            return self._token(good and form.get("client_secret") == self.client_secret, headers)
        body: Any = json.loads(request.content) if request.content else None
        self._validate(operation, request, body)
        if operation == "login":
            return self._token(body == {"username": self.username, "password": self.password}, headers)
        if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self._tokens:
            return httpx.Response(401, headers=headers, json={"error": "unauthenticated"})
        query = dict(request.url.params)
        answer: Any
        if operation in {"ticket_types", "ticket_statuses", "current_user"}:
            answer = self._names(operation)
        elif operation == "find_user":
            user_id = int(match.group(1))
            if user_id not in self.users:
                return httpx.Response(404, headers=headers, json={"error": "no such user"})
            answer = {"id": user_id, "userId": user_id}
        elif operation == "find_contact":
            answer = _page(
                [{"id": key} for key, contact in self.contacts.items() if contact["email"] == query["email"]]
            )
        elif operation == "create_contact":
            email = next(option["value"] for option in body["options"] if option["typeId"] == 2)
            answer = self._create(self.contacts, {**body, "email": email})
        elif operation in {"create_address", "create_company", "anonymize_contact"}:
            contact_id = int(match.group(1))
            if contact_id not in self.contacts:
                return httpx.Response(404, headers=headers, json={"error": "no such contact"})
            answer = self._add_to_contact(operation, contact_id, body)
        elif operation == "find_ticket":
            contact_id, phrase = int(query["contactId"]), query["title"]
            answer = _page(
                [
                    {"id": key, "title": ticket["title"]}
                    for key, ticket in self.tickets.items()
                    if ticket["contactId"] == contact_id and phrase in ticket["title"]
                ]
            )
        elif operation == "create_ticket":
            answer = self._create(self.tickets, body)
        else:
            ticket_id = int(match.group(1))
            if ticket_id not in self.tickets:
                return httpx.Response(404, headers=headers, json={"error": "no such ticket"})
            if operation == "find_notes":
                answer = _page([attrs.asdict(note) for note in self.notes_of(ticket_id)])
            else:
                note = Note(next(self._ids), ticket_id, body["type"], body["text"])
                self.notes[note.id] = note
                answer = {"id": note.id, "ticketId": ticket_id, "type": note.type, "text": note.text}
        return httpx.Response(200, headers=headers, json=answer)

    def _names(self, operation: str) -> Any:
        if operation == "current_user":
            return {"id": 7, "userId": 7}
        key, names = (
            ("typeId", self.ticket_types) if operation == "ticket_types" else ("statusId", self.ticket_statuses)
        )
        return [{key: number, "lang": "en", "name": name} for number, name in names.items()]

    def _create(self, table: dict[int, dict[str, Any]], values: dict[str, Any]) -> dict[str, Any]:
        key = next(self._ids)
        table[key] = values
        return {"id": key, **values}

    def _add_to_contact(self, operation: str, contact_id: int, body: dict[str, Any]) -> dict[str, Any]:
        if operation == "anonymize_contact":
            # Every personal value of the contact, its addresses and companies gone; the contact stays.
            self.contacts[contact_id] = {"email": "", "anonymized": True}
            self.addresses.pop(contact_id, None)
            self.companies.pop(contact_id, None)
            return {"id": contact_id, **self.contacts[contact_id]}
        if operation == "create_company":
            self.companies.setdefault(contact_id, []).append(body["companyName"])
            return {"id": next(self._ids), **body}
        # plentymarkets "checks for duplicates; a duplicate is assigned to the contact".
        addresses = self.addresses.setdefault(contact_id, [])
        for address in addresses:
            if {key: value for key, value in address.items() if key != "id"} == body:
                return address
        address = {"id": next(self._ids), **body}
        addresses.append(address)
        return address

    def _token(self, good: bool, headers: dict[str, str]) -> httpx.Response:
        if not good:
            return httpx.Response(401, headers=headers, json={"error": "invalid credentials"})
        token = f"fake-token-{next(self._ids)}"
        self._tokens.add(token)
        if self.token_keys == "snake":  # noqa: S105 -- the spelling of keys, not a secret
            answer: Mapping[str, object] = {
                "token_type": "Bearer",
                "expires_in": self.token_lifetime,
                "access_token": token,
                "refresh_token": f"refresh-{token}",
            }
        else:
            answer = {
                "tokenType": "Bearer",
                "expiresIn": self.token_lifetime,
                "accessToken": token,
                "refreshToken": f"refresh-{token}",
            }
        return httpx.Response(200, headers=headers, json=answer)


@functools.cache
def _validators() -> dict[str, Any]:
    """One validator per operation, shared by every fake: validators do not change."""
    try:
        validator = importlib.import_module("jsonschema").Draft202012Validator
    except ImportError as exc:
        raise ImportError("FakePlenty validates requests with jsonschema: pip install jsonschema") from exc
    return {name: validator(schema) for name, schema in request_schemas().items()}


def _page(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """A list answer as plentymarkets pages it."""
    return {"page": 1, "totalsCount": len(entries), "isLastPage": True, "entries": entries}
