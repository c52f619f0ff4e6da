"""``plenty-events send URL``: fire deliveries at your own receiver, and print its answers.

plentymarkets offers no test delivery for service purchases: this posts the
documented sample, the payloads of a file, or payloads generated from the
sample (valid, repairable, invalid, duplicates of one id) the way
plentymarkets would, one after the other, and prints each answer.

It sends to loopback and private addresses only, unless told otherwise:
the host is resolved once, every address it has is checked, and the
connection goes to a checked address (no second lookup, no proxy, no
redirect followed), so a delivery cannot land on a public server by a slip
of the URL. Output shows no more than a masked hint of a value from a
payload or an answer: an answer's ids, statuses, error codes and paths
show, and so do plenty_events.receiver's own words: its error sentences and
the messages of a DecodeError's details; an answer's other strings are
masked.
"""

from __future__ import annotations

import argparse
import json
import re
from typing import TYPE_CHECKING, Any, Final, NamedTuple, cast

from plenty_events import ServicePurchaseEvent
from plenty_events._errors import shorten
from plenty_events._json import dumps
from plenty_events._privacy import masked
from plenty_events.testing import _sample as _testkit

from ._app import Command, Streams, UsageError

if TYPE_CHECKING:
    # Imported where they are used, by the functions that run a send: the
    # command line builds this command's parser on every run, and these
    # would slow down every other command.
    import random
    import socket
    from collections.abc import Callable, Iterator, Sequence
    from typing import TextIO

EXIT_ANSWERED, EXIT_UNANSWERED, EXIT_USAGE = 0, 1, 2

MAX_COUNT: Final = 10_000
#: At most this much of an answer is read: a summary needs no more.
MAX_ANSWER: Final = 64 * 1024
DEFAULT_TIMEOUT: Final = 10.0

GENERATORS: Final = ("valid", "repairable", "invalid", "duplicates")

_DESCRIPTION = """\
Post webhook deliveries to URL, one after the other, as plentymarkets would
(POST, Content-Type: application/json), and print each answer: status and a
summary of the body, in which strings other than ids, statuses, error codes,
paths and the receiver's own error sentences and messages are masked.

What is sent: the documented sample payload (the default); each payload of
--file (one JSON document, or JSON Lines); or --count payloads made from the
sample by --generate:
  valid       the sample with a fresh event id each
  repairable  a fresh id and 1 to 3 values in forms lenient decoding repairs
              (numbers as strings, milliseconds, lower-case codes, ...)
  invalid     a fresh id and one change no mode accepts, with the error code
              and path a plenty-events receiver reports for it
  duplicates  one fresh id, the same body --count times: a receiver should
              handle the event once

Addresses: the host is resolved, and every address it has must be loopback
(127.0.0.0/8, ::1) or private (10/8, 172.16/12, 192.168/16, fc00::/7); a
public one is refused unless --allow-public is given. Cloud metadata
services (169.254.169.254, fd00:ec2::254, fd20:ce::254, ...), link-local
(169.254/16, fe80::/10), multicast, unspecified and reserved addresses are
refused always, also inside ::ffff:0:0/96 and 64:ff9b::/96. The connection goes to a checked address,
never through a proxy, and a redirect is printed, not followed.

Exit status: 0 when every delivery got an answer (whatever its status), 1
when any got none (refused, timed out, not HTTP), 2 for a usage error or a
refused address, before anything is sent."""


class SendError(UsageError):
    """A send that cannot start: a bad URL, a refused address, an unreadable file (exit 2)."""


def _count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to {MAX_COUNT}, got {text!r}")
    return count


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 3600:  # an hour is more than any answer needs
        raise argparse.ArgumentTypeError(f"expected seconds above 0, at most 3600, got {text!r}")
    return seconds


def arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``send`` to its parser."""
    parser.add_argument("url", metavar="URL", help="the receiver's webhook URL, http:// or https://")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--file", metavar="FILE", help="send each payload of FILE (JSON, or JSON Lines)")
    source.add_argument("--generate", choices=GENERATORS, help="send payloads made from the sample")
    parser.add_argument("--count", type=_count, help="how many to --generate (default 1)")
    parser.add_argument("--seed", type=int, help="seed of --generate, to send the same payloads again")
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        help=f"seconds to wait to connect and for each read (default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--allow-public", action="store_true", help="also send to public addresses: someone else's server"
    )


# Where to send -------------------------------------------------------------------


class Target(NamedTuple):
    """A checked URL: where to connect, and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[tuple[socket.AddressFamily, Any], ...]

    def origin(self) -> str:
        """The URL's scheme, host and port; the path may hold a secret token, so it is left out."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


#: Where a ``send`` may go, by a table of its own rather than ``is_private``
#: of the running interpreter (whose answer changed between patch releases):
#: the first network holding the address decides; ``None`` allows it, a
#: reason refuses it, and an address in none of them is public. The cloud
#: metadata services come first: some answer inside a private range.
_NETWORKS: Final = (
    # Cloud metadata services: AWS (also ECS), Google Cloud, Azure, Oracle Cloud, Alibaba Cloud.
    ("169.254.169.254/32", "a cloud metadata address"),
    ("169.254.170.2/32", "a cloud metadata address"),
    ("169.254.170.23/32", "a cloud metadata address"),
    ("168.63.129.16/32", "a cloud metadata address"),
    ("192.0.0.192/32", "a cloud metadata address"),
    ("100.100.100.200/32", "a cloud metadata address"),
    ("fd00:ec2::254/128", "a cloud metadata address"),
    ("fd20:ce::254/128", "a cloud metadata address"),
    ("0.0.0.0/32", "the unspecified address"),
    ("::/128", "the unspecified address"),
    ("0.0.0.0/8", "a reserved address"),
    ("127.0.0.0/8", None),
    ("::1/128", None),
    ("10.0.0.0/8", None),
    ("172.16.0.0/12", None),
    ("192.168.0.0/16", None),
    ("fc00::/7", None),
    ("169.254.0.0/16", "a link-local address"),
    ("fe80::/10", "a link-local address"),
    ("224.0.0.0/4", "a multicast address"),
    ("ff00::/8", "a multicast address"),
    ("240.0.0.0/4", "a reserved address"),
)

#: IPv6 ranges that carry an IPv4 address in their last 32 bits, judged as that address.
_CARRYING_IPV4: Final = ("::ffff:0:0/96", "64:ff9b::/96")


def refusal(address: str, *, allow_public: bool = False) -> str | None:
    """Say why ``address`` (an IP address as text) is refused, or ``None`` for loopback and private ones.

    With ``allow_public``, a public address is allowed too; a metadata,
    link-local, multicast, unspecified or reserved one never is.
    """
    import ipaddress  # noqa: PLC0415 -- see TYPE_CHECKING above

    ip = ipaddress.ip_address(address.partition("%")[0])  # without an IPv6 scope
    if any(ip in ipaddress.ip_network(carrier) for carrier in _CARRYING_IPV4):
        ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)  # ::ffff:8.8.8.8 is 8.8.8.8
    for network, reason in _NETWORKS:
        if ip in ipaddress.ip_network(network):
            return reason
    return None if allow_public else "a public address"


def target(url: str, *, allow_public: bool) -> Target:
    """Parse ``url``, resolve its host, and check every address it has.

    Raises:
        SendError: the URL is not http(s) with a host, the host does not
            resolve, or an address is refused.

    """
    import socket  # noqa: PLC0415 -- see TYPE_CHECKING above
    from urllib.parse import urlsplit  # noqa: PLC0415

    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError as exc:
        raise SendError(f"the URL's port is not a port number: {exc}") from exc
    host = parts.hostname
    if parts.scheme not in {"http", "https"} or not host:
        raise SendError("the URL must start with http:// or https:// and name a host")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise SendError(f"cannot resolve {shorten(host)!r}: {getattr(exc, 'strerror', None) or exc}") from exc
    addresses = tuple(dict.fromkeys((family, sockaddr) for family, _, _, _, sockaddr in found))
    for _, sockaddr in addresses:
        why = refusal(str(sockaddr[0]), allow_public=allow_public)
        if why is not None:
            rule = (
                "only loopback and private addresses are sent to without --allow-public"
                if why == "a public address"
                else "such an address is never sent to, not even with --allow-public"
            )
            raise SendError(f"refusing to send to {shorten(host)!r}: {sockaddr[0]} is {why}; {rule}")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, path, addresses)


# What to send --------------------------------------------------------------------


class Delivery(NamedTuple):
    """One body to post, and how the output names it."""

    label: str
    body: bytes


def _documents(raw: bytes) -> list[tuple[int, bytes]]:
    """Split a file into (line number, payload): JSON Lines, or one document."""
    lines = raw.splitlines()
    first = next((line for line in lines if line.strip()), None)
    if first is not None:
        try:
            json.loads(first)
        except (ValueError, RecursionError):
            pass
        else:
            return [(number, line) for number, line in enumerate(lines, start=1) if line.strip()]
    return [(1, raw)]


def _fresh(rng: random.Random) -> dict[str, Any]:
    """The sample with an event id of its own, so that a receiver does not take it for a duplicate."""
    return _testkit.with_wire_changes(_testkit.SAMPLE, {"$.id": f"evt_{rng.getrandbits(128):032x}"})


def _json(payload: object) -> bytes:
    return dumps(payload).encode("utf-8")


def _valid(rng: random.Random, _: int) -> Delivery:
    payload = _fresh(rng)
    return Delivery(f"valid {payload['id']}", _json(payload))


def _repairable(rng: random.Random, _: int) -> Delivery:
    payload = _fresh(rng)
    by_path: dict[_testkit.Path, list[_testkit.Rewrite]] = {}
    for rewrite in _testkit.rewrites():
        by_path.setdefault(rewrite.path, []).append(rewrite)
    changed = [
        _testkit.render(path)
        for path in rng.sample(sorted(by_path, key=_testkit.render), rng.randint(1, 3))
        if _testkit.rewrite(payload, rng.choice(by_path[path]))
    ]
    if not changed:
        where = rng.choice(_testkit.objects(ServicePurchaseEvent))
        _testkit.add_unknown(payload, where, "drift")
        changed.append(_testkit.render((*where, _testkit.UNKNOWN_KEY)))
    return Delivery(f"repairable {payload['id']}: {', '.join(changed)}", _json(payload))


def _invalid(rng: random.Random, _: int) -> Delivery:
    change = rng.choice(_testkit.changes(strict=False))
    payload, path = _testkit.apply(_fresh(rng), change)
    return Delivery(f"invalid, expect {change.code} at {path}", _json(payload))


def _duplicates(rng: random.Random, count: int) -> Iterator[Delivery]:
    payload = _fresh(rng)
    body = _json(payload)
    for number in range(1, count + 1):
        yield Delivery(f"duplicate {number}/{count} {payload['id']}", body)


_MAKERS: Final[dict[str, Callable[[random.Random, int], Delivery]]] = {
    "valid": _valid,
    "repairable": _repairable,
    "invalid": _invalid,
}


def deliveries(args: argparse.Namespace, seed: int) -> list[Delivery]:
    """The deliveries that the arguments ask for.

    Raises:
        SendError: ``--count`` or ``--seed`` without ``--generate``, or a file that cannot be read.

    """
    if args.generate is None:
        if args.count is not None or args.seed is not None:
            raise SendError("--count and --seed go with --generate")
        if args.file is None:
            return [Delivery(f"sample {_testkit.SAMPLE['id']}", _json(_testkit.SAMPLE))]
        try:
            with open(args.file, "rb") as file:  # noqa: PTH123 -- a path from the command line
                raw = file.read()
        except OSError as exc:
            raise SendError(f"cannot read {args.file}: {exc.strerror}") from exc
        return [Delivery(f"{args.file}:{line}", body) for line, body in _documents(raw)]
    import random  # noqa: PLC0415 -- see TYPE_CHECKING above

    rng = random.Random(seed)  # noqa: S311 -- test data, not secrets: the seed makes a run repeatable
    count = 1 if args.count is None else args.count
    if args.generate == "duplicates":
        return list(_duplicates(rng, count))
    make = _MAKERS[args.generate]
    return [make(rng, count) for _ in range(count)]


# Sending -------------------------------------------------------------------------


class Answer(NamedTuple):
    """What the receiver answered: status, reason, content type, and the first ``MAX_ANSWER`` bytes."""

    status: int
    reason: str
    content_type: str | None
    body: bytes
    truncated: bool


def connect(addresses: Sequence[tuple[socket.AddressFamily, Any]], timeout: float) -> socket.socket:
    """Connect to the first of ``addresses`` that accepts, as ``socket.create_connection`` would.

    Raises:
        OSError: none accepted; the error of the last one.

    """
    import socket  # noqa: PLC0415 -- see TYPE_CHECKING above

    errors: list[OSError] = []
    for family, sockaddr in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            errors.append(exc)
        else:
            return sock
    raise errors[-1]


def post(where: Target, body: bytes, timeout: float) -> Answer:
    """POST ``body`` to a checked address of ``where``; read a bounded answer.

    Raises:
        OSError: no connection, a timeout, a TLS failure.
        http.client.HTTPException: the answer is not HTTP.

    """
    # Imported here: they take longer to import than the rest of the command line.
    import http.client  # noqa: PLC0415
    import ssl  # noqa: PLC0415

    from plenty_events import __version__  # noqa: PLC0415

    sock = connect(where.addresses, timeout)
    connection = http.client.HTTPConnection(where.host, where.port, timeout=timeout)
    try:
        # The connection uses the socket given, so it goes to the address
        # that was checked: http.client would resolve the host again.
        if where.scheme == "https":
            connection.sock = ssl.create_default_context().wrap_socket(sock, server_hostname=where.host)
        else:
            connection.sock = sock
        headers = {"Content-Type": "application/json", "User-Agent": f"plenty-events/{__version__} send"}
        connection.request("POST", where.path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read(MAX_ANSWER + 1)
        return Answer(
            response.status,
            response.reason,
            response.getheader("Content-Type"),
            data[:MAX_ANSWER],
            len(data) > MAX_ANSWER,
        )
    finally:
        connection.close()
        sock.close()


#: The keys of an answer whose strings show in full: they name, they do not
#: tell about a person (an event id is not personal data, see the privacy page).
_SHOWN: Final = frozenset({"id", "type", "status", "state", "code", "path"})

#: The ``error`` sentences of plenty_events.receiver's own answers, shown in
#: full: they are the library's words, not a value from a payload. Any other
#: ``error`` text keeps its masked hint, for a receiver may echo anything.
_OWN_ERRORS: Final = re.compile(
    "not found|use POST|a Content-Length is required|the body exceeds [0-9]{1,20} bytes"
    "|the Content-Length is not a number of bytes|the body does not have the length its Content-Length gives"
    "|the event is being handled; deliver it again later|the event was not handled; deliver it again later"
    "|the delivery could not be stored; deliver it again later"
)
_DETAIL_KEYS: Final = frozenset({"path", "code", "message"})
_MOST_MEMBERS: Final = 20
_DEEPEST: Final = 6


def _masked(value: Any, key: object, depth: int) -> object:
    """A JSON value with its strings masked, but for those under a key of ``_SHOWN``; cut in size and depth."""
    if depth > _DEEPEST:
        return "…"
    if isinstance(value, dict):
        mapping = cast("dict[str, object]", value)
        members = list(mapping.items())[:_MOST_MEMBERS]
        # An error detail of a DecodeError: its message is the library's,
        # and never repeats a value of the payload.
        message = mapping.get("message") if mapping.keys() == _DETAIL_KEYS else None
        return {
            shorten(name, 40): shorten(message, 160)
            if isinstance(message, str) and name == "message"
            else _masked(member, name, depth + 1)
            for name, member in members
        }
    if isinstance(value, list):
        return [_masked(member, key, depth + 1) for member in cast("list[object]", value)[:_MOST_MEMBERS]]
    if isinstance(value, str):
        if key in _SHOWN or (key == "error" and _OWN_ERRORS.fullmatch(value)):
            return shorten(value, 80)
        return masked(value)
    return value


def _printable(text: str) -> str:
    # An answer's text must not move the cursor of the terminal that shows it.
    return "".join(character if character.isprintable() else "?" for character in text)


def summary(answer: Answer) -> str:
    """The answer in one line: status, reason, size, and the body with its strings masked."""
    head = f"{answer.status} {_printable(shorten(answer.reason, 40))}".rstrip()
    if not answer.body:
        return f"{head}, no body"
    size = f"{len(answer.body)}{'+' if answer.truncated else ''} bytes"
    if not answer.truncated:
        try:
            value = json.loads(answer.body)
        except (ValueError, RecursionError):
            pass
        else:
            shown = json.dumps(_masked(value, None, 0), ensure_ascii=True, separators=(",", ":"))
            return f"{head}, {size}: {shorten(shown, 200)}"
    return f"{head}, {size} of {_printable(shorten(answer.content_type or 'no declared type', 60))}"


def _failure(exc: Exception, timeout: float) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout:g} s"
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
    return f"no answer: {_printable(shorten(str(detail), 80))}"


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Run ``plenty-events send``; return the exit status.

    Raises:
        SendError: the send cannot start (exit 2); nothing was sent.

    """
    import http.client  # noqa: PLC0415 -- see post()
    import secrets  # noqa: PLC0415

    where = target(args.url, allow_public=args.allow_public)
    seed = secrets.randbits(32) if args.seed is None else args.seed
    planned = deliveries(args, seed)
    many = "delivery" if len(planned) == 1 else "deliveries"
    seeded = f" (seed {seed})" if args.generate is not None else ""
    out.write(f"sending {len(planned)} {many} to {where.origin()}{seeded}\n")
    status = EXIT_ANSWERED
    width = len(str(len(planned)))
    for number, delivery in enumerate(planned, start=1):
        try:
            answer = post(where, delivery.body, args.timeout)
        except (OSError, http.client.HTTPException) as exc:
            status = EXIT_UNANSWERED
            line = _failure(exc, args.timeout)
        else:
            line = summary(answer)
        out.write(f"{number:>{width}}. {_printable(delivery.label)}: {line}\n")
        out.flush()
    return status


def _run(args: argparse.Namespace, streams: Streams) -> int:
    return run(args, streams.stdout)


SEND: Final = Command(
    "send",
    help="post sample, file or generated deliveries to a receiver",
    description=_DESCRIPTION,
    arguments=arguments,
    run=_run,
)
