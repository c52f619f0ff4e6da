"""The examples in every module's docstrings run, against the installed package."""

import doctest
import importlib
from pathlib import Path

import pytest

import plenty_events

ROOT = Path(__file__).parents[1]
PACKAGE = Path(plenty_events.__file__).parent


def _modules():
    """Every module of the installed package, by name: found on disk, imported by the test.

    ``__main__`` is left out: importing it runs the command line.
    """
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "__main__.py":
            continue
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@pytest.mark.parametrize("name", list(_modules()))
def test_docstring_examples_run(name, monkeypatch):
    """Every >>> example in the module's docstrings gives the output it shows."""
    monkeypatch.chdir(ROOT)
    module = importlib.import_module(name)
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failures == 0


def test_every_public_module_shows_an_example():
    """Each module users import (no underscore in its name) shows at least one example.

    The command modules of ``plenty_events.cli`` are left out: ``--help`` documents
    them, and ``tests/cli`` runs them.
    """
    public = [
        name
        for name in _modules()
        if not any(part.startswith("_") for part in name.split(".")) and not name.startswith("plenty_events.cli.")
    ]
    assert {"plenty_events", "plenty_events.cli", "plenty_events.receiver", "plenty_events.testing"} <= set(public)
    finder = doctest.DocTestFinder()
    assert [name for name in public if not any(t.examples for t in finder.find(importlib.import_module(name)))] == []
