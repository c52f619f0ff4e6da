"""Check the built docs site: no literal Sphinx role, and each console session copies as code that compiles.

Usage: python .ci/check_site.py SITE_DIR, after ``mkdocs build``. Every
``pycon`` block (a documentation page's, or a docstring example's in the API
reference) must carry the ``data-copy`` text that mkdocs-material's copy
button copies, and that text must be Python without prompts or output.
"""

import html
import re
import sys
from pathlib import Path

#: Sphinx roles that MkDocs shows as they are, instead of a link.
ROLE = re.compile(r":(class|func|meth|data|attr|mod|exc):`")
SESSION = re.compile(r'<div class="language-pycon highlight"( data-copy="(?P<copy>[^"]*)")?')


def main() -> None:
    """Check every page of the site; exit with the problems found."""
    site = Path(sys.argv[1])
    problems, sessions = [], 0
    for page in sorted(site.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        problems += [f"{page.relative_to(site)}: a literal {role.group()}" for role in ROLE.finditer(text)]
        for match in SESSION.finditer(text):
            sessions += 1
            where = page.relative_to(site)
            if match.group("copy") is None:
                problems.append(f"{where}: a console session without data-copy")
                continue
            code = html.unescape(match.group("copy"))
            try:
                compile(code, str(where), "exec")
            except SyntaxError as exc:
                problems.append(f"{where}: the copy of a console session is not Python: {exc}")
    if not sessions:
        problems.append("no console session found: is pygments_lang_class on?")
    if problems:
        sys.exit("check_site: " + "\n  ".join(problems))
    print(f"check_site: {sessions} console sessions copy as Python")


if __name__ == "__main__":
    main()
