"""`plenty-events plentymarkets`: dry-run, check, work and erase, for the plentymarkets handler."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TextIO, cast

from plenty_events import DecodeError, ServicePurchaseEvent, decode
from plenty_events._privacy import masked
from plenty_events.plentymarkets import PlentyConfig, TicketHandler, UserLogin, erase_person, plan
from plenty_events.receiver import Permanent, RetryLater, SQLiteInbox

from . import inbox as inbox_command
from ._app import Action, Command, Streams, UsageError, add_actions, option

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


#: What `check` says every time: where the tickets go has an end date.
END_OF_MAINTENANCE: Final = (
    "plentymarkets' ticket system is in end of maintenance since 2023-10-13 (shutdown not yet dated); "
    "plentymarkets moves tickets to Messenger conversations. Should the ticket routes go, each purchase "
    "ends dead with the step named, its contact and address kept, for a replay"
)


class CommandError(UsageError):
    """A usage error: exit 2 with this message."""


ACTIONS: Final = (
    Action(
        "dry-run",
        help="print the requests a payload would give, personal values masked",
        description=(
            "Decode FILE (lenient) and print each request TicketHandler would send for a new buyer, in order, "
            "with personal values masked; nothing is sent. With PLENTY_URL set the PLENTY_* settings are used, "
            "else placeholders. Ids plentymarkets would return show as 0."
        ),
        options=(option("file", metavar="FILE", help="a payload file"),),
    ),
    Action(
        "check",
        help="log in with the PLENTY_* settings and check the ticket type, status and owner users",
        description=(
            "Log in to the system the PLENTY_* variables name, and check that the ticket type, the status and "
            "the owner users exist. "
            "Prints each problem, never a secret. Exit 0 when all is well, 1 when not, 2 for a bad variable."
        ),
    ),
    Action(
        "work",
        help="put the events of an SQLite inbox into plentymarkets until interrupted",
        description=(
            "Run the worker over DB, the SQLite inbox a background receiver stores into, with TicketHandler "
            "configured by the PLENTY_* variables and journalling its steps in DB. Handles due events and retries "
            "failed ones until SIGTERM or SIGINT; the event being handled is finished first. Exit 0 then."
        ),
        options=(
            option("db", metavar="DB", help="the SQLite file of the receiver's SQLiteInbox"),
            *inbox_command.WORKER,
        ),
    ),
    Action(
        "erase",
        help="erase a person: anonymise their contact, delete their deliveries and journal rows",
        description=(
            "Anonymise the person's contacts in the plentymarkets system the PLENTY_* variables name, then delete "
            "every delivery of each inbox DB whose body holds EMAIL, with its journal rows. EMAIL '-' reads it "
            "from the standard input, keeping it out of the process list and the shell's history."
        ),
        options=(
            option("email", metavar="EMAIL", help="the person's e-mail, or - to read it from the standard input"),
            option("--inbox", action="append", required=True, metavar="DB", help="an SQLite inbox (repeatable)"),
            option(
                "--inbox-only", action="store_true", help="do not call plentymarkets; print the contacts to anonymise"
            ),
        ),
    ),
)


def arguments(plenty: argparse.ArgumentParser) -> None:
    """Add the actions of ``plentymarkets`` to its parser."""
    add_actions(plenty, ACTIONS)


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
    if args.action == "work":
        return _work(args, stdout)
    if args.action == "erase":
        return _erase(args, stdout)
    return _dry_run(args, stdout)


def _from_env() -> PlentyConfig:
    try:
        return PlentyConfig.from_env()
    except ValueError as exc:
        raise CommandError(str(exc)) from None


def _open(path: str) -> SQLiteInbox:
    if not Path(path).is_file():
        raise CommandError(f"no inbox at {path}")
    try:
        return SQLiteInbox(path)
    except (sqlite3.Error, ValueError) as exc:
        raise CommandError(f"cannot use {path} as an inbox: {exc}") from exc


def _work(args: argparse.Namespace, stdout: TextIO) -> int:
    config = _from_env()
    with _open(args.db) as inbox:
        # The inbox is the step journal: the steps live beside the deliveries, in one file.
        # One worker loop for both commands; its usage errors are this command's.
        return inbox_command.work(inbox, TicketHandler(config, journal=inbox), stdout, args)


def _erase(args: argparse.Namespace, stdout: TextIO) -> int:
    email = (sys.stdin.readline() if args.email == "-" else args.email).strip()
    if not email:
        raise CommandError("no e-mail given")
    client = None
    if not args.inbox_only:
        from plenty_events.plentymarkets import Client  # noqa: PLC0415 -- httpx is an extra, needed only here

        client = Client(_from_env())
    paths: list[str] = args.inbox
    inboxes: list[SQLiteInbox] = []
    try:
        inboxes.extend(_open(path) for path in paths)
        erasure = erase_person(email, inboxes, client=client)
    except (RetryLater, Permanent) as exc:
        stdout.write(f"not erased: {exc.reason}; nothing was deleted, run it again\n")
        return 1
    finally:
        for inbox in inboxes:
            inbox.close()
        if client is not None:
            client.close()
    stdout.write(f"erased {erasure.deliveries} deliveries and their journal rows\n")
    contacts = list(erasure.contacts)
    if args.inbox_only:
        stdout.write(f"anonymise these contacts in plentymarkets: {contacts}\n")
    else:
        stdout.write(f"anonymised contacts: {contacts}\n")
    if erasure.tickets:
        stdout.write(f"delete these tickets in plentymarkets, their notes name the person: {list(erasure.tickets)}\n")
    return 0


def _check(stdout: TextIO) -> int:
    config = _from_env()
    problems = config.check()
    stdout.writelines(f"problem: {problem}\n" for problem in problems)
    if not problems:
        stdout.write(
            f"ok: logged in to {config.url}; ticket type {config.ticket_type_id}, status {config.ticket_status_id} "
            f"and owner users {list(config.owner_user_ids)} exist (the role is not checked: no route lists roles)\n"
        )
    stdout.write(f"note: {END_OF_MAINTENANCE}\n")
    return 1 if problems else 0


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
