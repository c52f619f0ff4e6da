"""The receiver as a Flask blueprint: `app.register_blueprint(blueprint(receiver))`.

[blueprint][plenty_events.receiver.flask.blueprint] is a thin adapter over
[Receiver.receive][plenty_events.receiver.Receiver.receive]: the receiver checks the token (in
constant time; an unknown one gets Flask's own 404, whatever the method), the method and the
declared length before the body is read, and the body is read from
`request.stream` by its `Content-Length`, never past the receiver's
`max_body`, whatever the application's `MAX_CONTENT_LENGTH`. Every status
is the receiver's.

Install Flask 3.1 or later to use it; `plenty_events.receiver` itself does not need it.

Examples:
    >>> from flask import Flask
    >>> from plenty_events.receiver import Receiver
    >>> from plenty_events.receiver.flask import blueprint
    >>> receiver = Receiver(tokens="a-token-of-16-characters", handler=print)
    >>> app = Flask("shop")
    >>> app.register_blueprint(blueprint(receiver))
    >>> app.test_client().get("/webhooks/a-token-of-16-characters").status
    '405 METHOD NOT ALLOWED'

"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, request
from flask import Response as FlaskResponse
from werkzeug.exceptions import ClientDisconnected, NotFound

from ._answers import Response
from ._receiver import admit, read_body

if TYPE_CHECKING:
    from ._receiver import Receiver

__all__ = ["blueprint"]

#: Every method goes to the view, so that an unknown token is 404 whatever the method.
_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def blueprint(receiver: Receiver, *, name: str = "plenty_events", url_prefix: str = "/webhooks") -> Blueprint:
    """Return a blueprint serving `POST {url_prefix}/<token>` with `receiver`.

    Args:
        receiver: The receiver that answers every request.
        name: The blueprint's name; the view's endpoint is `{name}.receive`.
        url_prefix: Where the token URLs are.

    Returns:
        The blueprint. An unknown token is answered as Flask answers a path
            it does not know (its `NotFound`, through your error handlers);
            other methods on a token URL 405 (no body on `HEAD`).

    """
    webhooks = Blueprint(name, __name__, url_prefix=url_prefix)

    def receive(token: str) -> FlaskResponse:
        admitted = admit(receiver, token, request.method, request.headers.get("Content-Length"))
        if isinstance(admitted, Response):
            if admitted.status == 404:
                # Flask's own answer to a path it does not know: a probe cannot tell the route is here.
                raise NotFound
            return _response(admitted)
        # This view's bound, not the application's MAX_CONTENT_LENGTH.
        request.max_content_length = admitted
        answer = receiver.receive(token, read_body(_read, admitted), content_length=admitted)
        return _response(answer)

    webhooks.add_url_rule("/<token>", "receive", receive, methods=_METHODS, provide_automatic_options=False)
    return webhooks


def _read(size: int) -> bytes:
    try:
        return request.stream.read(size)
    except ClientDisconnected:  # the body ended before its Content-Length
        return b""


def _response(answer: Response) -> FlaskResponse:
    # Werkzeug sends no body on HEAD.
    return FlaskResponse(answer.body, status=answer.status, headers=list(answer.headers))
