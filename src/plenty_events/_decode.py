"""Decoding: JSON text or values to events, on one of two roads.

The data flows one way. JSON text first takes the fast road (``_fast``):
msgspec decodes it into the models' structs, checking every rule a valid
payload meets, and glue builds the event. Whatever the fast road declines
takes the explaining road (``_explain``), which parses the text with its
duplicate keys marked, walks the model field by field, and reports every
error and repair at its wire path.

A valid payload needs no repair, so the fast road serves both modes; an
already parsed mapping takes the explaining road, which checks it first.
Each road is loaded or built on first use: a process whose payloads are
all valid never imports the explaining road.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Final, final

from ._fast import FastRoad
from ._model import ServicePurchaseEvent

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping


@final
class Engine:
    """Decodes the events of a set of models, each for its event type.

    `read` is the fast road, `explain` the explaining road: a decode tries
    the one, then the other. Each is made ready on first use: a process
    that imports the library and never decodes pays for neither, and one
    whose payloads are all valid never loads the explaining road.
    """

    __slots__ = ("_road", "explain", "models", "read")

    def __init__(self, models: Mapping[str, type]) -> None:
        self.models: Final = dict(models)
        self._road: FastRoad | None = None
        #: Decodes a valid event from JSON text, else returns None: the
        #: fast road's, once built. Any: an instance of one of the models.
        self.read: Callable[[object], Any] = self._build_and_read
        #: ``explain(data, *, strict)``: the event, or DecodeError with every
        #: error and its path; ``_explain.explain`` for these models, once loaded.
        self.explain: Callable[..., Any] = self._load_and_explain

    def _build_and_read(self, data: object) -> Any:
        return self.fast_road().decode(data)

    def fast_road(self) -> FastRoad:
        """Return the fast road of these models, building it on first use, as ``read`` from then on."""
        if self._road is None:
            self._road = FastRoad(self.models)
            self.read = self._road.decode
        return self._road

    def _load_and_explain(self, data: object, *, strict: bool) -> Any:
        from . import _explain  # noqa: PLC0415 -- the first payload that takes the explaining road loads it

        self.explain = functools.partial(_explain.explain, models=self.models)
        return self.explain(data, strict=strict)


BUILTIN_MODELS: Final[Mapping[str, type]] = {"SERVICE.PLUGIN.PURCHASE": ServicePurchaseEvent}

BUILTIN: Final = Engine(BUILTIN_MODELS)
"""The engine of ``plenty_events.decode``: the built-in models only."""
