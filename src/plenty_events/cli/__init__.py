"""The command line, ``plenty-events``: an application on the public API.

Each subcommand is a ``Command`` in its own
module (``validate`` and ``schema``, ``inbox``, ``send``,
``plentymarkets``); ``COMMANDS`` lists them in the order ``--help``
shows them, and ``main`` runs one. The core package never imports this
one.

Example:
    ```pycon
    >>> import io
    >>> from plenty_events.cli import main
    >>> out = io.StringIO()
    >>> main(["schema"], stdout=out)
    0
    >>> out.getvalue().startswith("{")
    True

    ```

"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from . import _app
from .inbox import INBOX
from .plentymarkets import PLENTYMARKETS
from .send import SEND
from .validate import SCHEMA, VALIDATE

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import TextIO

#: The subcommands, in the order ``plenty-events --help`` lists them.
COMMANDS: Final = (VALIDATE, SCHEMA, INBOX, SEND, PLENTYMARKETS)


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stdin: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run ``plenty-events`` with ``argv`` (default: ``sys.argv[1:]``); return the exit status.

    Args:
        argv: The arguments after the program's name.
        stdout: Where output goes (default: ``sys.stdout``).
        stdin: Where ``-`` reads from (default: ``sys.stdin``).
        stderr: Where usage errors go (default: ``sys.stderr``).

    Returns:
        The exit status, as the shell sees it.

    """
    return _app.run(COMMANDS, argv, stdout=stdout, stdin=stdin, stderr=stderr)


__all__ = ["COMMANDS", "main"]
