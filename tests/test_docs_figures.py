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
