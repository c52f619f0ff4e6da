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


import hashlib  # noqa: E402 -- the fixtures below come after the profiles
import pathlib  # noqa: E402
import urllib.parse  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

from plenty_events.receiver import MemoryInbox, PostgresInbox, SQLiteInbox  # noqa: E402

#: How to run the PostgreSQL tests, which need a server: said by every skip.
POSTGRES_HOW = (
    "PostgreSQL tests need a server: set PLENTY_EVENTS_POSTGRES_DSN to a database they may fill, "
    "such as postgresql://user@localhost/plenty_events_test (.ci/run starts one)"
)


def postgres_dsn() -> str:
    """The test database's DSN; without one, skip, or fail where PostgreSQL is required (CI)."""
    dsn = os.environ.get("PLENTY_EVENTS_POSTGRES_DSN", "")
    if dsn:
        return dsn
    if os.environ.get("PLENTY_EVENTS_REQUIRE_POSTGRES") or os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI runs every PostgreSQL test, and skips none: " + POSTGRES_HOW)
    pytest.skip(POSTGRES_HOW)


#: The schemas the PostgreSQL inboxes of this session were made in, dropped at its end.
POSTGRES_SCHEMAS: set[str] = set()


def postgres_url(folder: pathlib.Path) -> str:
    """A postgresql:// URL of the test database whose tables go to a schema of its own per folder.

    Empty for a new folder, the same store for the same one.
    """
    import psycopg  # noqa: PLC0415 -- only where a server is given

    dsn = postgres_dsn()
    schema = "plenty_test_" + hashlib.sha256(str(folder).encode()).hexdigest()[:16]
    if schema not in POSTGRES_SCHEMAS:
        with psycopg.connect(dsn, autocommit=True) as db:
            db.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            db.execute(f"CREATE SCHEMA {schema}")
        POSTGRES_SCHEMAS.add(schema)
    # libpq takes every parameter in a URL's query, so any DSN becomes one.
    parts = {**psycopg.conninfo.conninfo_to_dict(dsn), "options": f"-csearch_path={schema}"}
    return "postgresql://?" + urllib.parse.urlencode(parts)


def postgres_inbox(folder: pathlib.Path, lease: float) -> PostgresInbox:
    """A PostgresInbox in the schema of the folder (see postgres_url)."""
    return PostgresInbox(postgres_url(folder), lease=lease)


#: Every Inbox implementation the conformance suite (tests/receiver/test_inbox.py)
#: and the property tests run on: name -> maker(folder, lease). A new inbox joins here.
INBOXES: dict[str, Callable[[pathlib.Path, float], Any]] = {
    "memory": lambda _folder, lease: MemoryInbox(lease=lease),
    "postgres": postgres_inbox,
    "sqlite": lambda folder, lease: SQLiteInbox(folder / "inbox.sqlite3", lease=lease),
}


def pytest_sessionfinish(session):  # noqa: ARG001 -- pytest passes it by name
    """Drop the schemas the PostgreSQL tests made, so that the test database does not grow run after run."""
    if not POSTGRES_SCHEMAS:
        return
    import psycopg  # noqa: PLC0415 -- only where a server was given

    with psycopg.connect(os.environ["PLENTY_EVENTS_POSTGRES_DSN"], autocommit=True) as db:
        for schema in sorted(POSTGRES_SCHEMAS):
            db.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    POSTGRES_SCHEMAS.clear()


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
