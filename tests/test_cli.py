"""The command line: validate files and JSON Lines, print the schema, exit codes."""

import io
import json
import subprocess
import sys

import pytest

from plenty_events._cli import main
from plenty_events.testing import sample_payload, to_json

EXAMPLE = "examples/service-purchase.json"


class _Stdin(io.TextIOWrapper):
    pass


def run(*argv, stdin=b""):
    out = io.StringIO()
    status = main(list(argv), stdout=out, stdin=_Stdin(io.BytesIO(stdin)))
    return status, out.getvalue()


def test_a_valid_file_prints_a_summary_and_exits_0():
    """A valid payload prints id, type, customer (masked) and total gross, and exits 0."""
    status, out = run("validate", EXAMPLE)
    assert status == 0
    assert out == (
        f"{EXAMPLE}:1: valid evt_553ea8a294e2d3a75d5086a06fb53f5a SERVICE.PLUGIN.PURCHASE, "
        "customer #1337 J*** D***, total gross 49\n"
    )


def test_json_lines_are_validated_one_by_one_with_their_line_numbers(tmp_path):
    """A JSON Lines file gets one result per line, invalid ones with FILE:LINE and every error."""
    bad = sample_payload()
    bad["resource"]["contact"]["id"] = "x"
    bad["resource"]["order"]["orderItems"][0]["quantity"] = True
    second = sample_payload()
    second["resource"]["order"]["orderItems"].append(dict(second["resource"]["order"]["orderItems"][0]))
    path = tmp_path / "events.jsonl"
    path.write_bytes(to_json(sample_payload()) + b"\n\n" + to_json(bad) + b"\n" + to_json(second) + b"\n")
    status, out = run("validate", "--strict", str(path))
    assert status == 1
    assert out.splitlines() == [
        f"{path}:1: valid evt_553ea8a294e2d3a75d5086a06fb53f5a SERVICE.PLUGIN.PURCHASE, "
        "customer #1337 J*** D***, total gross 49",
        f"{path}:3: invalid, 2 errors",
        "  $.resource.contact.id: expected an integer, got a string [int_type]",
        "  $.resource.order.orderItems[0].quantity: expected a number, got a boolean [number_type]",
        f"{path}:4: valid evt_553ea8a294e2d3a75d5086a06fb53f5a SERVICE.PLUGIN.PURCHASE, "
        "customer #1337 J*** D***, total gross 98",
    ]


def test_stdin_is_read_for_a_dash():
    """'-' reads the payload from standard input."""
    status, out = run("validate", "-", stdin=to_json(sample_payload()))
    assert (status, out.startswith("-:1: valid")) == (0, True)


def test_lenient_mode_is_the_default_and_prints_repairs():
    """Without --strict, payloads are decoded leniently and each repair is printed."""
    body = to_json(sample_payload()).replace(b'"DE"', b'"deu"')
    status, out = run("validate", "-", stdin=body)
    assert status == 0
    assert out.splitlines()[1] == (
        "  repaired: $.resource.address.country: mapped an ISO alpha-3 country code to alpha-2 [country_alpha3]"
    )
    assert run("validate", "--strict", "-", stdin=body)[0] == 1


def test_json_format_prints_one_result_object_per_payload():
    """--format json prints machine-readable results, one JSON object per line."""
    body = to_json(sample_payload()) + b"\n" + b'{"id": 1}\n'
    status, out = run("validate", "--format", "json", "-", stdin=body)
    first, second = map(json.loads, out.splitlines())
    assert status == 1
    assert first == {
        "file": "-",
        "line": 1,
        "valid": True,
        "id": "evt_553ea8a294e2d3a75d5086a06fb53f5a",
        "type": "SERVICE.PLUGIN.PURCHASE",
        "customer": {"contactId": 1337, "name": "J*** D***"},
        "totalGross": "49",
        "repairs": [],
    }
    assert second["valid"] is False
    assert [e["path"] for e in second["errors"]] == ["$.type", "$.createdAt", "$.resource"]


def test_an_unknown_event_type_is_summarised_without_a_customer():
    """A lenient UnknownEvent has no customer or total to show."""
    body = b'{"id":"e","type":"X.Y","createdAt":0,"resource":{}}'
    assert run("validate", "-", stdin=body) == (0, "-:1: valid e X.Y, no model for this type, kept raw\n")


def test_an_invalid_document_spanning_lines_is_one_payload(tmp_path):
    """A pretty-printed file whose first line is not a whole JSON value is one payload."""
    path = tmp_path / "broken.json"
    path.write_text('{\n  "id": "x",\n')
    status, out = run("validate", str(path))
    assert status == 1
    assert out.splitlines()[1].startswith("  $: invalid JSON at line 3")


def test_an_empty_file_is_invalid(tmp_path):
    """An empty file is one empty payload, which is not JSON."""
    path = tmp_path / "empty.json"
    path.write_bytes(b"")
    assert run("validate", str(path))[0] == 1


def test_invalid_output_shows_no_personal_values():
    """Errors name paths and reasons, never the customer's values."""
    body = to_json(sample_payload()).replace(b'"john@account.com"', b'["john@account.com"]', 1)
    status, out = run("validate", "--strict", "-", stdin=body)
    assert status == 1
    assert "john" not in out.lower()
    assert "Doe" not in out


@pytest.mark.parametrize(
    "argv", [["validate", "missing.json"], ["frobnicate"], [], ["validate"], ["validate", "--format", "xml", EXAMPLE]]
)
def test_usage_errors_exit_2(argv, capsys):
    """Unknown commands, missing arguments and unreadable files exit 2 with a message on stderr."""
    assert run(*argv)[0] == 2
    assert capsys.readouterr().err.startswith("plenty-events: error:")


def test_schema_prints_the_json_schema():
    """Schema prints the draft 2020-12 JSON Schema of the strict wire format."""
    status, out = run("schema")
    assert status == 0
    assert json.loads(out)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_python_dash_m_runs_the_command_line():
    """Python -m plenty_events is the same command line, with the same exit codes."""
    done = subprocess.run(
        [sys.executable, "-m", "plenty_events", "validate", EXAMPLE], capture_output=True, check=False
    )
    assert done.returncode == 0
    assert done.stdout.startswith(b"examples/service-purchase.json:1: valid")
