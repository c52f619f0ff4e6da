"""The receiver as a FastAPI router: `app.include_router(router(receiver), prefix="/webhooks")`.

[router][plenty_events.receiver.fastapi.router] is a thin adapter over
[Receiver.receive][plenty_events.receiver.Receiver.receive]: the receiver checks the token (in
constant time; 404 when unknown) and the declared length before the body is
read, the body is read as it streams and never past its `Content-Length`,
and decoding, the inbox and your handler run in a worker thread, never on the
event loop. The answers are the receiver's (400 for a body that is not JSON,
422 `{"errors": [...]}` for one that breaks the rules), not FastAPI's own.
The route's OpenAPI operation shows the request body, with the JSON Schema
of [json_schema][plenty_events.json_schema], and every answer.

Install FastAPI to use it; `plenty_events.receiver` itself does not need it.

Examples:
    >>> from fastapi import FastAPI
    >>> from plenty_events.receiver import Receiver
    >>> from plenty_events.receiver.fastapi import router
    >>> receiver = Receiver(tokens="a-token-of-16-characters", handler=print)
    >>> app = FastAPI()
    >>> app.include_router(router(receiver), prefix="/webhooks")
    >>> sorted(app.openapi()["paths"]["/webhooks/{token}"])
    ['post']

"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, cast

from fastapi import APIRouter, HTTPException, Request
from fastapi import Response as FastAPIResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect
from starlette.routing import Route

import plenty_events

from ._answers import Response, incomplete, openapi_responses
from ._receiver import BODY_TIMEOUT, admit, check_body_timeout, closing

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

    from ._receiver import Receiver

__all__ = ["router"]


def router(
    receiver: Receiver,
    *,
    path: str = "/{token}",
    tags: list[str] | None = None,
    body_timeout: float = BODY_TIMEOUT,
) -> APIRouter:
    """Return an `APIRouter` serving `POST {path}` with `receiver`.

    Args:
        receiver: The receiver that answers every request.
        path: The route, with a `{token}` parameter; include the router
            with a `prefix` such as `"/webhooks"`.
        tags: OpenAPI tags of the operation.
        body_timeout: Seconds the whole body may take to arrive; a body
            that stalls or trickles past them is answered 400.

    Returns:
        The router. An unknown token is answered as FastAPI answers a path
            it does not know (`404 {"detail": "Not Found"}`, through your
            exception handlers); other methods on the path 405 (no body on
            `HEAD`), by a route the OpenAPI document leaves out. An answer
            given before the body was read whole says `Connection: close`.

    Raises:
        ValueError: For a path without a `{token}` parameter, or a
            `body_timeout` that is not a positive, finite number.

    """
    if "{token}" not in path:
        raise ValueError("the path needs a {token} parameter")
    timeout = check_body_timeout(body_timeout)
    api = APIRouter(tags=list(tags or []))

    async def receive_webhook(token: str, request: Request) -> FastAPIResponse:
        return await _answer(receiver, token, request, timeout)

    api.add_api_route(
        path,
        receive_webhook,
        methods=["POST"],
        summary="Receive a plentyMarketplace webhook",
        description=(
            "Stores the raw body in the receiver's inbox before it answers, decodes it, and hands each new "
            "event to the handler once. The token in the path is the secret; an unknown one is 404."
        ),
        status_code=202,
        response_class=FastAPIResponse,
        responses={int(status): answer for status, answer in _responses().items()},
        openapi_extra={"requestBody": _request_body()},
    )

    # A route to an ASGI app, with no methods, takes them all, also TRACE or made-up
    # ones: a list of methods would answer the others 405, which tells the route is here.
    api.routes.append(Route(path, _AnyMethod(receiver, timeout), include_in_schema=False))
    return api


class _AnyMethod:
    """The answer to any method but POST on the route: 405, or FastAPI's 404 for an unknown token."""

    def __init__(self, receiver: Receiver, limit: float) -> None:
        self.receiver, self.limit = receiver, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        answer = await _answer(self.receiver, request.path_params["token"], request, self.limit)
        await answer(scope, receive, send)


async def _answer(receiver: Receiver, token: str, request: Request, limit: float) -> FastAPIResponse:
    # Two different Content-Lengths join into one that is not a number: 400.
    declared = ",".join(sorted(set(request.headers.getlist("content-length")))) or None
    admitted = admit(receiver, token, request.method, declared)
    if isinstance(admitted, Response):
        if admitted.status == 404:
            # FastAPI's own answer to a path it does not know: a probe cannot tell the route is here.
            raise HTTPException(status_code=404)
        return _response(closing(admitted), request)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(limit):
            async for chunk in request.stream():
                chunks.append(chunk)
                size += len(chunk)
                if size > admitted:
                    break  # longer than declared: stop reading; the receiver refuses it
    except ClientDisconnect:
        pass  # the receiver refuses the short body; nobody is left to read the answer
    except TimeoutError:
        return _response(closing(incomplete()), request)
    if size != admitted:
        return _response(closing(incomplete()), request)
    # Decoding, the inbox's synced commits and the handler block: a worker thread runs them.
    answer = await run_in_threadpool(receiver.receive, token, b"".join(chunks), content_length=admitted)
    return _response(answer, request)


def _response(answer: Response, request: Request) -> FastAPIResponse:
    return FastAPIResponse(
        content=b"" if request.method == "HEAD" else answer.body,
        status_code=answer.status,
        headers=dict(answer.headers),
    )


def _responses() -> dict[str, dict[str, object]]:
    responses = openapi_responses()
    responses["404"] = {
        "description": "Unknown token: FastAPI's own answer to a path it does not know.",
        "content": {
            "application/json": {
                "schema": {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
            }
        },
    }
    return responses


def _request_body() -> dict[str, Any]:
    schema = plenty_events.json_schema()
    definitions: dict[str, Any] = schema.pop("$defs")
    # Inlined, with no $ref left: an OpenAPI document resolves "#/..." from its own root.
    root = _inline(schema["$ref"], definitions)
    return {
        "required": True,
        "description": (
            "The webhook's JSON, as plentymarkets sends it; the schema is the strict wire format. "
            "The raw bytes are read, never parsed by FastAPI, so prices stay exact."
        ),
        "content": {"application/json": {"schema": {"title": schema["title"], **root}}},
    }


def _inline(reference: str, definitions: dict[str, Any]) -> dict[str, Any]:
    definition: dict[str, Any] = definitions[reference.removeprefix("#/$defs/")]
    return {key: _resolve(value, definitions) for key, value in definition.items()}


def _resolve(node: object, definitions: dict[str, Any]) -> object:
    if isinstance(node, dict):
        mapping = cast("dict[str, object]", node)
        if "$ref" in mapping:
            return _inline(cast("str", mapping["$ref"]), definitions)
        return {key: _resolve(value, definitions) for key, value in mapping.items()}
    if isinstance(node, list):
        return [_resolve(item, definitions) for item in cast("list[object]", node)]
    return node
