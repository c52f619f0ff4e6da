"""The command line: ``plenty-events validate`` and ``plenty-events schema``.

Output never shows a personal value in full: a valid payload is summarised by
its id, type, contact id with masked name, and total gross; an invalid one by
the paths and reasons of its errors.
"""

from __future__ import annotations

import argparse
import decimal
import json
import sys
from typing import TYPE_CHECKING, NoReturn, TextIO, cast

from ._api import decode
from ._errors import DecodeError
from ._model import ServicePurchaseEvent
from ._privacy import masked, type_hint
from ._schema import json_schema

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from ._model import UnknownEvent

EXIT_VALID, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="plenty-events",
        description="Validate plentyMarketplace webhook payloads, or print their JSON Schema.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    validate = commands.add_parser(
        "validate",
        help="validate payload files",
        description=(
            "Validate each FILE: one JSON payload, or JSON Lines (one payload per line, "
            "recognised when the first line is a complete JSON value). '-' reads stdin. "
            "Exit 0 when all are valid, 1 when any is invalid, 2 for usage errors."
        ),
    )
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.add_argument("--strict", action="store_true", help="accept the documented contract only")
    validate.add_argument("--format", choices=["text", "json"], default="text", help="output format")
    commands.add_parser("schema", help="print the JSON Schema of the strict wire format")
    return parser


def _payloads(raw: bytes) -> Iterator[tuple[int, bytes]]:
    """Split a file into (line number, payload): JSON Lines, or one document."""
    lines = raw.splitlines()
    first = next((n for n, line in enumerate(lines) if line.strip()), None)
    if first is None:
        yield 1, raw
        return
    try:
        json.loads(lines[first])
    except ValueError:
        yield first + 1, raw
        return
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield number, line


def _total_gross(event: ServicePurchaseEvent) -> decimal.Decimal:
    # Exact: no rounding to the default context's 28 digits.
    with decimal.localcontext(prec=decimal.MAX_PREC):
        return sum((item.price_gross for item in event.resource.order.order_items), decimal.Decimal(0))


def _summary(event: ServicePurchaseEvent | UnknownEvent) -> dict[str, object]:
    # An unknown type is sender text, shown cut like the repr shows it.
    kind = str(event.type) if isinstance(event, ServicePurchaseEvent) else type_hint(event.type)
    summary: dict[str, object] = {"id": event.id, "type": kind}
    if isinstance(event, ServicePurchaseEvent):
        contact = event.resource.contact
        summary["customer"] = {
            "contactId": contact.id,
            "name": f"{masked(contact.first_name)} {masked(contact.last_name)}".strip(),
        }
        summary["totalGross"] = str(_total_gross(event))
    return summary


def _describe(entry: dict[str, str]) -> str:
    return f"{entry['path']}: {entry['message']} [{entry['code']}]"


def _text_line(where: str, result: dict[str, object]) -> str:
    if not result["valid"]:
        # _validate puts DecodeError.to_dict()'s errors there.
        errors = cast("list[dict[str, str]]", result["errors"])
        head = f"{where}: invalid, {len(errors)} error{'s' if len(errors) != 1 else ''}"
        return "\n".join([head, *(f"  {_describe(error)}" for error in errors)])
    parts = [f"{where}: valid {result['id']} {result['type']}"]
    customer = result.get("customer")
    if isinstance(customer, dict):
        parts.append(f"customer #{customer['contactId']} {customer['name']}".rstrip())
        parts.append(f"total gross {result['totalGross']}")
    else:
        parts.append("no model for this type, kept raw")
    line = ", ".join(parts)
    # _validate puts each Repair.to_dict() there.
    repairs = cast("list[dict[str, str]]", result["repairs"])
    if repairs:
        line += "\n  repaired: " + "; ".join(map(_describe, repairs))
    return line


def _validate(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    status = EXIT_VALID
    for name in args.files:
        try:
            if name == "-":
                raw = stdin.buffer.read()
            else:
                with open(name, "rb") as file:  # noqa: PTH123 -- a path from the command line
                    raw = file.read()
        except OSError as exc:
            raise _UsageError(f"cannot read {name}: {exc.strerror}") from exc
        for line, payload in _payloads(raw):
            result: dict[str, object] = {"file": name, "line": line}
            try:
                event = decode(payload, strict=args.strict)
            except DecodeError as exc:
                status = EXIT_INVALID
                result |= {"valid": False, "errors": exc.to_dict()["errors"]}
            else:
                repairs = [repair.to_dict() for repair in event.repairs]
                result |= {"valid": True, **_summary(event), "repairs": repairs}
            if args.format == "json":
                out.write(json.dumps(result, ensure_ascii=False) + "\n")
            else:
                out.write(_text_line(f"{name}:{line}", result) + "\n")
    return status


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stdin: TextIO | None = None) -> int:
    """Run the command line; return the exit status."""
    out = sys.stdout if stdout is None else stdout
    try:
        args = _parser().parse_args(argv)
        if args.command == "schema":
            out.write(json.dumps(json_schema(), indent=2) + "\n")
            return EXIT_VALID
        return _validate(args, out, sys.stdin if stdin is None else stdin)
    except _UsageError as exc:
        sys.stderr.write(f"plenty-events: error: {exc}\n")
        return EXIT_USAGE
