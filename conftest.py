"""Run the code examples of the documentation as tests, with Sybil.

Collected: the Markdown files ``README.md`` and ``docs/*.md``. In them,

- a ```` ```python ```` block is run as a script, and a ```` ```pycon ````
  block (a Python console session, ``>>>`` prompts and output) as a
  doctest; the blocks of one page share one namespace, in page order;
- ``<!-- invisible-code-block: python ... -->`` is run without being shown;
- ``<!-- skip: next ... -->`` skips the next example, for instance
  ``<!-- skip: next if(not has("flask"), reason="needs Flask") -->``.

Examples run with the repository root as the working directory, so
``open("examples/service-purchase.json", "rb")`` works from any page.
"""

from __future__ import annotations

import doctest
import importlib.util
import os
from pathlib import Path
from typing import Any

from sybil import Sybil
from sybil.evaluators.python import PythonEvaluator
from sybil.parsers.markdown import CodeBlockParser, PythonCodeBlockParser, SkipParser

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


class _ConsoleParser(PythonCodeBlockParser):
    """Python console sessions, fenced as ``pycon`` so that they are highlighted and copied as such."""

    def __init__(self, doctest_optionflags: int) -> None:
        super().__init__(doctest_optionflags=doctest_optionflags)
        self.codeblock_parser = CodeBlockParser("pycon", PythonEvaluator(()))


_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

pytest_collect_file = Sybil(
    parsers=[
        PythonCodeBlockParser(doctest_optionflags=_FLAGS),
        _ConsoleParser(doctest_optionflags=_FLAGS),
        SkipParser(),
    ],
    patterns=["README.md", "docs/*.md"],
    setup=_setup,
    teardown=_teardown,
).pytest()
