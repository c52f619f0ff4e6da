"""Each documentation page's visible code runs as a reader pastes it: without the hidden blocks, outside the repository.

Sybil (conftest.py) runs every block with the hidden ones, which set up
and check. This runs only what a reader sees, in order, in one namespace
per page, in an empty directory: a name defined only in a hidden block, or
a file of the repository, fails here. Every visible block of every page
runs so, skip markers or not: a block that could not would need its reason
written on the page, and an entry here.
"""

from __future__ import annotations

import doctest
import gc
import importlib.util
import re
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])

FENCE = re.compile(r"^```(?P<language>\w*)[^\n]*\n(?P<source>.*?)^```$", re.MULTILINE | re.DOTALL)


def visible_blocks(page: Path) -> list[tuple[str, list[tuple[str, bool]]]]:
    """The page's Python blocks as a reader sees them: first line, and its statements with whether they raise."""
    text = page.read_text(encoding="utf-8")
    blocks = []
    for match in FENCE.finditer(text):
        if match.group("language") not in {"python", "pycon"}:
            continue
        before = text[: match.start()]
        # A fence inside a hidden block is not visible.
        if before.count("<!--") > before.count("-->"):
            continue
        source = match.group("source")
        if source.lstrip().startswith(">>>"):
            examples = doctest.DocTestParser().get_examples(source)
            statements = [(example.source, example.exc_msg is not None) for example in examples]
        else:
            statements = [(source, False)]
        blocks.append((source.splitlines()[0], statements))
    return blocks


#: Visible blocks that run only where the deployment's variables are set, as
#: their page says; Sybil runs them with the page's hidden setup. By page, the
#: blocks' first lines.
NEEDS_THE_ENVIRONMENT = {
    "service-helper.md": (
        '"""app.py: the receiver; it stores each delivery and answers 202, the worker does the rest."""',
        ">>> from plenty_events.receiver import Worker",
    ),
}


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_the_visible_code_runs_as_pasted(page, tmp_path, monkeypatch):
    """Each visible Python block of the page runs after the ones above it, with no hidden block, outside the repo."""
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__main__"}
    # Without the hidden blocks nothing closes the pages' inboxes and
    # temporary directories: they are collected here, their warnings ignored.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            _run(page, namespace)
        finally:
            namespace.clear()
            gc.collect()


def _run(page: Path, namespace: dict[str, object]) -> None:
    for first, statements in visible_blocks(page):
        if first in NEEDS_THE_ENVIRONMENT.get(page.name, ()):
            continue
        for source, raises in statements:
            try:
                exec(compile(source, f"{page.name}: {first}", "exec"), namespace)  # noqa: S102 -- the docs' own code
            except Exception as exc:  # noqa: BLE001 -- named in the failure
                if not raises:
                    pytest.fail(f"{page.name}, block {first!r}: {type(exc).__name__}: {exc}")


def test_each_block_that_needs_the_environment_is_on_its_page():
    """Every exemption names a block that is there, on a page that says which variables it reads."""
    for name, firsts in NEEDS_THE_ENVIRONMENT.items():
        page = ROOT / "docs" / name
        assert set(firsts) <= {first for first, _ in visible_blocks(page)}
        assert "run only where the variables above are set" in page.read_text(encoding="utf-8")


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_console_sessions_are_fenced_as_pycon(page):
    """A block of >>> prompts is fenced pycon (lexed as a session, copied without prompts), never python."""
    for match in FENCE.finditer(page.read_text(encoding="utf-8")):
        if match.group("source").lstrip().startswith(">>>"):
            assert match.group("language") == "pycon", f"{page.name}: {match.group('source').splitlines()[0]}"
        if match.group("language") == "pycon":
            assert match.group("source").lstrip().startswith(">>>")


def test_the_readmes_links_are_absolute():
    """PyPI shows the README without the repository: every link in it is absolute (or an anchor)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)\s]+)\)", text) + re.findall(r"^\[[^\]]+\]:\s*(\S+)", text, re.MULTILINE)
    assert targets
    relative = [target for target in targets if not target.startswith(("https://", "http://", "#"))]
    assert relative == []


#: The page whose subject is tests: its visible asserts are the tests it shows.
TESTS_SHOWN = {"testing.md"}


CHECKED = [page for page in PAGES if page.name not in TESTS_SHOWN]


@pytest.mark.parametrize("page", CHECKED, ids=[page.name for page in CHECKED])
def test_checks_of_the_docs_are_hidden(page):
    """A page's own checks are in hidden blocks: no visible assert, but on the page that shows tests."""
    shown = [
        line.strip()
        for _first, statements in visible_blocks(page)
        for source, _raises in statements
        for line in source.splitlines()
        if line.lstrip().startswith("assert ")
    ]
    assert shown == []


def _quickstart():
    spec = importlib.util.spec_from_file_location("quickstart", ROOT / ".ci" / "quickstart.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_keeps_its_quickstart():
    """The README's Quickstart holds the two shell blocks CI runs: install and validate; upgrade pip, test."""
    first, second = _quickstart().quickstart_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert "plenty-events validate examples/service-purchase.json" in first
    assert second.rstrip().endswith("python -m pip install -e . --group tests && python -m pytest")


@pytest.mark.parametrize(
    ("readme", "reason"),
    [
        ("# plenty-events\n\n## Install\n", "no '## Quickstart' section"),
        ("## Quickstart\n\n```sh\nplenty-events validate examples/service-purchase.json\n```\n", "exactly two"),
        (
            "## Quickstart\n\n```sh\nplenty-events validate examples/service-purchase.json\n```\n\n"
            "```sh\npython -m pip install -e . --group tests && python -m pytest\n```\n",
            "block 2 must hold",
        ),
    ],
    ids=["missing", "one block", "no pip upgrade"],
)
def test_a_broken_quickstart_fails_ci(readme, reason):
    """CI's extraction refuses a README that lost the section, a block, or the pip upgrade."""
    with pytest.raises(SystemExit, match=reason):
        _quickstart().quickstart_blocks(readme)
