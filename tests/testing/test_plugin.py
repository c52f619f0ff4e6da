"""The pytest plugin: installed through its entry point, its fixtures serve a downstream project's tests.

Each test runs a pytest session of its own with pytester, in a directory
of its own, where the plugin loads from the package's entry point as it
does in a user's project (this suite turns it off for itself).
"""

import pytest

pytest_plugins = ["pytester"]

SAMPLE_TESTS = """
import plenty_events
from plenty_events.testing import sample_payload, to_json


def test_body(plenty_sample_body):
    assert plenty_sample_body == to_json(sample_payload())


def test_payload(plenty_sample_payload):
    plenty_sample_payload["id"] = "changed"


def test_payload_is_fresh(plenty_sample_payload):
    assert plenty_sample_payload["id"] == "evt_553ea8a294e2d3a75d5086a06fb53f5a"


def test_event(plenty_sample_event):
    assert plenty_sample_event == plenty_events.decode(sample_payload(), strict=True)
"""

CLIENT_CONFTEST = """
import plenty_events
import pytest


def receiver(environ, start_response):
    body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
    try:
        event = plenty_events.decode(body)
    except plenty_events.DecodeError as exc:
        start_response("422 Unprocessable Content", [("Content-Type", "application/json")])
        return [exc.to_json().encode()]
    start_response("202 Accepted", [("Content-Type", "text/plain")])
    return [event.id.encode()]


@pytest.fixture
def plenty_app():
    return receiver
"""

CLIENT_TESTS = """
def test_accepts_the_sample(plenty_client, plenty_sample_body):
    answer = plenty_client.post(plenty_sample_body, path="/webhooks/token")
    assert (answer.status, answer.body) == (202, b"evt_553ea8a294e2d3a75d5086a06fb53f5a")


def test_rejects_junk(plenty_client):
    answer = plenty_client.post(b"[]")
    assert answer.status == 422
    assert answer.json()["errors"][0]["code"] == "object_type"
"""


def test_the_sample_fixtures_come_with_the_package(pytester):
    """Installed plenty-events gives any test session the sample body, payload (fresh per test) and event fixtures."""
    pytester.makepyfile(SAMPLE_TESTS)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=4)


def test_the_client_fixture_calls_the_projects_app(pytester):
    """plenty_client posts to the WSGI app of the project's own plenty_app fixture and returns its answers."""
    pytester.makeconftest(CLIENT_CONFTEST)
    pytester.makepyfile(CLIENT_TESTS)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_the_client_fixture_says_what_it_needs(pytester):
    """Without a plenty_app fixture, plenty_client fails the test with a message saying to define one."""
    pytester.makepyfile("def test_client(plenty_client):\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*define it in your conftest.py*"])


def test_the_plugin_can_be_turned_off(pytester):
    """-p no:plenty_events removes the fixtures, as for any pytest plugin."""
    pytester.makepyfile("def test_body(plenty_sample_body):\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:plenty_events")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'plenty_sample_body' not found*"])


@pytest.mark.parametrize("name", ["plenty_sample_body", "plenty_sample_event", "plenty_client"])
def test_the_fixtures_are_listed_with_their_docstrings(pytester, name):
    """The --fixtures list of pytest shows each fixture of the plugin with its one-line description."""
    result = pytester.runpytest("-p", "no:cacheprovider", "--fixtures")
    result.stdout.fnmatch_lines([f"{name}*", "*[A-Z]*"])
