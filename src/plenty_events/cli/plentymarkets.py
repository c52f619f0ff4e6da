"""`plenty-events plentymarkets dry-run FILE`: the requests a payload would give, personal values masked."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TextIO, cast

from plenty_events import DecodeError, ServicePurchaseEvent, decode
from plenty_events._privacy import masked
from plenty_events.plentymarkets import PlentyConfig, UserLogin, plan

from ._app import Command, Streams, UsageError

if TYPE_CHECKING:
    import argparse

#: Values that show in full: what the config or the route decides, not the buyer.
_SHOWN: Final = frozenset({"lang", "source", "type", "title", "gender", "contactId", "typeId"})

#: The settings of a dry run without PLENTY_URL: placeholders, never sent anywhere.
_PLACEHOLDER: Final = PlentyConfig(
    url="https://plenty.invalid",
    credentials=UserLogin("-", "-"),
    plenty_id=0,
    ticket_type_id=0,
    ticket_status_id=0,
    ticket_role_id=0,
    owner_user_ids=(0,),
)


class CommandError(UsageError):
    """A usage error: exit 2 with this message."""


def arguments(plenty: argparse.ArgumentParser) -> None:
    """Add the actions of ``plentymarkets`` to its parser."""
    actions = plenty.add_subparsers(dest="action", required=True, metavar="ACTION")
    dry = actions.add_parser(
        "dry-run",
        help="print the requests a payload would give, personal values masked",
        description=(
            "Decode FILE (lenient) and print each request TicketHandler would send for a new buyer, in order, "
            "with personal values masked; nothing is sent. With PLENTY_URL set the PLENTY_* settings are used, "
            "else placeholders. Ids plentymarkets would return show as 0."
        ),
    )
    dry.add_argument("file", metavar="FILE", help="a payload file")
    actions.add_parser(
        "check",
        help="log in with the PLENTY_* settings and check the ticket type and status",
        description=(
            "Log in to the system the PLENTY_* variables name, and check that the ticket type and status exist. "
            "Prints each problem, never a secret. Exit 0 when all is well, 1 when not, 2 for a bad variable."
        ),
    )


def _mask(key: str, value: Any) -> Any:
    if isinstance(value, dict):
        return {name: _mask(name, member) for name, member in cast("dict[str, Any]", value).items()}
    if isinstance(value, list):
        return [_mask(key, member) for member in cast("list[object]", value)]
    if not isinstance(value, str) or key in _SHOWN:
        return value
    if key == "text":
        return f"<{len(value)} characters>"
    return masked(value)


def run(args: argparse.Namespace, stdout: TextIO) -> int:
    """Run `plentymarkets check` or `plentymarkets dry-run`; return the exit status.

    Raises:
        CommandError: See the actions.

    """
    if args.action == "check":
        return _check(stdout)
    return _dry_run(args, stdout)


def _check(stdout: TextIO) -> int:
    try:
        config = PlentyConfig.from_env()
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    problems = config.check()
    stdout.writelines(f"problem: {problem}\n" for problem in problems)
    if problems:
        return 1
    stdout.write(
        f"ok: logged in to {config.url}; ticket type {config.ticket_type_id} and status {config.ticket_status_id} "
        "exist (owner users are not checked: no documented route lists them)\n"
    )
    return 0


def _dry_run(args: argparse.Namespace, stdout: TextIO) -> int:
    """Run `plentymarkets dry-run`; return the exit status.

    Raises:
        CommandError: The file cannot be read, is not a service purchase, or
            has no e-mail; or a PLENTY_* variable is wrong.

    """
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"{path.name!r}: cannot read it ({type(exc).__name__})") from None
    try:
        event = decode(data)
    except DecodeError as exc:
        raise CommandError(f"{path.name!r}: not a valid payload ({len(exc.errors)} errors)") from None
    if not isinstance(event, ServicePurchaseEvent):
        raise CommandError(f"{path.name!r}: not a service purchase")
    try:
        config = PlentyConfig.from_env() if os.environ.get("PLENTY_URL") else _PLACEHOLDER
        requests = plan(event, config)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    for request in requests:
        query = "&".join(f"{key}={_mask(key, value)}" for key, value in request.query)
        stdout.write(f"{request.method} {request.path}{'?' if query else ''}{query}\n")
        if request.body is not None:
            stdout.write(f"  {json.dumps(_mask('', request.body), ensure_ascii=False)}\n")
    return 0


def _run(args: argparse.Namespace, streams: Streams) -> int:
    return run(args, streams.stdout)


PLENTYMARKETS: Final = Command(
    "plentymarkets",
    help="show what a purchase becomes in plentymarkets",
    description="Work with the plentymarkets handler of plenty_events.plentymarkets.",
    arguments=arguments,
    run=_run,
)
