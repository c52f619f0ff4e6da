"""MkDocs hook: the copy button of a Python console session copies its code only.

A ``pycon`` block shows prompts (``>>>``, ``...``) and output, as a session
does; pasted into Python they are syntax errors. mkdocs-material's copy
button copies an element's ``data-copy`` attribute when it has one, so each
session gets one holding the lines after its prompts, without the prompts,
the output or a traceback.
"""

from __future__ import annotations

import html
import re
from typing import Any

_SESSION = re.compile(r'(<div class="language-pycon highlight")(>.*?</code>)', re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_PROMPTS = (">>> ", "... ")


def code_of(session: str) -> str:
    """The code a console session runs: its prompted lines, without the prompts."""
    lines = []
    for line in session.splitlines():
        if line.startswith(_PROMPTS):
            lines.append(line[4:])
        elif line in {">>>", "..."}:
            lines.append("")
    return "\n".join(lines)


def _with_copy(match: re.Match[str]) -> str:
    # Line numbers are not used in these blocks: the text of <code> is the session.
    text = html.unescape(_TAG.sub("", match.group(2).removeprefix(">")))
    return f'{match.group(1)} data-copy="{html.escape(code_of(text), quote=True)}"{match.group(2)}'


def on_page_content(content: str, **_kwargs: Any) -> str:
    """Give each console session of the page the code to copy."""
    return _SESSION.sub(_with_copy, content)
