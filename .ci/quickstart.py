"""Print one of the two shell blocks of the README's Quickstart section.

``python .ci/quickstart.py README.md 1`` prints the first block (install the
package, validate the shipped example), ``2`` the second (install the test
dependencies, run the whole suite). The section is a contract: it fails, in
words, when the section is missing, holds other than exactly two fenced shell
blocks, or a block no longer holds its command.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

SHELLS = {"sh", "shell", "bash", "console"}
# What each block must hold, in order: block 2 upgrades pip before it uses
# --group, which needs pip 25.1 or later.
REQUIRED = {
    1: ["plenty-events validate examples/service-purchase.json"],
    2: ["python -m pip install --upgrade pip", "python -m pip install -e . --group tests && python -m pytest"],
}
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def quickstart_blocks(readme: str) -> list[str]:
    """The Quickstart's two shell blocks, checked; SystemExit with the reason."""
    match = re.search(r"^## Quickstart\n(.*?)(?=^## |\Z)", readme, re.MULTILINE | re.DOTALL)
    if match is None:
        sys.exit("!! README.md has no '## Quickstart' section")
    fences = FENCE.findall(match.group(1))
    if len(fences) != 2 or any(language not in SHELLS for language, _ in fences):
        found = [language or "(none)" for language, _ in fences]
        sys.exit(f"!! the Quickstart must hold exactly two fenced shell blocks, it holds: {found}")
    blocks = [body for _, body in fences]
    for number, needles in REQUIRED.items():
        block = blocks[number - 1]
        positions = [block.find(needle) for needle in needles]
        if -1 in positions or positions != sorted(positions):
            sys.exit(f"!! Quickstart block {number} must hold, in this order: {needles}")
    return blocks


def main() -> None:
    """Print the block the command line asks for."""
    readme, number = sys.argv[1], int(sys.argv[2])
    print(quickstart_blocks(Path(readme).read_text(encoding="utf-8"))[number - 1], end="")


if __name__ == "__main__":
    main()
