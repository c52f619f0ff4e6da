"""The receiver as a Django view: `urlpatterns = [urlpattern(receiver)]`.

[view][plenty_events.receiver.django.view] is a thin adapter over
[Receiver.receive][plenty_events.receiver.Receiver.receive], exempt from CSRF checks
(plentymarkets sends no CSRF token; the secret token in the URL is the
check). The receiver checks the token (in constant time; an unknown one gets
Django's own 404, whatever the method), the method and the declared length before the body is
read, and the body is read by its `Content-Length`, never past the
receiver's `max_body` (`request.body` and `DATA_UPLOAD_MAX_MEMORY_SIZE`
are not involved). Every status is the receiver's.

Install Django to use it; `plenty_events.receiver` itself does not need it.

Examples:
    >>> from plenty_events.receiver import Receiver
    >>> from plenty_events.receiver.django import urlpattern
    >>> receiver = Receiver(tokens="a-token-of-16-characters", handler=print)
    >>> urlpatterns = [urlpattern(receiver, prefix="webhooks/")]
    >>> urlpatterns[0].pattern.describe()
    "'webhooks/<str:token>' [name='plenty_events_webhook']"

"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.views.decorators.csrf import csrf_exempt

from ._answers import Response
from ._receiver import admit, read_body

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._receiver import Receiver

__all__ = ["urlpattern", "view"]


def view(receiver: Receiver) -> Callable[[HttpRequest, str], HttpResponse]:
    """Return a view answering `request` to the URL of `token` with `receiver`.

    Route it with a `token` parameter, as
    [urlpattern][plenty_events.receiver.django.urlpattern] does. Any method reaches the
    receiver: POST is a delivery, another method 405 (no body on `HEAD`),
    an unknown token Django's own 404 (`Http404`, answered by your
    `handler404` as any unknown path is).
    """

    @csrf_exempt
    def receive(request: HttpRequest, token: str) -> HttpResponse:
        method = request.method or ""
        admitted = admit(receiver, token, method, request.META.get("CONTENT_LENGTH"))
        if isinstance(admitted, Response):
            if admitted.status == 404:
                # Django's own answer to a path it does not know (handler404): a probe cannot tell the route is here.
                raise Http404
            return _response(admitted, method)
        answer = receiver.receive(token, read_body(request.read, admitted), content_length=admitted)
        return _response(answer, method)

    return receive


def urlpattern(receiver: Receiver, *, prefix: str = "webhooks/", name: str = "plenty_events_webhook") -> URLPattern:
    """Return `path(f"{prefix}<str:token>", view(receiver), name=name)`, for `urlpatterns`.

    Args:
        receiver: The receiver that answers every request.
        prefix: The route before the token, ending with `/` (Django
            routes have no leading `/`).
        name: The URL pattern's name.

    """
    return path(f"{prefix}<str:token>", view(receiver), name=name)


def _response(answer: Response, method: str) -> HttpResponse:
    return HttpResponse(b"" if method == "HEAD" else answer.body, status=answer.status, headers=dict(answer.headers))
