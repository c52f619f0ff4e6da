"""The command line: streaming validation, the summary, escaping, exit codes, and the schema."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import plenty_events
from plenty_events.cli import main
from plenty_events.cli import validate as _cli
from plenty_events.testing import sample_payload, to_json

EXAMPLE = "examples/service-purchase.json"
SAMPLE = to_json(sample_payload())
VALID = "valid evt_553ea8a294e2d3a75d5086a06fb53f5a SERVICE.PLUGIN.PURCHASE, customer #1337 J*** D***, total gross 49"


def run(*argv, stdin=b"", stderr=None):
    """Run the command line in this process: (exit status, stdout)."""
    out = io.StringIO()
    streams = {"stdout": out, "stdin": io.TextIOWrapper(io.BytesIO(stdin))}
    status = main(list(argv), **streams, **({} if stderr is None else {"stderr": stderr}))
    return status, out.getvalue()


def replaced(old: bytes, new: bytes) -> bytes:
    assert old in SAMPLE
    return SAMPLE.replace(old, new, 1)


def results(out: str) -> list[str]:
    """The output without its summary."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("summary: "))
    return lines[:start]


# -- what the old command line did, kept ---------------------------------------


def test_a_valid_file_prints_a_summary_and_exits_0():
    """A valid payload prints id, type, customer (masked) and total gross, then the summary, and exits 0."""
    status, out = run("validate", EXAMPLE)
    assert status == 0
    assert out == (f"{EXAMPLE}:1: {VALID}\nsummary: 1 file, 1 payload: 1 valid (0 repaired), 0 invalid\n")


def test_json_lines_are_validated_one_by_one_with_their_line_numbers(tmp_path):
    """A JSON Lines file gets one result per line, invalid ones with FILE:LINE and every error."""
    bad = sample_payload()
    bad["resource"]["contact"]["id"] = "x"
    bad["resource"]["order"]["orderItems"][0]["quantity"] = True
    second = sample_payload()
    second["resource"]["order"]["orderItems"].append(dict(second["resource"]["order"]["orderItems"][0]))
    path = tmp_path / "events.jsonl"
    path.write_bytes(SAMPLE + b"\n\n" + to_json(bad) + b"\n" + to_json(second) + b"\n")
    status, out = run("validate", "--strict", str(path))
    assert status == 1
    assert results(out) == [
        f"{path}:1: {VALID}",
        f"{path}:3: invalid, 2 errors",
        "  $.resource.contact.id: expected an integer, got a string [int_type]",
        "  $.resource.order.orderItems[0].quantity: expected a number, got a boolean [number_type]",
        f"{path}:4: {VALID.replace('gross 49', 'gross 98')}",
    ]


def test_stdin_is_read_for_a_dash():
    """'-' reads JSON Lines from standard input."""
    status, out = run("validate", "-", stdin=SAMPLE + b"\n" + SAMPLE)
    assert status == 0
    assert results(out) == [f"-:1: {VALID}", f"-:2: {VALID}"]


def test_lenient_mode_is_the_default_and_prints_repairs():
    """Without --strict, payloads are decoded leniently and each repair is printed."""
    body = replaced(b'"DE"', b'"deu"')
    status, out = run("validate", "-", stdin=body)
    assert status == 0
    assert out.splitlines()[1] == (
        "  repaired: $.resource.address.country: mapped an ISO alpha-3 country code to alpha-2 [country_alpha3]"
    )
    assert run("validate", "--strict", "-", stdin=body)[0] == 1


def test_json_format_prints_one_result_object_per_payload_then_the_summary():
    """--format json prints machine-readable results, one JSON object per line, the summary last."""
    status, out = run("validate", "--format", "json", "-", stdin=SAMPLE + b"\n" + b'{"id": 1}\n')
    first, second, summary = map(json.loads, out.splitlines())
    assert status == 1
    assert first == {
        "file": "-",
        "line": 1,
        "valid": True,
        "id": "evt_553ea8a294e2d3a75d5086a06fb53f5a",
        "type": "SERVICE.PLUGIN.PURCHASE",
        "customer": {"contactId": 1337, "name": "J*** D***"},
        "totalGross": "49",
        "totalGrossExact": True,
        "repairs": [],
    }
    assert second["valid"] is False
    assert [e["path"] for e in second["errors"]] == ["$.type", "$.createdAt", "$.resource"]
    assert summary["summary"]["payloads"] == 2


def test_an_unknown_event_type_is_summarised_without_a_customer():
    """A lenient UnknownEvent has no customer or total to show."""
    body = b'{"id":"e","type":"X.Y","createdAt":0,"resource":{}}'
    assert results(run("validate", "-", stdin=body)[1]) == ["-:1: valid e X.Y, no model for this type, kept raw"]


def test_a_json_file_is_one_payload_even_over_several_lines(tmp_path):
    """A .json file is one payload: pretty-printed, or broken with its error at the right line."""
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps(json.loads(SAMPLE), indent=2))
    assert results(run("validate", str(pretty))[1]) == [f"{pretty}:1: {VALID}"]
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "id": "x",\n')
    status, out = run("validate", str(broken))
    assert status == 1
    assert out.splitlines()[1].startswith("  $: invalid JSON at line 3")


def test_an_empty_json_file_is_invalid(tmp_path):
    """An empty .json file is one empty payload, which is not JSON."""
    path = tmp_path / "empty.json"
    path.write_bytes(b"")
    assert run("validate", str(path))[0] == 1


def test_invalid_output_shows_no_personal_values():
    """Errors name paths and reasons, never the customer's values."""
    body = replaced(b'"john@account.com"', b'["john@account.com"]')
    status, out = run("validate", "--strict", "-", stdin=body)
    assert status == 1
    assert "john" not in out.lower()
    assert "Doe" not in out


@pytest.mark.parametrize(
    "argv",
    [
        ["frobnicate"],
        [],
        ["validate"],
        ["validate", "--format", "xml", EXAMPLE],
        ["validate", "--json", "--jsonl", EXAMPLE],
        ["validate", "--quiet", "--errors-only", EXAMPLE],
        ["validate", "--max-bytes", "0", EXAMPLE],
        ["validate", "--form", "json", EXAMPLE],
    ],
)
def test_usage_errors_exit_2(argv, capsys):
    """Unknown commands and options, missing or conflicting arguments exit 2 with a message on stderr."""
    assert run(*argv)[0] == 2
    assert capsys.readouterr().err.splitlines()[-1].startswith("plenty-events: error:")


@pytest.mark.parametrize(
    ("argv", "usage"),
    [
        (["validate"], "usage: plenty-events validate [-h] [--strict]"),
        ([], "usage: plenty-events [-h] [--version] COMMAND ..."),
        (["schema", "x"], "usage: plenty-events [-h] [--version] COMMAND ..."),
    ],
)
def test_a_usage_error_starts_with_the_usage_line(argv, usage, capsys):
    """As argparse does, a usage error prints the usage of the command first, then the error."""
    assert run(*argv)[0] == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(usage)
    assert err[-1].startswith("plenty-events: error: ")
    assert run(*argv, "--format", "json")[0] == 2
    assert json.loads(capsys.readouterr().err)["error"]["usage"].startswith(usage)


def test_a_usage_error_of_a_command_has_no_usage_line(capsys):
    """An error found after parsing, such as --max-bytes 0, is the error line alone."""
    assert run("validate", "--max-bytes", "0", EXAMPLE)[0] == 2
    assert capsys.readouterr().err == "plenty-events: error: --max-bytes must be at least 1\n"


def test_help_lists_every_command():
    """plenty-events --help names each command, in the list and in the description."""
    status, out = run("--help")
    assert status == 0
    listed = out.split("positional arguments:")[1]
    described = out.split("positional arguments:")[0]
    for command in ("validate", "schema", "inbox", "send"):
        assert f"    {command} " in listed
        assert f"({command})" in described


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


# -- the format: by flag or extension, never guessed ---------------------------


def test_a_broken_first_line_does_not_make_a_json_lines_file_one_payload(tmp_path):
    """A .jsonl file whose first line is broken is still read line by line: the good lines are checked."""
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"id": \n' + SAMPLE + b"\n" + replaced(b"1337", b'"x"') + b"\n")
    status, out = run("validate", "--strict", str(path))
    assert status == 1
    lines = results(out)
    assert lines[0] == f"{path}:1: invalid, 1 error"
    assert lines[2] == f"{path}:2: {VALID}"
    assert lines[3] == f"{path}:3: invalid, 1 error"


def test_a_deeply_nested_first_line_is_one_invalid_line(tmp_path):
    """A first line nested 100,000 deep is a json_depth error at line 1, not a crash; the next line is checked."""
    path = tmp_path / "deep.jsonl"
    path.write_bytes(b"[" * 100_000 + b"\n" + SAMPLE + b"\n")
    status, out = run("validate", str(path))
    assert status == 1
    assert results(out) == [
        f"{path}:1: invalid, 1 error",
        "  $: the body nests deeper than 64 levels [json_depth]",
        f"{path}:2: {VALID}",
    ]


@pytest.mark.parametrize(
    ("name", "flag", "payloads"),
    [
        ("a.jsonl", None, 2),
        ("a.ndjson", None, 2),
        ("a.NDJSON", None, 2),
        ("a.txt", None, 2),
        ("a.json", None, 1),
        ("a.json", "--jsonl", 2),
        ("a.jsonl", "--json", 1),
        ("a.jsonl.gz", None, 2),
        ("a.json.gz", None, 1),
        ("a.json.gz", "--jsonl", 2),
    ],
)
def test_json_lines_or_one_payload_is_decided_by_flag_or_extension(tmp_path, name, flag, payloads):
    """The flag wins; else .json means one payload, and anything else JSON Lines; .gz is unpacked."""
    data = SAMPLE + b"\n" + SAMPLE + b"\n"
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    status, out = run("validate", "--format", "json", *([flag] if flag else []), str(path))
    assert json.loads(out.splitlines()[-1])["summary"]["payloads"] == payloads
    # Two lines read as one payload are not JSON: invalid, exit 1.
    assert status == (0 if payloads == 2 else 1)


def test_stdin_is_json_lines_unless_json_is_given():
    """Standard input is JSON Lines by default, one payload with --json."""
    pretty = json.dumps(json.loads(SAMPLE), indent=2).encode()
    assert run("validate", "-", stdin=pretty)[0] == 1
    assert results(run("validate", "--json", "-", stdin=pretty)[1]) == [f"-:1: {VALID}"]


def test_a_payload_over_max_bytes_is_rejected_as_too_long(tmp_path):
    """--max-bytes bounds each line, and a whole .json file, with payload_too_long."""
    path = tmp_path / "events.json"
    path.write_bytes(SAMPLE)
    for argv in (["--json"], ["--jsonl"]):
        status, out = run("validate", *argv, "--max-bytes", str(len(SAMPLE) - 1), str(path))
        assert status == 1
        assert results(out)[1] == f"  $: the payload is longer than {len(SAMPLE) - 1:,} bytes [payload_too_long]"
        assert run("validate", *argv, "--max-bytes", str(len(SAMPLE)), str(path))[0] == 0


# -- files and directories ------------------------------------------------------


def test_a_missing_file_is_reported_and_the_others_are_still_checked(tmp_path, capsys):
    """A file that cannot be read is reported in the output; the run goes on, and exits 2."""
    good = tmp_path / "good.jsonl"
    good.write_bytes(SAMPLE)
    missing = tmp_path / "missing.jsonl"
    status, out = run("validate", str(missing), str(good))
    assert status == 2
    assert out.splitlines() == [
        f"{missing}: cannot read: No such file or directory",
        f"{good}:1: {VALID}",
        "summary: 2 files (1 unreadable), 1 payload: 1 valid (0 repaired), 0 invalid",
    ]
    assert capsys.readouterr().err == ""


def test_an_unreadable_file_exits_2_even_when_another_is_invalid(tmp_path):
    """Exit 2 (a file not read) wins over 1 (a payload invalid): the check is incomplete."""
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"{}")
    assert run("validate", str(bad))[0] == 1
    assert run("validate", str(bad), str(tmp_path / "missing.jsonl"))[0] == 2


def test_a_directory_is_walked_for_the_payload_extensions(tmp_path):
    """A directory is walked in name order for .json, .jsonl and .ndjson files, also gzipped; others are left."""
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "c").mkdir()
    (tmp_path / "a.jsonl").write_bytes(SAMPLE)
    (tmp_path / "b" / "c" / "d.ndjson.gz").write_bytes(gzip.compress(SAMPLE + b"\n" + SAMPLE))
    (tmp_path / "b" / "e.json").write_bytes(SAMPLE)
    (tmp_path / "b" / "notes.txt").write_bytes(b"not a payload")
    (tmp_path / "b" / "f.JSON").write_bytes(SAMPLE)
    status, out = run("validate", str(tmp_path))
    assert status == 0
    names = [line.split(":")[0] for line in results(out)]
    assert names == [
        str(tmp_path / "a.jsonl"),
        str(tmp_path / "b" / "e.json"),
        str(tmp_path / "b" / "f.JSON"),
        str(tmp_path / "b" / "c" / "d.ndjson.gz"),
        str(tmp_path / "b" / "c" / "d.ndjson.gz"),
    ]
    assert out.splitlines()[-1] == "summary: 4 files, 5 payloads: 5 valid (0 repaired), 0 invalid"


def test_a_directory_that_cannot_be_listed_is_reported(tmp_path, monkeypatch):
    """A directory the walk cannot read is reported as unreadable, and the run exits 2."""
    (tmp_path / "a.jsonl").write_bytes(SAMPLE)

    def walk(top, onerror):
        onerror(PermissionError(13, "Permission denied", str(Path(top) / "locked")))
        yield str(top), [], ["a.jsonl"]

    monkeypatch.setattr(_cli.os, "walk", walk)
    status, out = run("validate", str(tmp_path))
    assert status == 2
    assert out.splitlines()[:2] == [
        f"{tmp_path / 'locked'}: cannot read: Permission denied",
        f"{tmp_path}/a.jsonl:1: {VALID}",
    ]


def test_a_directory_walk_reads_regular_files_only(tmp_path):
    """A FIFO and a symlink to /dev/zero in a walked folder are reported, never read: the run ends, exit 2."""
    (tmp_path / "a.json").write_bytes(SAMPLE)
    os.mkfifo(tmp_path / "b.json")
    (tmp_path / "c.jsonl").symlink_to("/dev/zero")
    (tmp_path / "d.json").symlink_to(tmp_path / "a.json")  # a symlink to a regular file is read
    (tmp_path / "e.json").symlink_to(tmp_path / "missing.json")  # a dangling one fails when opened
    done = subprocess.run(
        [sys.executable, "-m", "plenty_events", "validate", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stdout.splitlines()
    assert lines[:2] == [
        f"{tmp_path / 'b.json'}: cannot read: not a regular file",
        f"{tmp_path / 'c.jsonl'}: cannot read: not a regular file",
    ]
    assert lines[2:5] == [
        f"{tmp_path / 'a.json'}:1: {VALID}",
        f"{tmp_path / 'd.json'}:1: {VALID}",
        f"{tmp_path / 'e.json'}: cannot read: No such file or directory",
    ]
    assert run("validate", str(tmp_path)) == (2, done.stdout)  # the same in this process, now that it cannot hang


def test_a_corrupt_gzip_file_is_reported_after_the_lines_it_gave(tmp_path):
    """A truncated .gz reports the lines read before the cut, then the file as unreadable: exit 2."""
    path = tmp_path / "cut.jsonl.gz"
    whole = gzip.compress((SAMPLE + b"\n") * 50)
    path.write_bytes(whole[: len(whole) - 10])
    status, out = run("validate", "--format", "json", str(path))
    records = [json.loads(line) for line in out.splitlines()]
    assert status == 2
    assert records[-2] == {"file": str(path), "error": "cannot read: not a complete gzip file"}
    assert records[-1]["summary"]["unreadable"] == 1
    assert all(record["valid"] for record in records[:-2])
    not_gzip = tmp_path / "plain.jsonl.gz"
    not_gzip.write_bytes(SAMPLE)
    assert run("validate", str(not_gzip))[1].startswith(f"{not_gzip}: cannot read: not a complete gzip file\n")


def test_an_os_error_without_a_reason_is_named_by_its_type():
    """A read failure without strerror is reported by the exception's type."""
    assert _cli._reason(OSError("x")) == "OSError"
    assert _cli._reason(IsADirectoryError(21, "Is a directory")) == "Is a directory"


def test_stdin_is_read_a_line_at_a_time():
    """Each line from stdin is reported before the next is read: a pipe of any length streams."""
    out = io.StringIO()

    class Stdin(io.BytesIO):
        def readline(self, size=-1, /):
            line = super().readline(size)
            if self.tell() > len(SAMPLE) + 1:  # the second line: the first is reported by now
                assert out.getvalue().startswith(f"-:1: {VALID}")
            return line

        def read(self, _size=-1, /):
            raise AssertionError("stdin must not be read whole")

    stdin = io.TextIOWrapper(Stdin(SAMPLE + b"\n" + SAMPLE + b"\n"))
    assert main(["validate", "-"], stdout=out, stdin=stdin) == 0
    assert results(out.getvalue()) == [f"-:1: {VALID}", f"-:2: {VALID}"]


# -- what is printed ------------------------------------------------------------


ARCHIVE = b"\n".join(
    [
        SAMPLE,
        replaced(b'"DE"', b'"de"'),
        replaced(b'"DE"', b'"de"').replace(b'"quantity":1', b'"quantity":"1"'),
        replaced(b'"quantity":1', b'"quantity":1,"currency":"EUR"'),
        replaced(b"1337", b'"x"'),
        b"{nope",
    ]
)


def test_the_summary_counts_payloads_and_codes_by_path():
    """The summary counts payloads, valid, repaired and invalid, and payloads with each code at each path."""
    status, out = run("validate", "--quiet", "-", stdin=ARCHIVE)
    assert status == 1
    assert out.splitlines() == [
        "summary: 1 file, 6 payloads: 4 valid (3 repaired), 2 invalid",
        "errors (payloads with each code):",
        "  int_type: 1 (16.7%)",
        "    $.resource.contact.id: 1",
        "  json_invalid: 1 (16.7%)",
        "    $: 1",
        "repairs (payloads with each code):",
        "  country_normalized: 2 (33.3%)",
        "    $.resource.address.country: 2",
        "  key_kept: 1 (16.7%)",
        "    $.resource.order.orderItems[*].currency: 1",
        "  number_from_string: 1 (16.7%)",
        "    $.resource.order.orderItems[*].quantity: 1",
    ]


def _typed(kind: str) -> bytes:
    return to_json({**sample_payload(), "type": kind})


def test_a_multi_line_document_on_stdin_gets_a_hint(capsys):
    """Stdin holding one JSON document over several lines is JSON Lines to validate: a hint names --json."""
    with open(EXAMPLE, "rb") as file:  # noqa: PTH123 -- the shipped example
        document = file.read()
    status, out = run("validate", "-", stdin=document)
    assert status == 1
    assert "8 invalid" in out
    hint = capsys.readouterr().err
    assert hint.startswith("plenty-events: hint: no line of - is JSON: it looks like one JSON document")
    assert "--json reads each input as one payload" in hint
    assert run("validate", "--json", "-", stdin=document)[0] == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    "stdin",
    [b"{\n", b"{\n}\n" + SAMPLE, b'{"id": 1}\n{\n'],
    ids=["one line", "a valid line", "a line that is JSON"],
)
def test_no_hint_when_a_line_is_json_or_only_one_line_is_not(stdin, capsys):
    """The hint needs two lines or more, none of them JSON."""
    run("validate", "-", stdin=stdin)
    assert "hint" not in capsys.readouterr().err


def test_the_summary_counts_the_payloads_of_each_type():
    """The drift report counts valid payloads per event type, new types shown whole, others as their hint."""
    archive = b"\n".join([SAMPLE, _typed("SERVICE.PLUGIN.REFUND"), _typed("SERVICE.PLUGIN.REFUND"), _typed("Zelda Q.")])
    status, out = run("validate", "--quiet", "-", stdin=archive)
    assert status == 0
    assert out.splitlines() == [
        "summary: 1 file, 4 payloads: 4 valid (0 repaired), 0 invalid",
        "types (valid payloads of each event type):",
        "  SERVICE.PLUGIN.REFUND: 2 (50.0%)",
        "  SERVICE.PLUGIN.PURCHASE: 1 (25.0%)",
        "  Zelda Q.: 1 (25.0%)",
    ]
    status, out = run("validate", "--format", "json", "--quiet", "-", stdin=archive)
    assert json.loads(out)["summary"]["types"] == {
        "SERVICE.PLUGIN.PURCHASE": 1,
        "SERVICE.PLUGIN.REFUND": 2,
        "Zelda Q.": 1,
    }


def test_the_types_counted_are_bounded(monkeypatch):
    """Past MAX_SUMMARY_PATHS distinct types, a new type is counted as one of the other types."""
    monkeypatch.setattr(_cli, "MAX_SUMMARY_PATHS", 2)
    archive = b"\n".join(_typed(f"SERVICE.T{number}") for number in (1, 2, 3, 1))
    status, out = run("validate", "--quiet", "-", stdin=archive)
    assert status == 0
    assert out.splitlines()[1:] == [
        "types (valid payloads of each event type):",
        "  SERVICE.T1: 2 (50.0%)",
        "  SERVICE.T2: 1 (25.0%)",
        "  other types: 1",
    ]
    status, out = run("validate", "--format", "json", "--quiet", "-", stdin=archive)
    assert json.loads(out)["summary"]["otherTypes"] == 1


def test_the_json_summary_has_the_same_counts():
    """--format json ends with a summary object: the drift report as data."""
    status, out = run("validate", "--format", "json", "--quiet", "-", stdin=ARCHIVE)
    assert status == 1
    assert json.loads(out) == {
        "summary": {
            "files": 1,
            "unreadable": 0,
            "payloads": 6,
            "valid": 4,
            "repaired": 3,
            "invalid": 2,
            "types": {"SERVICE.PLUGIN.PURCHASE": 4},
            "otherTypes": 0,
            "errors": {
                "int_type": {"payloads": 1, "paths": {"$.resource.contact.id": 1}, "otherPaths": 0},
                "json_invalid": {"payloads": 1, "paths": {"$": 1}, "otherPaths": 0},
            },
            "repairs": {
                "country_normalized": {"payloads": 2, "paths": {"$.resource.address.country": 2}, "otherPaths": 0},
                "key_kept": {
                    "payloads": 1,
                    "paths": {"$.resource.order.orderItems[*].currency": 1},
                    "otherPaths": 0,
                },
                "number_from_string": {
                    "payloads": 1,
                    "paths": {"$.resource.order.orderItems[*].quantity": 1},
                    "otherPaths": 0,
                },
            },
        }
    }


def test_a_payload_is_counted_once_per_code_and_path():
    """Two items with the same repair count one payload, at one [*] path."""
    two = sample_payload()
    item = two["resource"]["order"]["orderItems"][0]
    item["quantity"] = "1"
    two["resource"]["order"]["orderItems"].append(dict(item))
    out = run("validate", "--quiet", "-", stdin=to_json(two))[1]
    assert out.splitlines()[-2:] == [
        "  number_from_string: 1 (100.0%)",
        "    $.resource.order.orderItems[*].quantity: 1",
    ]


def test_the_summary_keeps_a_bounded_number_of_paths(monkeypatch):
    """Past MAX_SUMMARY_PATHS distinct paths, further paths are counted as 'other paths'."""
    monkeypatch.setattr(_cli, "MAX_SUMMARY_PATHS", 2)
    lines = [replaced(b'"quantity":1', f'"quantity":1,"k{n}":0'.encode()) for n in range(4)]
    status, out = run("validate", "--quiet", "-", stdin=b"\n".join([*lines, lines[0]]))
    assert status == 0
    assert out.splitlines()[-4:] == [
        "  key_kept: 5 (100.0%)",
        "    $.resource.order.orderItems[*].k0: 2",
        "    $.resource.order.orderItems[*].k1: 1",
        "    other paths: 2",
    ]


def test_errors_only_prints_the_invalid_payloads_and_the_summary():
    """--errors-only leaves out valid payloads; the summary still counts them."""
    status, out = run("validate", "--errors-only", "-", stdin=ARCHIVE)
    assert status == 1
    assert results(out) == [
        "-:5: invalid, 1 error",
        "  $.resource.contact.id: expected an integer, got a string [int_type]",
        "-:6: invalid, 1 error",
        "  $: invalid JSON at line 1 column 2: expecting property name enclosed in double quotes [json_invalid]",
    ]
    assert out.splitlines()[len(results(out))].startswith("summary: 1 file, 6 payloads")


def test_quiet_prints_the_summary_and_unreadable_files_only(tmp_path):
    """--quiet prints no payload, but still every file that cannot be read, and the summary."""
    status, out = run("validate", "-q", "-", str(tmp_path / "gone.jsonl"), stdin=ARCHIVE)
    assert status == 2
    assert out.splitlines()[:2] == [
        f"{tmp_path / 'gone.jsonl'}: cannot read: No such file or directory",
        "summary: 2 files (1 unreadable), 6 payloads: 4 valid (3 repaired), 2 invalid",
    ]


def test_text_output_escapes_control_characters_in_sender_values():
    """Newlines, ANSI escapes, bidi overrides and lone surrogates in ids, types, names and keys are escaped."""
    hostile = [
        replaced(b'"evt_553ea8a294e2d3a75d5086a06fb53f5a"', b'"evt\\nforged: valid \\u001b[2J"'),
        replaced(b'"John"', b'"\\u001b[31mJohn"').replace(b'"Doe"', b'"\\u202eDoe"'),
        replaced(b'"quantity":1', b'"quantity":1,"a\\nb\\u0085":0'),
        b'{"id":"e\\u0085","type":"X\\u2028Y\\u007f","createdAt":0,"resource":{}}',
    ]
    status, out = run("validate", "-", stdin=b"\n".join(hostile))
    assert status == 0
    lines = results(out)
    assert lines[0] == "-:1: " + VALID.replace("evt_553ea8a294e2d3a75d5086a06fb53f5a", "evt\\x0aforged: valid \\x1b[2J")
    assert lines[1] == "-:2: " + VALID.replace("J*** D***", "\\x1b*** \\u202e***")
    assert lines[3] == (
        '  repaired: $.resource.order.orderItems[0]["a***"]: kept a key that is not part of the '
        "wire format in extra [key_kept]"
    )
    assert lines[4] == "-:4: valid e\\x85 X\\u2028Y\\x7f, no model for this type, kept raw"
    assert len(lines) == 5
    assert all(char.isprintable() for char in out.replace("\n", ""))


def test_json_output_is_ascii():
    """JSON output escapes controls and everything beyond ASCII: any stdout can take it."""
    body = b'{"id":"\\u00e9\\u001b\\u2028","type":"X","createdAt":0,"resource":{}}'
    out = run("validate", "--format", "json", "-", stdin=body)[1]
    assert out.isascii()
    assert "\x1b" not in out
    assert json.loads(out.splitlines()[0])["id"] == "\u00e9\x1b\u2028"


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS file systems refuse names that are not UTF-8")
def test_a_file_name_that_is_not_utf8_does_not_crash_a_strict_utf8_stdout(tmp_path):
    """A file name with bytes that are not UTF-8 is shown with escapes, also on a strict UTF-8 stdout."""
    directory = os.fsencode(tmp_path)
    name = directory + b"/caf\xe9\x1b.jsonl"
    with open(name, "wb") as file:  # noqa: PTH123 -- a bytes path
        file.write(SAMPLE)
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict", "PYTHONUTF8": "0", "LC_ALL": "C.UTF-8"}
    for argv in ([os.fsdecode(name)], [os.fsdecode(directory)], ["--format", "json", os.fsdecode(name)]):
        done = subprocess.run(
            [sys.executable, "-m", "plenty_events", "validate", *argv], capture_output=True, check=False, env=env
        )
        assert (done.returncode, done.stderr) == (0, b"")
        assert f"{tmp_path}/caf\\xe9\\x1b.jsonl".encode() in done.stdout.replace(b"\\\\", b"\\")


def test_a_tiny_price_gives_a_bounded_total():
    """A price of 1e-999999999 is summed in 34 digits, shown as approximate, never with a billion digits."""
    body = replaced(b'"priceGross":49', b'"priceGross":1e-999999999')
    body = body.replace(b'"orderItems":[', b'"orderItems":[' + SAMPLE.split(b'"orderItems":[')[1].split(b"]")[0] + b",")
    status, out = run("validate", "-", stdin=body)
    assert status == 0
    assert results(out)[0].endswith(", total gross ~49.00000000000000000000000000000000")
    record = json.loads(run("validate", "--format", "json", "-", stdin=body)[1].splitlines()[0])
    assert (record["totalGross"], record["totalGrossExact"]) == ("49.00000000000000000000000000000000", False)


def test_the_total_does_not_depend_on_the_callers_decimal_context():
    """The total is summed in its own context: a caller's tiny precision does not round it."""
    import decimal  # noqa: PLC0415

    body = replaced(b'"priceGross":49', b'"priceGross":123456.7891')
    with decimal.localcontext(prec=3):
        assert results(run("validate", "-", stdin=body)[1])[0].endswith("total gross 123456.7891")


# -- exit codes and streams -----------------------------------------------------


def test_version_prints_the_version():
    """--version prints the distribution's version and exits 0."""
    assert run("--version") == (0, f"plenty-events {plenty_events.__version__}\n")


def test_help_describes_the_options():
    """The --help of validate lists the new options and the exit codes."""
    status, out = run("validate", "--help")
    assert status == 0
    for option in ("--jsonl", "--json", "--errors-only", "--quiet", "--progress", "--max-bytes", "--format"):
        assert option in out
    assert "70 an internal error" in out
    assert "141" in out


@pytest.mark.parametrize("argv", [["validate", "--format", "json"], ["validate", "--format=json", "--nope", "x"]])
def test_usage_errors_follow_the_chosen_format(argv, capsys):
    """With --format json, a usage error is a JSON object on stderr."""
    assert run(*argv)[0] == 2
    error = json.loads(capsys.readouterr().err)
    assert error["error"]["code"] == "usage"
    assert error["error"]["message"]


def test_format_options_after_a_double_dash_are_file_names(capsys):
    """A '--format json' after '--' is not an option: the usage error is in text."""
    assert run("--nope", "--", "--format", "json")[0] == 2
    assert capsys.readouterr().err.splitlines()[-1].startswith("plenty-events: error:")


def test_a_usage_error_message_is_escaped(capsys):
    """An unknown argument with control characters is escaped in the message."""
    assert run("validate", "--x\x1b[2J", EXAMPLE)[0] == 2
    assert "\x1b" not in capsys.readouterr().err


def test_an_internal_error_exits_70_never_1(monkeypatch, capsys):
    """A bug exits 70 with the exception's type and place, not its message, and not with 1 ('invalid')."""

    def broken(*_args, **_kwargs):
        raise RuntimeError("John Doe")

    monkeypatch.setattr(_cli, "decode_lines", broken)
    assert run("validate", "-", stdin=SAMPLE)[0] == 70
    err = capsys.readouterr().err
    assert err.startswith("plenty-events: internal error: RuntimeError in test_validate.py:")
    assert "John" not in err


def test_an_interrupt_exits_130(monkeypatch, capsys):
    """Ctrl-C exits 130, the status a shell gives SIGINT, with one line on stderr."""

    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(_cli, "decode_lines", interrupted)
    assert run("validate", "-", stdin=SAMPLE)[0] == 130
    assert capsys.readouterr().err == "plenty-events: interrupted\n"


def test_a_closed_stdout_ends_the_run_quietly(tmp_path):
    """'| head -2' closes the pipe: the command stops with 141 (SIGPIPE's status) and no traceback."""
    path = tmp_path / "many.jsonl"
    path.write_bytes((SAMPLE + b"\n") * 5000)
    with subprocess.Popen(
        [sys.executable, "-m", "plenty_events", "validate", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as child:
        assert child.stdout is not None
        assert child.stderr is not None
        head = [child.stdout.readline() for _ in range(2)]
        child.stdout.close()
        err = child.stderr.read()
        status = child.wait()
    assert head[0].startswith(f"{path}:1: valid".encode())
    assert (status, err) == (141, b"")


def test_a_broken_pipe_in_process_returns_141():
    """A BrokenPipeError from the output stream, even one without a file descriptor, is 141."""

    class Closed(io.StringIO):
        def write(self, _text):
            raise BrokenPipeError

    assert main(["schema"], stdout=Closed()) == 141


def test_a_closed_pipe_is_pointed_at_devnull():
    """After a broken pipe, the stream's descriptor writes to /dev/null, so that the final flush succeeds."""
    read, write = os.pipe()
    os.close(read)
    stdout = open(write, "w", encoding="utf-8")  # noqa: PTH123, SIM115 -- a descriptor, closed below
    try:
        assert main(["schema"], stdout=stdout) == 141
        stdout.write("more")
        stdout.flush()
    finally:
        stdout.close()


# -- progress -------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_shows_on_a_terminal_and_is_erased(monkeypatch, tmp_path):
    """On a terminal, stderr shows file, its number, its share, megabytes, payloads and rate, erased before output."""
    monkeypatch.setattr(_cli._Progress, "interval", 0.0)
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_bytes((SAMPLE + b"\n") * 3)
    second.write_bytes((SAMPLE + b"\n") * 3)
    err = _Terminal()
    status, out = run("validate", str(first), str(second), "-", stdin=SAMPLE, stderr=err)
    assert status == 0
    shown = err.getvalue()
    assert f"\r\x1b[K…{str(first)[-39:]} [1/3]  33% 0 MB, 1 payload, " in shown
    assert f"\r\x1b[K…{str(first)[-39:]} [1/3] 100% 0 MB, 3 payloads, " in shown
    # The share is of the file being read: the second file starts again.
    assert f"\r\x1b[K…{str(second)[-39:]} [2/3]  33% 0 MB, 4 payloads, " in shown
    assert "\r\x1b[K- [3/3] 0 MB, 7 payloads" in shown
    assert shown.endswith("\r\x1b[K")
    assert "\x1b" not in out


def test_progress_of_a_gzipped_file_after_a_plain_one_starts_low(monkeypatch, tmp_path):
    """A .gz file's share is of its own compressed bytes: after a plain file it starts low, not at 99 %."""
    monkeypatch.setattr(_cli._Progress, "interval", 0.0)
    plain, packed = tmp_path / "a.jsonl", tmp_path / "b.jsonl.gz"
    plain.write_bytes((SAMPLE + b"\n") * 100)
    # Random ids keep it from compressing to less than gzip's read buffer
    # (128 KiB since Python 3.12), which one read would take whole.
    lines = [
        SAMPLE.replace(b"evt_553ea8a294e2d3a75d5086a06fb53f5a", os.urandom(64).hex().encode()) for _ in range(8000)
    ]
    packed.write_bytes(gzip.compress(b"\n".join(lines)))
    err = _Terminal()
    assert run("validate", "--quiet", str(plain), str(packed), stderr=err)[0] == 0
    assert packed.stat().st_size > 4 * 128 * 1024
    shares = [line.split("[2/2]")[1].split("%")[0] for line in err.getvalue().split("\r\x1b[K") if "[2/2]" in line]
    assert int(shares[0]) < 50
    assert int(shares[-1]) == 100


def test_progress_follows_the_flag_or_the_terminal(tmp_path, monkeypatch):
    """No progress in a pipe or with --no-progress; progress with --progress even in a pipe."""
    monkeypatch.setattr(_cli._Progress, "interval", 0.0)
    path = tmp_path / "a.jsonl"
    path.write_bytes(SAMPLE)
    for argv, err, shown in [
        ([], io.StringIO(), False),
        (["--no-progress"], _Terminal(), False),
        (["--progress"], io.StringIO(), True),
        ([], _Terminal(), True),
    ]:
        assert run("validate", *argv, str(path), stderr=err)[0] == 0
        assert ("1 payload" in err.getvalue()) is shown


def test_progress_redraws_at_most_every_interval(monkeypatch):
    """Between two redraws, ticks only count."""
    clock = iter([0.0, 0.1, 0.15, 0.25])
    monkeypatch.setattr(_cli.time, "monotonic", lambda: next(clock))
    err = io.StringIO()
    progress = _cli._Progress(err, 1)
    for payloads in (1, 2, 3):
        progress.tick(payloads)
    assert err.getvalue().count(" MB, ") == 2
    assert err.getvalue().endswith(" 0 MB, 3 payloads, 12/s")


def test_progress_survives_a_file_that_cannot_tell_its_position():
    """A named pipe has no position: the progress counts it as zero bytes."""

    class Pipe:
        def tell(self):
            raise OSError(29, "Illegal seek")

    progress = _cli._Progress(io.StringIO(), 1)
    progress.start(_cli._Source("fifo", "fifo", lines=True, size=0), Pipe())
    assert progress._position() == 0


# -- registration ---------------------------------------------------------------


# -- memory ---------------------------------------------------------------------

#: The generated archive: "multi-hundred-megabyte", and over twice the memory bound.
ARCHIVE_BYTES = 256 * 1024 * 1024
#: The bound on the resident memory of validate, whatever the archive's size.
MAX_RSS_BYTES = 100 * 1024 * 1024


def _block() -> bytes:
    """A thousand JSON Lines: distinct ids, one invalid and one repaired line in a hundred."""
    lines = []
    for n in range(1000):
        line = SAMPLE.replace(b"evt_553ea8a294e2d3a75d5086a06fb53f5a", f"evt_{n:032x}".encode())
        if n % 100 == 1:
            line = line.replace(b'"id":1337', b'"id":"x"')
        elif n % 100 == 2:
            line = line.replace(b'"DE"', b'"de"')
        lines.append(line + b"\n")
    return b"".join(lines)


#: Runs the command line as ``python -m plenty_events`` does, then reports the
#: process's peak resident memory on stderr. The peak comes from the process
#: itself (VmHWM), not from wait4 or getrusage(RUSAGE_CHILDREN): on Linux a
#: child started with vfork inherits its parent's peak at exec, so those
#: would count the test session's memory too.
PEAK_RSS = """
import resource, sys
from plenty_events.cli import main
status = main(sys.argv[1:])
sys.stdout.flush()
try:
    with open("/proc/self/status") as status_file:
        peak = next(int(line.split()[1]) * 1024 for line in status_file if line.startswith("VmHWM:"))
except OSError:  # no /proc: macOS, whose ru_maxrss is in bytes
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
sys.stderr.write(f"peak RSS {peak}\\n")
sys.exit(status)
"""


def test_a_large_archive_is_validated_in_constant_memory(tmp_path):
    """Validating a 256 MB archive keeps the process's peak resident memory under 100 MB (about 15 s)."""
    path = tmp_path / "archive.jsonl"
    block = _block()
    blocks = -(-ARCHIVE_BYTES // len(block))
    with path.open("wb") as file:  # written a block at a time: the test stays small too
        for _ in range(blocks):
            file.write(block)
    done = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, "validate", "--quiet", "--format", "json", str(path)],
        capture_output=True,
        check=False,
    )
    summary = json.loads(done.stdout)["summary"]
    assert (done.returncode, summary["payloads"], summary["invalid"], summary["repaired"]) == (
        1,
        1000 * blocks,
        10 * blocks,
        10 * blocks,
    )
    peak = int(done.stderr.decode().removeprefix("peak RSS "))
    assert peak < MAX_RSS_BYTES
