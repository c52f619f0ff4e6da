"""The process-pool recipe of docs/archives.md: every line tallied once, as in one process."""

from __future__ import annotations

import importlib
from collections import Counter
from pathlib import Path

import pytest

from plenty_events.testing import sample_payload, to_json

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SAMPLE = to_json(sample_payload())
LINES = [
    SAMPLE,
    b"",
    SAMPLE.replace(b'"DE"', b'"de"'),
    b'{"id": 1}',
    SAMPLE.replace(b'"quantity":1', b'"quantity":"1"'),
    b"x" * 3000,
    b"{nope",
]


@pytest.fixture
def archives(monkeypatch):
    """The example module, importable by name, so that pool workers can unpickle its functions."""
    monkeypatch.syspath_prepend(str(EXAMPLES))
    return importlib.import_module("archives")


@pytest.fixture
def archive(tmp_path):
    """A small JSON Lines archive of valid, repaired, invalid, long and blank lines, with CRLF endings too."""
    path = tmp_path / "archive.jsonl"
    lines = [line + (b"\r\n" if n % 3 == 0 else b"\n") for n, line in enumerate(LINES * 7)]
    path.write_bytes(b"".join(lines) + SAMPLE)  # the last line without its newline
    return path


def test_the_tally_counts_payloads_and_codes(archives, archive):
    """The tally of one process counts valid, invalid and each code once per payload."""
    counts = archives.tally_in_one_process(archive)
    assert counts["valid"] == 3 * 7 + 1
    assert counts["invalid"] == 3 * 7
    assert counts["repair country_normalized"] == 7
    assert counts["repair number_from_string"] == 7
    assert counts["error json_invalid"] == 2 * 7


def test_byte_ranges_cover_the_file_once(archives):
    """The ranges are contiguous, cover every byte once, and are at most as many as asked."""
    for size in (0, 1, 5, 1000, 1001):
        for parts in (1, 2, 3, 7, 2000):
            ranges = archives.byte_ranges(size, parts)
            assert len(ranges) <= parts
            assert [byte for start, end in ranges for byte in range(start, end)] == list(range(size))


def test_any_cut_into_ranges_tallies_each_line_once(archives, archive):
    """Whatever the number of ranges, inside lines or at their ends, the sum is the one-process tally."""
    expected = archives.tally_in_one_process(archive)
    size = archive.stat().st_size
    for parts in (1, 2, 3, 5, 8, 13, 64, 500, size):
        ranges = archives.byte_ranges(size, parts)
        total = sum((archives.tally_range(str(archive), start, end) for start, end in ranges), Counter())
        assert total == expected, parts


def test_a_line_longer_than_the_bound_is_one_error_in_its_range(archives, tmp_path):
    """A range holding a line over 1 MiB reports it once, as decode_lines does, and skips it in chunks."""
    path = tmp_path / "long.jsonl"
    path.write_bytes(SAMPLE + b"\n" + b"x" * (3 << 20) + b"\n" + SAMPLE + b"\n")
    size = path.stat().st_size
    for parts in (1, 2, 3, 4):
        ranges = archives.byte_ranges(size, parts)
        total = sum((archives.tally_range(str(path), start, end) for start, end in ranges), Counter())
        assert total == Counter({"valid": 2, "invalid": 1, "error payload_too_long": 1}), parts


def test_the_pool_gives_the_one_process_result(archives, archive):
    """Two worker processes, each sending back counts only, give exactly the one-process tally."""
    assert archives.tally_in_pool(archive, 2) == archives.tally_in_one_process(archive)
