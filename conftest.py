"""Run the code examples of the documentation as tests, with Sybil.

Collected: the Markdown files ``README.md`` and ``docs/*.md``. In them,

- a ```` ```python ```` block is run as a script, or as a doctest when it
  holds ``>>>`` prompts; the blocks of one page share one namespace, in
  page order;
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
