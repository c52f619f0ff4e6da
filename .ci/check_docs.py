"""Prove that the docs build fails on a broken reference, so that its passing means something.

Builds copies of the site with ``mkdocs build --strict``, each with one
defect put in, and fails unless every build fails and names the defect:

- a cross-reference to no object, in a page and in a docstring;
- a link to a page that does not exist;
- a docstring that documents a parameter the function does not have.

Usage: python .ci/check_docs.py, from the repository root, with the docs
dependency group installed.
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
# What the build reads: the config, the pages, the package for mkdocstrings,
# and the files the pages include with snippets (a benchmark peer's models).
NEEDED = ["mkdocs.yml", "docs", "src", "examples", "bench", "CHANGELOG.md", "README.md"]


class Defect(NamedTuple):
    """One defect, where it goes, and what the failing build must say about it."""

    name: str
    path: str
    old: str
    new: str
    expected: str


DEFECTS = [
    Defect(
        "a cross-reference to no object, in a page",
        "docs/index.md",
        "- [API reference](api.md).",
        "- [API reference](api.md), with [decode][plenty_events.no_such_object].",
        "plenty_events.no_such_object",
    ),
    Defect(
        "a cross-reference to no object, in a docstring",
        "src/plenty_events/_encode.py",
        '"""Return the wire-format mapping of an event.',
        '"""Return the wire-format mapping of an event, see [it][plenty_events.no_such_object].',
        "plenty_events.no_such_object",
    ),
    Defect(
        "a link to a page that does not exist",
        "docs/index.md",
        "- [API reference](api.md).",
        "- [API reference](no-such-page.md).",
        "no-such-page.md",
    ),
    Defect(
        "a documented parameter the function does not have",
        "src/plenty_events/_encode.py",
        "        event: An event, as for [to_dict][plenty_events.to_dict].",
        "        event: An event, as for [to_dict][plenty_events.to_dict].\n        indent: Not a parameter.",
        "Parameter 'indent' does not appear in the function signature",
    ),
]


def build_with(defect: Defect, work: Path) -> str | None:
    """Build a copy of the site with one defect; return what went wrong with the check, if anything."""
    copy = work / "copy"
    shutil.rmtree(copy, ignore_errors=True)
    copy.mkdir()
    for name in NEEDED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, copy / name)
    target = copy / defect.path
    text = target.read_text(encoding="utf-8")
    if text.count(defect.old) != 1:
        return f"{defect.name}: {defect.path} no longer holds {defect.old!r} once; update .ci/check_docs.py"
    target.write_text(text.replace(defect.old, defect.new), encoding="utf-8")
    result = subprocess.run(  # noqa: S603 -- this interpreter, fixed arguments
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(work / "site")],
        cwd=copy,
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    if result.returncode == 0:
        return f"{defect.name}: the build passed"
    if defect.expected not in output:
        return f"{defect.name}: the build failed without naming {defect.expected!r}:\n{output}"
    return None


def main() -> None:
    """Build one copy per defect, and report."""
    problems = []
    with tempfile.TemporaryDirectory() as work:
        for defect in DEFECTS:
            problem = build_with(defect, Path(work))
            print(f"{'FAILED' if problem else 'ok'}: a build with {defect.name} fails")
            if problem:
                problems.append(problem)
    if problems:
        sys.exit("\n".join(problems))
    print(f"every build with a defect failed, {len(DEFECTS)} of {len(DEFECTS)}")


if __name__ == "__main__":
    main()
