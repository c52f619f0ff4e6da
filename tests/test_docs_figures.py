"""The performance figures the docs show are bench/figures.py's, from a full run on every supported Python."""

from __future__ import annotations

import re
from importlib.metadata import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "docs" / "figures"
PAGES = sorted((ROOT / "docs").glob("*.md"))
GENERATED = "<!-- Written by bench/figures.py: do not edit, run it again. -->"
SNIPPET = re.compile(r'^--8<-- "(?P<path>[^":]+)(?::(?P<section>[\w-]+))?"$', re.MULTILINE)
HEADER = re.compile(
    r"^CPython (?P<version>3\.\d+)\.\d+ on .+, \d+ CPUs, \d{4}-\d{2}-\d{2} \(UTC\); "
    r"load average [\d.]+( to [\d.]+)? at the start of the runs; `(?P<command>[^`]+)`\.$",
    re.MULTILINE,
)


def supported_versions() -> list[str]:
    """The Python versions the package's classifiers name."""
    prefix = "Programming Language :: Python :: "
    classifiers = metadata("plenty-events").get_all("Classifier") or []
    return [c.removeprefix(prefix) for c in classifiers if re.fullmatch(r"3\.\d+", c.removeprefix(prefix))]


def included_figures() -> list[tuple[str, Path, str | None]]:
    """(page, figure file, section) for every figure file a page includes."""
    found = []
    for page in PAGES:
        for match in SNIPPET.finditer(page.read_text(encoding="utf-8")):
            path = ROOT / match.group("path")
            if path.parent == FIGURES:
                found.append((page.name, path, match.group("section")))
    return found


FILES = sorted(FIGURES.glob("*.md"))


def test_the_performance_page_shows_every_supported_python():
    """performance.md includes the figure file of each Python version the classifiers name, and there is one."""
    versions = supported_versions()
    assert versions
    included = {path for page, path, _ in included_figures() if page == "performance.md"}
    assert {FIGURES / f"performance-{version}.md" for version in versions} <= included


def test_every_figure_file_is_shown():
    """No figure file lies unused: each is included by a page."""
    assert FILES
    assert set(FILES) == {path for _page, path, _section in included_figures()}


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_each_figure_file_says_how_it_was_made(path):
    """Written by bench/figures.py, no smoke run, 3 runs or more: interpreter, date, load and command on top."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith(GENERATED + "\n")
    header = HEADER.search(text)
    assert header is not None
    command = header.group("command").split()
    assert command[:2] == ["python", "bench/figures.py"]
    assert not {"--quick", "--here", "--out"} & {word.split("=")[0] for word in command}
    if path.name.startswith("performance-"):
        assert path.name == f"performance-{header.group('version')}.md"
        runs = re.search(r"over (\d+) runs of `python bench/run.py`", text)
        assert runs is not None
        assert int(runs.group(1)) >= 3


def test_each_included_section_is_in_its_file():
    """A page's include of a section names one that the figure file marks; the page would show nothing else."""
    for _page, path, section in included_figures():
        if section is not None:
            text = path.read_text(encoding="utf-8")
            assert f"<!-- --8<-- [start:{section}] -->" in text
            assert f"<!-- --8<-- [end:{section}] -->" in text


def section_ratios(path: Path, section: str) -> dict[str, float]:
    """The rows of the tables in a figure file's section: first cell to last, where the last is a ratio (``0.63x``)."""
    text = path.read_text(encoding="utf-8")
    body = text.split(f"<!-- --8<-- [start:{section}] -->", 1)[1].split(f"<!-- --8<-- [end:{section}] -->", 1)[0]
    rows = {}
    for line in body.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and re.fullmatch(r"\d+\.\d+x", cells[-1]):
            rows[cells[0]] = float(cells[-1].removesuffix("x"))
    return rows


def test_the_archives_page_says_what_its_figures_show():
    """archives.md's words on the collector and the process pool hold in the figures it includes."""
    figures = FIGURES / "archives.md"
    gc = section_ratios(figures, "gc")
    # "switch the collector off for the load ... Raising the first generation's threshold, or freezing
    # every 10,000 events during the load, helps less."
    off = gc["kept, gc off for the load"]
    assert off < min(gc["kept, gc.freeze() every 10,000"], gc["kept, gen0 threshold 100,000"]) < gc["kept, gc on"]
    pool = section_ratios(figures, "pickle")
    # "A pool that sends the events back ... is slower than one process"; with counts sent back, faster.
    assert pool["2 workers, events sent back"] > pool["one process, tally"] > pool["2 workers, tally sent back"]
