"""Routing: one handler per event model, itself a handler."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, TypeVar

from plenty_events import UnknownEvent

if TYPE_CHECKING:
    from collections.abc import Callable

log = logging.getLogger("plenty_events.receiver")

_E = TypeVar("_E")
_R = TypeVar("_R")


class Router:
    """A handler that hands each event to the function registered for its model.

    `@router.on(Model)` registers a function for the events of `Model`
    ([ServicePurchaseEvent][plenty_events.ServicePurchaseEvent], or a model
    registered with a [Decoder][plenty_events.Decoder]); `@router.on_unknown`
    one for [UnknownEvent][plenty_events.UnknownEvent]s. An event with no route is
    handled as a no-op, and logged once per model at WARNING: it never
    blocks the inbox. A route may be `async def`; the router returns what it
    returns, and the receiver or the worker awaits it.

    Examples:
        >>> from plenty_events import ServicePurchaseEvent, decode
        >>> from plenty_events.receiver import Router
        >>> from plenty_events.testing import sample_payload, to_json
        >>> router = Router()
        >>> @router.on(ServicePurchaseEvent)
        ... def purchased(event: ServicePurchaseEvent) -> str:
        ...     return event.id
        >>> router(decode(to_json(sample_payload())))
        'evt_553ea8a294e2d3a75d5086a06fb53f5a'

    """

    def __init__(self) -> None:
        """Start with no route."""
        self._routes: dict[type[Any], Callable[[Any], object]] = {}
        self._unknown: Callable[[UnknownEvent], object] | None = None
        self._lock = threading.Lock()
        self._logged: set[type[Any]] = set()

    def on(self, model: type[_E]) -> Callable[[Callable[[_E], _R]], Callable[[_E], _R]]:
        """Register the decorated function for the events of `model`; it is returned as it is.

        Raises:
            ValueError: When `model` has a route already.

        """
        if model in self._routes:
            raise ValueError(f"{model.__name__} has a route already")

        def register(handler: Callable[[_E], _R]) -> Callable[[_E], _R]:
            self._routes[model] = handler
            return handler

        return register

    def on_unknown(self, handler: Callable[[UnknownEvent], _R]) -> Callable[[UnknownEvent], _R]:
        """Register the decorated function for [UnknownEvent][plenty_events.UnknownEvent]s; it is returned as it is."""
        self._unknown = handler
        return handler

    def __call__(self, event: object) -> object:
        """Hand `event` to its route, and return what the route returns (an awaitable for `async def`)."""
        for model in type(event).__mro__:
            route = self._routes.get(model)
            if route is not None:
                return route(event)
        if isinstance(event, UnknownEvent) and self._unknown is not None:
            return self._unknown(event)
        with self._lock:
            first = type(event) not in self._logged
            self._logged.add(type(event))
        if first:
            log.warning("no route for %s events: handled as a no-op (logged once)", type(event).__name__)
        return None
