"""Run the code examples of the documentation as tests, with Sybil; choose the quick parser.

Collected: the Markdown files ``README.md`` and ``docs/*.md``. In them,

- a ```` ```python ```` block is run as a script, or as a doctest when it
  holds ``>>>`` prompts; the blocks of one page share one namespace, in
  page order;
- ``<!-- invisible-code-block: python ... -->`` is run without being shown;
- ``<!-- skip: next ... -->`` skips the next example, for instance
  ``<!-- skip: next if(not has("flask"), reason="needs Flask") -->``.

Examples run with the repository root as the working directory, so
``open("examples/service-purchase.json", "rb")`` works from any page.

``--json-parser=stdlib`` runs the whole suite with the standard library's
parser on the quick path, as a default install has it, even where msgspec
(the ``speedups`` extra) is installed.
"""

from __future__ import annotations

import doctest
import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser

ROOT = Path(__file__).parent


def has(module: str) -> bool:
    """Tell whether ``module`` can be imported, for conditional skips."""
    return importlib.util.find_spec(module) is not None


def _setup(namespace: dict[str, Any]) -> None:
    namespace["_previous_cwd"] = Path.cwd()
    os.chdir(ROOT)
    namespace["has"] = has
    # Each page runs like a script, so that ``Flask(__name__)`` works.
    namespace["__name__"] = "__main__"


def _teardown(namespace: dict[str, Any]) -> None:
    os.chdir(namespace["_previous_cwd"])


pytest_collect_file = Sybil(
    parsers=[
        PythonCodeBlockParser(doctest_optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE),
        SkipParser(),
    ],
    patterns=["README.md", "docs/*.md"],
    setup=_setup,
    teardown=_teardown,
).pytest()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--json-parser``."""
    parser.addoption(
        "--json-parser",
        choices=["installed", "stdlib"],
        default="installed",
        help="the quick path's parser: the fastest installed (default), or the standard library's",
    )


@pytest.fixture(autouse=True, scope="session")
def _json_parser(request: pytest.FixtureRequest) -> Iterator[None]:
    from plenty_events import _json  # noqa: PLC0415 -- imported under coverage, not before

    with pytest.MonkeyPatch.context() as patch:
        if request.config.getoption("--json-parser") == "stdlib":
            patch.setattr(_json, "quick_loads", lambda: _json.stdlib_loads)
        yield
