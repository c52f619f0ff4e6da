"""`plenty-events inbox DB`: list, replay, dismiss, work and purge the deliveries of an SQLite or PostgreSQL inbox.

Output never shows a body or a personal value: deliveries are listed by
number, time, state, escaped event id, attempts and error type or codes; a
replay shows the decode errors' paths, codes and messages. A PostgreSQL
DSN is shown without its password.
"""

from __future__ import annotations

import importlib
import json
import signal
import sqlite3
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TextIO

from plenty_events.receiver import Backoff, PostgresInbox, SQLiteInbox, State, Worker
from plenty_events.receiver._postgres import import_psycopg, mask
from plenty_events.receiver._receiver import Core, quote

from ._app import Action, Command, Streams, UsageError, add_actions, option

if TYPE_CHECKING:
    import argparse

    from plenty_events.receiver import Delivery, Outcome
    from plenty_events.receiver._answers import Response

EXIT_OK, EXIT_PENDING, EXIT_USAGE = 0, 1, 2

#: The inboxes the command opens: a file, or a PostgreSQL database named by a URL of these schemes.
AnyInbox = SQLiteInbox | PostgresInbox
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class CommandError(UsageError):
    """A usage error: exit 2 with this message."""


_STRICT: Final = option("--strict", action="store_true", help="decode in strict mode (default: lenient)")
_HANDLER: Final = option("--handler", required=True, metavar="MODULE:FUNCTION", help="the handler to call")
#: What `work` reads of the command line besides the handler: for `inbox work` and `plentymarkets work` alike.
WORKER: Final = (
    _STRICT,
    option("--max-attempts", type=int, default=10, metavar="N", help="attempts before dead (10)"),
    option("--poll", type=float, default=1.0, metavar="SECONDS", help="wait when idle (1)"),
)

ACTIONS: Final = (
    Action(
        "replay",
        help="run the waiting deliveries through a handler again, now",
        description=(
            "Decode every received, rejected, pending, failed and dead delivery again, and every one still "
            "handling past its lease, and hand each new event to HANDLER once. Exit 0 when all were handled, else 1."
        ),
        options=(_HANDLER, _STRICT),
    ),
    Action(
        "work",
        help="handle due events until interrupted, with retries",
        description=(
            "Handle the events a background receiver stored, and retry failed ones when due, until SIGTERM or "
            "SIGINT; the event being handled is finished first. Exit 0 then."
        ),
        options=(_HANDLER, *WORKER),
    ),
    Action(
        "dismiss",
        help="dismiss rejected deliveries, so that the health check and replay ignore them",
        description="Move each rejected delivery NUMBER to dismissed; its body is kept until purged.",
        options=(option("numbers", nargs="+", type=int, metavar="NUMBER", help="a delivery's number"),),
    ),
    Action(
        "purge",
        help="delete the raw bodies of deliveries older than a retention period",
        description="Delete the deliveries (raw bodies, personal data) stored more than DAYS days ago.",
        options=(option("--older-than", required=True, type=float, metavar="DAYS", help="the retention period"),),
    ),
)


def arguments(inbox: argparse.ArgumentParser) -> None:
    """Add the arguments and actions of ``inbox`` to its parser."""
    inbox.add_argument(
        "db", metavar="DB", help="the SQLite file of an SQLiteInbox, or the postgresql:// URL of a PostgresInbox"
    )
    add_actions(inbox, ACTIONS, required=False)


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Run the `inbox` command; return its exit status.

    Raises:
        CommandError: For a missing or unreadable database, or a handler that cannot be loaded.

    """
    if args.db.startswith(POSTGRES_SCHEMES):
        return _in_postgres(args.db, args, out)
    path = Path(args.db)
    if not path.is_file():
        raise CommandError(f"no inbox at {args.db}")
    try:
        with SQLiteInbox(path) as inbox:
            return _act(inbox, args, out)
    except (sqlite3.Error, ValueError) as exc:
        raise CommandError(f"cannot use {args.db} as an inbox: {exc}") from exc


def _in_postgres(dsn: str, args: argparse.Namespace, out: TextIO) -> int:
    # The message shows the DSN without its password, and chains no cause:
    # the cause's traceback is not the command's to show.
    try:
        driver = import_psycopg()
    except ImportError as exc:
        raise CommandError(str(exc)) from None
    try:
        with PostgresInbox(dsn) as inbox:
            return _act(inbox, args, out)
    except (driver.Error, ValueError) as exc:
        raise CommandError(f"cannot use {mask(dsn)} as an inbox: {exc}") from None


def _act(inbox: AnyInbox, args: argparse.Namespace, out: TextIO) -> int:
    if args.action == "replay":
        return _replay(inbox, _load(args.handler), out, strict=args.strict)
    if args.action == "purge":
        return _purge(inbox, args.older_than, out)
    if args.action == "dismiss":
        return _dismiss(inbox, args.numbers, out)
    if args.action == "work":
        return work(inbox, _load(args.handler), out, args)
    return _list(inbox, out)


#: The states that make the listing, the health check, exit 1: each needs a
#: person (or a replay), or is failing. Pending and handling are work under
#: way; handled and dismissed are done.
WAITING = frozenset({State.RECEIVED, State.REJECTED, State.FAILED, State.DEAD})


def waiting(delivery: Delivery, now: datetime) -> bool:
    """Whether the delivery makes the health check fail: a waiting state, or handling past its lease."""
    if delivery.state is State.HANDLING:
        return delivery.lease_until is None or delivery.lease_until <= now
    return delivery.state in WAITING


def _line(delivery: Delivery) -> str:
    when = delivery.received_at.isoformat(timespec="seconds").replace("+00:00", "Z")
    parts = [f"#{delivery.number}", when, str(delivery.state)]
    if delivery.event_id is not None:
        parts.append(quote(delivery.event_id))
    if delivery.token_name is not None:
        parts.append(f"token {quote(delivery.token_name)}")
    if delivery.attempts:
        parts.append(f"attempts {delivery.attempts}")
    if delivery.error is not None:
        parts.append(delivery.error)
    if delivery.due_at is not None:
        parts.append("due " + delivery.due_at.isoformat(timespec="seconds").replace("+00:00", "Z"))
    if delivery.lease_until is not None:
        parts.append("lease until " + delivery.lease_until.isoformat(timespec="seconds").replace("+00:00", "Z"))
    return "  " + " ".join(parts)


def _list(inbox: AnyInbox, out: TextIO) -> int:
    deliveries = inbox.deliveries(bodies=False)
    counts = Counter(delivery.state for delivery in deliveries)
    summary = ", ".join(f"{counts[state]} {state}" for state in State if counts[state])
    out.write(f"{len(deliveries)} deliveries{': ' if summary else ''}{summary}\n")
    for state in State:
        for delivery in deliveries:
            if delivery.state is state:
                out.write(_line(delivery) + "\n")
    now = datetime.now(UTC)
    return EXIT_PENDING if any(waiting(delivery, now) for delivery in deliveries) else EXIT_OK


def _load(spec: str) -> Any:
    module_name, colon, name = spec.partition(":")
    if not (module_name and colon and name):
        raise CommandError(f"the handler is MODULE:FUNCTION, not {spec!r}")
    # As servers such as uvicorn do: a handler module in the working directory is found.
    here = str(Path.cwd())
    if here not in sys.path:
        sys.path.insert(0, here)
    try:
        handler = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as exc:
        raise CommandError(f"cannot load the handler {spec!r}: {exc}") from exc
    if not callable(handler):
        raise CommandError(f"the handler {spec!r} is not callable")
    return handler


def _replay(inbox: AnyInbox, handler: Any, out: TextIO, *, strict: bool) -> int:
    status = EXIT_OK
    count = 0
    try:
        for delivery, response in Core(handler, inbox, strict=strict).replaying():
            count += 1
            status = max(status, _report(delivery, response, out))
    except SystemExit as exc:
        # sys.exit(0) in a handler must not make a replay that left its event failed look clean.
        status = EXIT_PENDING
        out.write(f"the handler stopped the replay: {type(exc).__name__}\n")
    out.write(f"replayed {count} deliveries\n")
    now = datetime.now(UTC)
    if any(waiting(delivery, now) for delivery in inbox.deliveries(bodies=False)):
        status = EXIT_PENDING
    return status


def _report(delivery: Delivery, response: Response, out: TextIO) -> int:
    status = EXIT_OK
    answer = json.loads(response.body)
    head = f"#{delivery.number} was {delivery.state}:"
    if response.status == 202:
        out.write(f"{head} handled {quote(answer['id'])}\n")
    elif response.status == 200:
        out.write(f"{head} {quote(answer['id'])} was handled before\n")
    elif response.status in {400, 422}:
        status = EXIT_PENDING
        errors = answer["errors"]
        out.write(f"{head} still rejected, {len(errors)} error{'s' if len(errors) != 1 else ''}\n")
        out.writelines(f"  {quote(error['path'])}: {error['message']} [{error['code']}]\n" for error in errors)
    else:
        status = EXIT_PENDING
        what = "is being handled elsewhere" if response.status == 503 and "id" in answer else "failed again"
        out.write(f"{head} {quote(answer.get('id', '?'))} {what} ({response.status})\n")
    return status


def _dismiss(inbox: AnyInbox, numbers: list[int], out: TextIO) -> int:
    status = EXIT_OK
    for number in numbers:
        if inbox.dismiss(number):
            out.write(f"#{number} dismissed\n")
        else:
            status = EXIT_PENDING
            out.write(f"#{number} is not a rejected delivery: left as it is\n")
    return status


def work(inbox: AnyInbox, handler: Any, out: TextIO, args: argparse.Namespace) -> int:
    """Run a worker over the inbox until SIGTERM or SIGINT, printing each outcome; also `plentymarkets work`'s loop."""
    if args.max_attempts < 1 or not 0 < args.poll < float("inf"):
        raise CommandError("--max-attempts takes 1 or more, --poll a positive number of seconds")

    def show(outcome: Outcome) -> None:
        when = "" if outcome.due_at is None else " due " + outcome.due_at.isoformat(timespec="seconds")
        error = "" if outcome.error is None else f" {outcome.error}"
        out.write(f"#{outcome.delivery} {quote(outcome.event_id or '?')} {outcome.kind}{error}{when}\n")
        out.flush()

    worker = Worker(
        inbox,
        handler,
        backoff=Backoff(max_attempts=args.max_attempts),
        on_outcome=show,
        strict=args.strict,
        poll=args.poll,
    )

    def stop(_signum: int, _frame: object) -> None:
        worker.stop()

    previous = {number: signal.signal(number, stop) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        worker.run()
    finally:
        for number, handler_before in previous.items():
            signal.signal(number, handler_before)
    out.write("stopped\n")
    return EXIT_OK


def _purge(inbox: AnyInbox, days: float, out: TextIO) -> int:
    if not days >= 0:
        raise CommandError("--older-than takes a number of days, 0 or more")
    cutoff = datetime.now(UTC) - timedelta(days=days)
    deleted = inbox.purge(cutoff) if isinstance(inbox, PostgresInbox) else inbox.purge(cutoff, checkpoint=False)
    out.write(f"deleted {deleted} deliveries stored before {cutoff.isoformat(timespec='seconds')}\n")
    # PostgreSQL has no WAL of SQLite's kind to empty: see PostgresInbox.purge.
    if not isinstance(inbox, PostgresInbox) and not inbox.checkpoint():
        out.write(
            "the WAL could not be emptied while another process reads the inbox: "
            "pages of deleted bodies may remain on disk; run purge again\n"
        )
        return EXIT_PENDING
    return EXIT_OK


def _run(args: argparse.Namespace, streams: Streams) -> int:
    return run(args, streams.stdout)


INBOX: Final = Command(
    "inbox",
    help="list, replay, dismiss, work on or purge the deliveries of a receiver's SQLite or PostgreSQL inbox",
    description=(
        "Without an action, list the deliveries in DB by state, without bodies or personal values.\n"
        "Exit 0 when none needs a person (received, rejected, failed, dead), else 1; 2 for usage errors."
    ),
    arguments=arguments,
    run=_run,
)
