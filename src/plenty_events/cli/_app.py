"""The frame every subcommand runs in: its parser, streams, exit statuses and escaping.

A subcommand is a ``Command``, a value: ``plenty_events.cli`` lists
them, and ``run`` builds one parser from the list. Nothing registers
itself on import.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import traceback
from typing import TYPE_CHECKING, Any, Final, NoReturn, TextIO

import attrs

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

#: Every payload valid, every file read.
EXIT_VALID: Final = 0
#: At least one payload is invalid (and every file was read).
EXIT_INVALID: Final = 1
#: A usage error, or a file or directory that could not be read.
EXIT_USAGE: Final = 2
#: A bug: an unexpected exception. EX_SOFTWARE of sysexits.h, never 1.
EXIT_INTERNAL: Final = 70
#: Interrupted with Ctrl-C, as a shell reports SIGINT.
EXIT_INTERRUPTED: Final = 130
#: Standard output was closed early (``| head``), as a shell reports SIGPIPE.
EXIT_PIPE: Final = 141


class UsageError(Exception):
    """A command line that cannot be run: exit 2, with the message in the chosen format."""

    def __init__(self, message: str, usage: str = "") -> None:
        """Hold the message, and the usage of the (sub)command it is about, when argparse gives it."""
        super().__init__(message)
        self.usage = usage


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # The usage line first, as argparse prints it: what the command takes.
        raise UsageError(message, self.format_usage())


@attrs.frozen
class Streams:
    """Where a command reads and writes."""

    stdout: TextIO
    stdin: TextIO
    stderr: TextIO


@attrs.frozen
class Command:
    """A subcommand: its name, its help, how it adds its arguments, and how it runs."""

    name: str
    help: str
    description: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Streams], int]


@attrs.frozen
class Option:
    """An argument of an action: the names and keywords of ``add_argument``."""

    names: tuple[str, ...]
    settings: Mapping[str, Any]


def option(*names: str, **settings: Any) -> Option:
    """An argument, declared as ``add_argument`` takes it: ``option("--poll", type=float)``."""
    return Option(names, settings)


@attrs.frozen
class Action:
    """An action of a subcommand, such as ``inbox replay``: its name, its help, and its arguments."""

    name: str
    help: str
    description: str
    options: tuple[Option, ...] = ()


def add_actions(parser: argparse.ArgumentParser, actions: Iterable[Action], *, required: bool = True) -> None:
    """Give ``parser`` the ``actions``, chosen by the argument that follows; ``args.action`` names it."""
    subparsers = parser.add_subparsers(dest="action", required=required, metavar="ACTION")
    for action in actions:
        sub = subparsers.add_parser(action.name, help=action.help, description=action.description)
        for argument in action.options:
            sub.add_argument(*argument.names, **argument.settings)


def parser(commands: Iterable[Command]) -> argparse.ArgumentParser:
    """The argument parser of ``plenty-events`` with ``commands`` as its subcommands."""
    parser = _Parser(
        prog="plenty-events",
        description=(
            "Validate plentyMarketplace webhook payloads (validate), print their JSON Schema (schema), "
            "list, replay or purge a receiver's inbox (inbox), fire test deliveries at your own "
            "receiver (send), and show what a purchase becomes in plentymarkets (plentymarkets). "
            "'plenty-events COMMAND --help' tells more."
        ),
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"plenty-events {_version()}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in commands:
        sub = subparsers.add_parser(
            command.name,
            help=command.help,
            description=command.description,
            allow_abbrev=False,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.arguments(sub)
        sub.set_defaults(run=command.run)
    return parser


def _version() -> str:
    from plenty_events import __version__  # noqa: PLC0415 -- computed on first access

    return __version__


def run(
    commands: Iterable[Command],
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stdin: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the command line with ``commands``; return the exit status."""
    streams = Streams(
        sys.stdout if stdout is None else stdout,
        sys.stdin if stdin is None else stdin,
        sys.stderr if stderr is None else stderr,
    )
    arguments = sys.argv[1:] if argv is None else list(argv)
    try:
        try:
            with contextlib.redirect_stdout(streams.stdout):  # --help and --version print there
                args = parser(commands).parse_args(arguments)
        except SystemExit as exc:  # after --help or --version
            return EXIT_VALID if exc.code is None else int(exc.code)
        status: int = args.run(args, streams)
        streams.stdout.flush()
    except UsageError as exc:
        _usage_error(exc, _requested_format(arguments), streams.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        _silence(streams.stdout)
        return EXIT_PIPE
    except KeyboardInterrupt:
        streams.stderr.write("plenty-events: interrupted\n")
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 -- a bug must not exit 1, "invalid payload"
        # The type and where it was raised, not the message: a message may
        # hold a value from a payload.
        where = traceback.extract_tb(exc.__traceback__)[-1]
        name = os.path.basename(where.filename)  # noqa: PTH119 -- a frame's file name, a string
        streams.stderr.write(
            f"plenty-events: internal error: {type(exc).__name__} in {name}:{where.lineno}; please report it\n"
        )
        return EXIT_INTERNAL
    return status


def _requested_format(argv: Sequence[str]) -> str:
    """The ``--format`` asked for, found without parsing: parsing may be what failed."""
    found = "text"
    for index, argument in enumerate(argv):
        if argument == "--":
            break
        if argument == "--format" and index + 1 < len(argv):
            found = argv[index + 1]
        elif argument.startswith("--format="):
            found = argument.partition("=")[2]
    return found


def _usage_error(exc: UsageError, output: str, stderr: TextIO) -> None:
    message, usage = str(exc), exc.usage.strip()
    if output == "json":
        error = {"code": "usage", "message": message} | ({"usage": usage} if usage else {})
        stderr.write(json.dumps({"error": error}) + "\n")
    else:
        stderr.write(f"{clean(usage)}\n" if usage else "")
        stderr.write(f"plenty-events: error: {clean(message)}\n")


def _silence(stdout: TextIO) -> None:
    """Point a closed standard output at /dev/null, so that the final flush does not fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stdout.fileno())
        os.close(devnull)


# -- escaping -----------------------------------------------------------------

#: C0 and C1 controls, DEL, line and paragraph separators, the bidirectional
#: overrides and isolates, and lone surrogates: what could forge a line, move
#: the cursor, reorder what a reader sees, or fail a strict UTF-8 stdout.
_UNSAFE: Final = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: str) -> str:
    r"""``text`` with every unsafe character written as an escape, such as ``\x1b``."""
    return _UNSAFE.sub(_escape, text)


def display(name: str) -> str:
    r"""A file name for output: bytes that are not UTF-8 as ``\xff``, controls escaped."""
    return clean(os.fsencode(name).decode("utf-8", "backslashreplace"))
