"""Every answer the receiver gives, in one place: status, headers and JSON body.

Nothing else in the receiver picks a status code. Bodies hold no personal
value: the error lists of [DecodeError][plenty_events.DecodeError] name paths,
codes and messages only, and an event id is not personal data (see the
privacy page).
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING

import attrs

from plenty_events import Code

if TYPE_CHECKING:
    from plenty_events import DecodeError

#: Error codes that mean "not JSON at all" (400) rather than "JSON, but not
#: this wire format" (422).
_NOT_JSON = frozenset({Code.JSON_INVALID, Code.JSON_DEPTH})

_REASONS = {
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Content Too Large",
    422: "Unprocessable Content",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@attrs.frozen
class Response:
    """An answer to a delivery, ready for any web framework.

    Attributes:
        status: The HTTP status code.
        headers: The header fields, in order; `Content-Type` is always
            `application/json`.
        body: The JSON body, compact ASCII. A server answering `HEAD`
            sends the headers only.

    Examples:
        >>> from plenty_events.receiver import Receiver
        >>> receiver = Receiver(tokens="a-token-of-16-characters", handler=print)
        >>> answer = receiver.receive("a-guess-of-16-characters", b"{}")
        >>> answer.status, answer.reason, answer.body
        (404, 'Not Found', b'{"error":"not found"}')

    """

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes = attrs.field(repr=False)

    @property
    def reason(self) -> str:
        """The reason phrase of `status`, as in `202 Accepted`."""
        return _REASONS[self.status]


def _answer(status: int, body: dict[str, object], *extra: tuple[str, str]) -> Response:
    data = json.dumps(body, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    headers = (
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(data))),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
        *extra,
    )
    return Response(status, headers, data)


def not_found() -> Response:
    """A wrong token, or a path outside the receiver: as if the URL did not exist."""
    return _answer(404, {"error": "not found"})


def method_not_allowed() -> Response:
    """Any method but POST on a webhook URL."""
    return _answer(405, {"error": "use POST"}, ("Allow", "POST"))


def length_required() -> Response:
    """No Content-Length: the receiver never reads a body of unknown size."""
    return _answer(411, {"error": "a Content-Length is required"})


def too_large(limit: int) -> Response:
    """A body, or a declared length, over the limit."""
    return _answer(413, {"error": f"the body exceeds {limit} bytes"})


def bad_length() -> Response:
    """A Content-Length that is not a number of bytes."""
    return _answer(400, {"error": "the Content-Length is not a number of bytes"})


def incomplete() -> Response:
    """A body shorter or longer than its Content-Length."""
    return _answer(400, {"error": "the body does not have the length its Content-Length gives"})


def rejected(exc: DecodeError) -> Response:
    """The body is not JSON (400) or breaks the wire format (422); the errors say where."""
    status = 400 if any(error.code in _NOT_JSON for error in exc.errors) else 422
    return _answer(status, exc.to_dict())


def accepted(event_id: str) -> Response:
    """The handler returned: the event is handled."""
    return _answer(202, {"status": "accepted", "id": event_id})


def already_handled(event_id: str) -> Response:
    """A redelivery of an event handled before: acknowledged, not handled again."""
    return _answer(200, {"status": "already handled", "id": event_id})


def busy(event_id: str, retry_after: float) -> Response:
    """Another attempt is handling the event: not acknowledged, try again after its lease."""
    seconds = max(1, math.ceil(retry_after))
    return _answer(
        503,
        {"error": "the event is being handled; deliver it again later", "id": event_id},
        ("Retry-After", str(seconds)),
    )


def failed(event_id: str) -> Response:
    """The handler raised: not acknowledged; a redelivery or a replay handles it again."""
    return _answer(500, {"error": "the event was not handled; deliver it again later", "id": event_id})


def unavailable() -> Response:
    """The inbox could not store the delivery or its state: not acknowledged."""
    return _answer(503, {"error": "the delivery could not be stored; deliver it again later"}, ("Retry-After", "60"))


def _object(properties: dict[str, object], *required: str) -> dict[str, object]:
    return {"type": "object", "properties": properties, "required": list(required)}


_TEXT: dict[str, object] = {"type": "string"}
_ERROR = _object({"error": _TEXT}, "error")
_ERROR_WITH_ID = _object({"error": _TEXT, "id": _TEXT}, "error", "id")
_ERRORS = _object(
    {
        "errors": {
            "type": "array",
            "description": "Every reason the body was rejected, as DecodeError.to_dict() lists them: at most 100, "
            "then one too_many_errors entry that counts the rest.",
            "items": {
                **_object({"path": _TEXT, "code": _TEXT, "message": _TEXT}, "path", "code", "message"),
                "additionalProperties": False,
            },
        }
    },
    "errors",
)


def _described(description: str, schema: dict[str, object], **headers: str) -> dict[str, object]:
    described: dict[str, object] = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        described["headers"] = {name: {"description": text, "schema": _TEXT} for name, text in headers.items()}
    return described


def openapi_responses() -> dict[str, dict[str, object]]:
    """Every answer above as an OpenAPI 3.1 `responses` object, keyed by status code."""
    return {
        "200": _described(
            "Already handled: a redelivery of an event handled before; acknowledged, not handled again.",
            _object({"status": {"const": "already handled"}, "id": _TEXT}, "status", "id"),
        ),
        "202": _described(
            "Accepted: the body is stored and the handler returned.",
            _object({"status": {"const": "accepted"}, "id": _TEXT}, "status", "id"),
        ),
        "400": _described(
            "The body is not JSON (the errors say where), or it does not have the length its "
            "Content-Length gives, or that is not a number of bytes. The body is stored when it arrived whole.",
            {"oneOf": [_ERRORS, _ERROR]},
        ),
        "404": _described("Unknown token: as if the URL did not exist.", _ERROR),
        "405": _described("A method other than POST.", _ERROR, Allow="POST"),
        "411": _described("No Content-Length.", _ERROR),
        "413": _described("The body, or its declared length, is over the receiver's max_body.", _ERROR),
        "422": _described("JSON that breaks the wire format; the body is stored, the errors say where.", _ERRORS),
        "500": _described("The handler failed; deliver again, or replay from the inbox.", _ERROR_WITH_ID),
        "503": _described(
            "The event is being handled by another attempt, or the inbox could not store the delivery: "
            "deliver again later.",
            _object({"error": _TEXT, "id": _TEXT}, "error"),
            **{"Retry-After": "Seconds until a redelivery may succeed."},
        ),
    }
