"""A WSGI client for tests: calls an application in-process, as a server would."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import unquote

import attrs

from plenty_events._json import dumps

from ._sample import SAMPLE

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from wsgiref.types import WSGIApplication

    from _typeshed import OptExcInfo


class WSGIResponse(NamedTuple):
    """What a WSGI application answered to a [WSGIClient][plenty_events.testing.WSGIClient] request.

    Attributes:
        status: The status code, such as `202`.
        reason: The reason phrase, such as `"Accepted"`.
        headers: The header fields, in the order the application gave them.
        body: The body, all of it.

    """

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        """Return the first header field called `name` (in any case), or `None`."""
        folded = name.lower()
        return next((value for key, value in self.headers if key.lower() == folded), None)

    def json(self) -> Any:
        """Return the body read as JSON, fractions as `Decimal`.

        Raises:
            ValueError: The body is not JSON.

        """
        return json.loads(self.body, parse_float=Decimal)


@attrs.frozen
class WSGIClient:
    """Calls a WSGI application in-process, as a server would, and collects its answer.

    Framework-free: it builds the WSGI environment with the standard
    library's `wsgiref`, so it serves any WSGI application (Flask, Django,
    a bare function, the receiver of `plenty_events.receiver`).

    Attributes:
        app: The WSGI application, given as the one argument.

    Examples:
        >>> from plenty_events.testing import WSGIClient
        >>> def app(environ, start_response):
        ...     size = environ["CONTENT_LENGTH"]
        ...     start_response("202 Accepted", [("Content-Type", "text/plain")])
        ...     return [f"read {size} bytes".encode()]
        >>> from plenty_events.testing import sample_payload, to_json
        >>> answer = WSGIClient(app).post()
        >>> answer.status, answer.header("content-type")
        (202, 'text/plain')
        >>> answer.body == f"read {len(to_json(sample_payload()))} bytes".encode()
        True

    """

    app: WSGIApplication

    def post(
        self, body: bytes | None = None, *, path: str = "/", headers: Mapping[str, str] | None = None
    ) -> WSGIResponse:
        """POST `body`, by default the documented sample, as `application/json`.

        Args:
            body: The request body; `None` sends the sample payload.
            path: The path, with a query string if any.
            headers: More header fields; a `Content-Type` or `Content-Length`
                given here replaces the client's.

        """
        return self.request("POST", path, dumps(SAMPLE).encode() if body is None else body, headers)

    def request(
        self, method: str, path: str = "/", body: bytes = b"", headers: Mapping[str, str] | None = None
    ) -> WSGIResponse:
        """Send one request with any method, and return the answer.

        Raises:
            RuntimeError: The application returned without calling `start_response`.

        """
        from wsgiref.util import setup_testing_defaults  # noqa: PLC0415 -- only a test needs it

        route, _, query = path.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            # As a server does: the path decoded, its bytes as Latin-1 (PEP 3333).
            "PATH_INFO": unquote(route, "latin-1"),
            "QUERY_STRING": query,
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
        }
        for name, value in (headers or {}).items():
            key = name.upper().replace("-", "_")
            environ[key if key in {"CONTENT_TYPE", "CONTENT_LENGTH"} else f"HTTP_{key}"] = value
        setup_testing_defaults(environ)
        return _call(self.app, environ)


def _call(app: WSGIApplication, environ: dict[str, Any]) -> WSGIResponse:
    answer: list[tuple[str, list[tuple[str, str]]]] = []
    chunks: list[bytes] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None, /
    ) -> Callable[[bytes], object]:
        error = exc_info[1] if exc_info is not None else None
        if error is not None and chunks:
            raise error  # the headers have gone out: PEP 3333 says re-raise
        answer[:] = [(status, headers)]
        return chunks.append

    result = app(environ, start_response)
    try:
        chunks.extend(chunk for chunk in result if chunk)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    if not answer:
        raise RuntimeError("the application returned without calling start_response")
    ((status, headers),) = answer
    code, _, reason = status.partition(" ")
    return WSGIResponse(int(code), reason, tuple(headers), b"".join(chunks))
