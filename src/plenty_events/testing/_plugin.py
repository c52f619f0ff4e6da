"""The pytest plugin of plenty-events: fixtures for testing a webhook receiver.

Installed with the package and registered through the ``pytest11`` entry
point, so that every test session in an environment with plenty-events has
these fixtures; ``-p no:plenty_events`` turns them off. They need neither
Hypothesis nor anything else beyond pytest. Each returns a fresh value, so a
test may change what it gets.

- ``plenty_sample_payload``: the documented example payload, as JSON values;
- ``plenty_sample_body``: the same, as the JSON bytes plentymarkets sends;
- ``plenty_sample_event``: the same, decoded;
- ``plenty_client``: a ``WSGIClient`` of the WSGI
  application that the project's own ``plenty_app`` fixture returns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from plenty_events import testing

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication

    from plenty_events import ServicePurchaseEvent


@pytest.fixture
def plenty_sample_payload() -> dict[str, Any]:
    """The documented example payload, as JSON values (fractions as `Decimal`)."""
    return testing.sample_payload()


@pytest.fixture
def plenty_sample_body() -> bytes:
    """The documented example payload as compact UTF-8 JSON: a delivery's body."""
    return testing.to_json(testing.sample_payload())


@pytest.fixture
def plenty_sample_event() -> ServicePurchaseEvent:
    """The documented example payload, decoded strictly."""
    return testing.sample_event()


@pytest.fixture
def plenty_app() -> WSGIApplication:
    """The WSGI application that `plenty_client` calls: define this fixture in your own conftest.py."""
    pytest.fail(
        "plenty_client calls the WSGI application of a fixture called plenty_app: define it in your conftest.py",
        pytrace=False,
    )


@pytest.fixture
def plenty_client(plenty_app: WSGIApplication) -> testing.WSGIClient:
    """A [WSGIClient][plenty_events.testing.WSGIClient] of the `plenty_app` fixture's application."""
    return testing.WSGIClient(plenty_app)
