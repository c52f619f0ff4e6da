import os

from hypothesis import HealthCheck, settings

# Shared CI machines are slow and noisy: no per-example deadline, and the
# health check about slow data generation would only report the machine.
settings.register_profile(
    "default",
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", parent=settings.get_profile("default"), max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


import pathlib  # noqa: E402 -- the fixtures below come after the profiles
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

from plenty_events.receiver import MemoryInbox, SQLiteInbox  # noqa: E402

#: Every Inbox implementation the conformance suite (tests/receiver/test_inbox.py)
#: and the property tests run on: name -> maker(folder, lease). A new inbox joins here.
INBOXES: dict[str, Callable[[pathlib.Path, float], Any]] = {
    "memory": lambda _folder, lease: MemoryInbox(lease=lease),
    "sqlite": lambda folder, lease: SQLiteInbox(folder / "inbox.sqlite3", lease=lease),
}


@pytest.fixture(params=sorted(INBOXES))
def inbox_factory(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Callable[..., Any]:
    """Make an inbox of each implementation, empty, on a clock the test moves (`inbox.clock[0]`)."""
    made: list[Any] = []

    def make(lease: float = 10.0, *, folder: pathlib.Path | None = None) -> Any:
        inbox = INBOXES[request.param]((folder or tmp_path), lease)
        clock = [1_700_000_000.0]
        inbox._now = inbox._lease_now = lambda: clock[0]
        inbox.clock = clock
        made.append(inbox)
        return inbox

    make.name = request.param  # type: ignore[attr-defined]
    yield make  # type: ignore[misc]
    for inbox in made:
        if hasattr(inbox, "close"):
            inbox.close()


def pytest_configure(config):
    """Register the `live` marker here, so that a run without this checkout's pyproject.toml knows it too."""
    config.addinivalue_line(
        "markers", "live: calls a real plentymarkets system; deselected unless --plentymarkets-live is given"
    )


def pytest_addoption(parser):
    """`--plentymarkets-live`: also run the tests against a real plentymarkets system (marker `live`)."""
    parser.addoption(
        "--plentymarkets-live",
        action="store_true",
        help="run the tests marked `live` against the plentymarkets system named by the PLENTY_* variables",
    )


def pytest_collection_modifyitems(config, items):
    """Deselect the `live` tests unless asked for: CI has no system to call, and shows no skip for them."""
    if config.getoption("--plentymarkets-live"):
        return
    live = [item for item in items if item.get_closest_marker("live")]
    if live:
        config.hook.pytest_deselected(items=live)
        items[:] = [item for item in items if not item.get_closest_marker("live")]
