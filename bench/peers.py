"""The decoders under comparison, the payloads they run on, and a self-check.

plenty-events (strict, and lenient on a payload that needs no repair) is
compared with two kinds of peers, each in its own module so that a fresh
interpreter can import one alone:

- **idiomatic** peers, the code a user of the library writes for this
  payload, with no Python validators: with the library's strictest
  built-in settings, and for pydantic also with its defaults. They are
  what a user weighs when choosing a library, and the targets are set
  against them. They do not keep every rule of
  plenty-events' strict mode (duplicate keys, exact prices, bounds); the
  self-check lists where each departs. A peer that accepts the error
  path's payload (lax pydantic reads ``"1338"`` as ``1338``) is not timed
  on the error path.

  - ``peer_pydantic_idiomatic``: the careful pydantic v2 models,
    ``strict=True``, ``extra="forbid"``, ``frozen=True``, camelCase
    aliases, ``Literal`` closed sets, ``decimal_places``, ``model_validate_json``;
  - ``peer_pydantic_minimal``: the models a hurried pydantic user writes,
    plain ``str``/``int``/``Decimal``/``datetime`` fields in lax mode,
    ``extra="forbid"``, camelCase aliases, ``model_validate_json``;
  - ``peer_msgspec_idiomatic``: plain msgspec Structs,
    ``forbid_unknown_fields=True``, ``rename="camel"``, a typed decoder.

- **same-rules** peers, held to plenty-events' strict rules exactly, with
  whatever code that takes: what the same contract costs elsewhere.

  - ``peer_pydantic_rules``: pydantic v2 with validators where its strict
    mode is looser, and the duplicate-key check;
  - ``peer_msgspec_rules``: msgspec Structs with custom types and hooks,
    and the duplicate-key check;
  - ``peer_stdlib``: the hand-written floor, stdlib ``json`` and slotted
    classes.

:func:`self_check` decodes each payload of :func:`cases` with every
decoder, and checks that the results agree with plenty-events' (ids,
exact ``Decimal`` prices, aware UTC datetimes) and that each decoder
rejects what strict mode rejects, except where the decoder declares that it
departs from that rule; a declared departure that does not happen fails the
check too, so that the list stays true.
"""

from __future__ import annotations

import enum
import functools
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Final

import attrs
import msgspec
import peer_msgspec_idiomatic
import peer_msgspec_rules
import peer_pydantic_idiomatic
import peer_pydantic_minimal
import peer_pydantic_rules
import peer_stdlib
import pydantic
import pydantic_core

import plenty_events
import plenty_events.countries

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

SAMPLE_PATH: Final = Path(__file__).resolve().parent.parent / "examples" / "service-purchase.json"

PLENTY: Final = "plenty-events"
IDIOMATIC: Final = "idiomatic"
SAME_RULES: Final = "same rules"


@dataclass(frozen=True)
class View:
    """How a decoder represents the values of an event, as far as the comparison must know.

    The self-check compares plenty-events' event and a peer's in the peer's
    view: a difference of representation is no difference of meaning.
    """

    #: Enum members as their string values, and no gender (``None``) as ``""``.
    plain_strings: bool = False
    #: Timestamps as integer Unix seconds rather than datetimes.
    seconds: bool = False

    def describe(self) -> list[str]:
        notes = []
        if self.plain_strings:
            notes.append('event type and gender as plain strings ("" for no gender)')
        if self.seconds:
            notes.append("timestamps as integer Unix seconds, not datetimes")
        return notes


EXACT: Final = View()


@dataclass(frozen=True)
class Implementation:
    """One decoder under comparison."""

    name: str
    decode: Callable[[bytes], object]
    errors: tuple[type[Exception], ...]
    #: The module a fresh interpreter imports to measure the cold start.
    module: str
    #: A short name for the columns of the self-check.
    short: str
    #: PLENTY, IDIOMATIC or SAME_RULES.
    family: str
    view: View = EXACT
    #: The self-check cases where the decoder knowingly departs from
    #: plenty-events' strict verdict or value, each with the reason.
    departs: Mapping[str, str] = field(default_factory=dict)


def _strict(data: bytes) -> plenty_events.ServicePurchaseEvent:
    return plenty_events.decode(data, strict=True)


def _lenient(data: bytes) -> plenty_events.ServicePurchaseEvent | plenty_events.UnknownEvent:
    return plenty_events.decode(data)


ERROR_CASE: Final = "string item variation id (error path)"
"""The self-check's name of :func:`bad_payload`: a peer that accepts it is not timed on the error path."""

_PYDANTIC_FLOAT: Final = "reads a fraction through a binary float (pydantic-core#1688)"
_NO_DUPLICATE_CHECK: Final = "keeps the last of duplicate keys"

STRICT: Final = Implementation(
    "plenty-events strict", _strict, (plenty_events.DecodeError,), "plenty_events", "plenty", PLENTY
)
LENIENT: Final = Implementation(
    "plenty-events lenient", _lenient, (plenty_events.DecodeError,), "plenty_events", "lenient", PLENTY
)
PYDANTIC: Final = Implementation(
    peer_pydantic_idiomatic.NAME,
    peer_pydantic_idiomatic.decode,
    peer_pydantic_idiomatic.ERRORS,
    "peer_pydantic_idiomatic",
    "pyd-idiom",
    IDIOMATIC,
    View(plain_strings=True),
    {
        "id past 64 bits": "int has no bounds",
        "negative timestamp": "the lax datetime reads any seconds",
        "timestamp in milliseconds": "the lax datetime reads a number past 2e10 as milliseconds",
        "timestamp as a string": "the lax datetime reads numbers in strings",
        "timestamp as ISO 8601 text": "the lax datetime reads RFC 3339 text, as its strict mode does",
        "price as a string": "Decimal reads JSON strings in strict mode",
        "trailing zero past 4 places": _PYDANTIC_FLOAT,
        "price with 18 significant digits": _PYDANTIC_FLOAT,
        "price of 10**15": "no bound on Decimal but the places",
        "snake_case key": "populate_by_name reads field names beside the aliases",
        "empty order items": "a list may be empty",
        "duplicate key": _NO_DUPLICATE_CHECK,
        "duplicate key, ':' in a string": _NO_DUPLICATE_CHECK,
    },
)
PYDANTIC_MINIMAL: Final = Implementation(
    peer_pydantic_minimal.NAME,
    peer_pydantic_minimal.decode,
    peer_pydantic_minimal.ERRORS,
    "peer_pydantic_minimal",
    "pyd-min",
    IDIOMATIC,
    View(plain_strings=True),
    {
        "price with 18 significant digits": _PYDANTIC_FLOAT,
        ERROR_CASE: "lax mode reads an integer from a numeric string",
        "empty event id": "a str may be empty",
        "unknown gender": "gender is any str",
        "bool id (int field)": "lax mode reads true as 1",
        "float id (int field)": "lax mode reads a whole float as an int",
        "id past 64 bits": "int has no bounds",
        "negative timestamp": "the lax datetime reads any seconds",
        "timestamp in milliseconds": "the lax datetime reads a number past 2e10 as milliseconds",
        "timestamp as a string": "the lax datetime reads numbers in strings",
        "timestamp as ISO 8601 text": "the lax datetime reads RFC 3339 text",
        "lowercase country": "country is any str",
        "price as a string": "Decimal reads JSON strings",
        "five decimal places": "Decimal has no constraints",
        "trailing zero past 4 places": "Decimal has no constraints",
        "price of 10**15": "Decimal has no constraints",
        "empty order items": "a list may be empty",
        "duplicate key": _NO_DUPLICATE_CHECK,
        "duplicate key, ':' in a string": _NO_DUPLICATE_CHECK,
    },
)
MSGSPEC: Final = Implementation(
    peer_msgspec_idiomatic.NAME,
    peer_msgspec_idiomatic.decode,
    peer_msgspec_idiomatic.ERRORS,
    "peer_msgspec_idiomatic",
    "msg-idiom",
    IDIOMATIC,
    View(plain_strings=True, seconds=True),
    {
        "id past 64 bits": "int has no bounds",
        "negative timestamp": "a timestamp is any int",
        "timestamp in milliseconds": "a timestamp is any int",
        "price as a string": "Decimal reads JSON strings",
        "five decimal places": "Decimal has no constraints",
        "trailing zero past 4 places": "Decimal has no constraints",
        "price of 10**15": "Decimal has no constraints",
        "empty order items": "a list may be empty",
        "duplicate key": _NO_DUPLICATE_CHECK,
        "duplicate key, ':' in a string": _NO_DUPLICATE_CHECK,
    },
)
PYDANTIC_RULES: Final = Implementation(
    peer_pydantic_rules.NAME,
    peer_pydantic_rules.decode,
    peer_pydantic_rules.ERRORS,
    "peer_pydantic_rules",
    "pyd-rules",
    SAME_RULES,
    departs={
        "trailing zero past 4 places": _PYDANTIC_FLOAT,
        "price with 18 significant digits": _PYDANTIC_FLOAT,
    },
)
MSGSPEC_RULES: Final = Implementation(
    peer_msgspec_rules.NAME,
    peer_msgspec_rules.decode,
    peer_msgspec_rules.ERRORS,
    "peer_msgspec_rules",
    "msg-rules",
    SAME_RULES,
)
STDLIB: Final = Implementation(
    peer_stdlib.NAME, peer_stdlib.decode, peer_stdlib.ERRORS, "peer_stdlib", "by hand", SAME_RULES
)

#: The peers, idiomatic first.
PEERS: Final = (PYDANTIC, PYDANTIC_MINIMAL, MSGSPEC, PYDANTIC_RULES, MSGSPEC_RULES, STDLIB)
#: The strict decoders, plenty-events first.
STRICT_DECODERS: Final = (STRICT, *PEERS)
#: Every decoder timed on the sample: the strict ones and plenty-events lenient.
DECODERS: Final = (STRICT, LENIENT, *PEERS)
#: The strict decoders timed on the error path: those that reject its payload.
ERROR_DECODERS: Final = tuple(impl for impl in STRICT_DECODERS if ERROR_CASE not in impl.departs)

VERSIONS: Final = {
    "plenty-events": plenty_events.__version__,
    "pydantic": pydantic.VERSION,
    "pydantic-core": pydantic_core.__version__,
    "msgspec": msgspec.__version__,
    "attrs": attrs.__version__,
}


@functools.cache
def sample() -> bytes:
    """The documented payload in compact form."""
    return json.dumps(json.loads(SAMPLE_PATH.read_bytes()), separators=(",", ":")).encode()


def replace(old: str, new: str) -> bytes:
    """The sample with the first ``old`` replaced by ``new`` in its text."""
    text = sample().decode()
    if old not in text:
        raise AssertionError(f"{old!r} is not in the sample")
    return text.replace(old, new, 1).encode()


def batch(count: int) -> list[bytes]:
    """``count`` distinct payloads, as the lines of a JSON Lines file."""
    template = sample().decode()
    lines = []
    for n in range(count):
        text = template.replace("evt_553ea8a294e2d3a75d5086a06fb53f5a", f"evt_{n:032x}", 1)
        text = text.replace('"itemVariationId":1338', f'"itemVariationId":{1338 + n}', 1)
        text = text.replace('"priceNet":41.1765', f'"priceNet":{41 + n % 100}.{n % 10_000:04d}', 1)
        lines.append(text.encode())
    return lines


def country_codes() -> frozenset[str]:
    """The country codes strict mode accepts, the set the peers check against."""
    return plenty_events.countries.valid_codes()


BAD_FIELD: Final = ('"itemVariationId":1338', '"itemVariationId":"1338"')
"""The one bad field of the error-path benchmark: an integer written as a string.

Every decoder rejects it, idiomatic ones included (they read a ``Decimal``
from a string, so a string quantity would not do); lenient mode repairs it.
"""


def bad_payload() -> bytes:
    """The sample with :data:`BAD_FIELD`: the payload of the error path."""
    return replace(*BAD_FIELD)


COLON_FIELD: Final = ('"orderItemName":"SuperService"', '"orderItemName":"Setup: 2 hours"')
"""A valid payload's colon inside a string: the body has one colon more than keys.

plenty-events' fast road proves it free of duplicate keys by writing the
decoded structs again and counting their colons.
"""


def colon_payload() -> bytes:
    """The sample with :data:`COLON_FIELD`: valid, with a colon in a string."""
    return replace(*COLON_FIELD)


@dataclass(frozen=True)
class Case:
    """A payload of the self-check and whether strict decoding must accept it."""

    name: str
    data: bytes
    accept: bool


def cases() -> list[Case]:
    """The payloads of the self-check."""
    item = re.search(rb'"orderItems":(\[.*\])', sample())
    assert item is not None
    return [
        Case("the sample", sample(), accept=True),
        Case("no gender", replace('"gender":"male"', '"gender":""'), accept=True),
        Case("':' in a string", replace('"town":"Kassel"', '"town":"Kassel:Mitte"'), accept=True),
        Case("price in exponent form", replace("41.1765", "4117.65E-2"), accept=True),
        Case("price with 18 significant digits", replace("41.1765", "99999999999999.9999"), accept=True),
        Case(ERROR_CASE, bad_payload(), accept=False),
        Case("unknown key in an order item", replace('"quantity":1', '"quantity":1,"note":""'), accept=False),
        Case("snake_case key", replace('"firstName":"John"', '"first_name":"John"'), accept=False),
        Case("null for a string", replace('"additional":""', '"additional":null'), accept=False),
        Case("empty event id", replace('"id":"evt_553ea8a294e2d3a75d5086a06fb53f5a"', '"id":""'), accept=False),
        Case("unknown gender", replace('"gender":"male"', '"gender":"company"'), accept=False),
        Case("bool id (int field)", replace('"id":1337', '"id":true'), accept=False),
        Case("float id (int field)", replace('"id":1337', '"id":1337.0'), accept=False),
        Case("id past 64 bits", replace('"id":1337', f'"id":{2**63}'), accept=False),
        Case("negative timestamp", replace('"updatedAt":1510837206', '"updatedAt":-1'), accept=False),
        Case(
            "timestamp in milliseconds",
            replace('"createdAt":1510656066', '"createdAt":1510656066000'),
            accept=False,
        ),
        Case(
            "timestamp as a string",
            replace('"createdAt":1510656066', '"createdAt":"1510656066"'),
            accept=False,
        ),
        Case(
            "timestamp as ISO 8601 text",
            replace('"createdAt":1510656066', '"createdAt":"2017-11-14T10:41:06Z"'),
            accept=False,
        ),
        Case("lowercase country", replace('"country":"DE"', '"country":"de"'), accept=False),
        Case("bool quantity", replace('"quantity":1', '"quantity":true'), accept=False),
        Case("price as a string", replace('"priceNet":41.1765', '"priceNet":"41.1765"'), accept=False),
        Case("five decimal places", replace("41.1765", "41.17651"), accept=False),
        Case("trailing zero past 4 places", replace("41.1765", "41.17650"), accept=False),
        Case("price of 10**15", replace('"priceGross":49', f'"priceGross":{10**15}'), accept=False),
        Case("NaN price", replace("41.1765", "NaN"), accept=False),
        Case("empty order items", sample().replace(item.group(1), b"[]", 1), accept=False),
        Case("duplicate key", replace('"quantity":1', '"quantity":2,"quantity":1'), accept=False),
        Case(
            "duplicate key, ':' in a string",
            replace('"town":"Kassel"', '"town":"Kassel:Mitte","town":"Kassel"'),
            accept=False,
        ),
    ]


def canonical(value: object, view: View = EXACT) -> object:
    """A plain, comparable form of a decoded event, whichever library made it.

    A ``Decimal`` keeps its exponent (``49`` is not ``49.0``), a datetime must
    be aware UTC, and an empty-string enum member stands for ``None``.
    """
    if isinstance(value, enum.Enum):
        if view.plain_strings:
            return ("str", value.value)
        return value.value or canonical(None, view)
    if value is None and view.plain_strings:
        return ("str", "")
    if isinstance(value, Decimal):
        return ("Decimal", str(value))
    if isinstance(value, datetime):
        if value.utcoffset() != UTC.utcoffset(None):
            raise AssertionError(f"{value!r} is not aware UTC")
        if view.seconds:
            return ("int", int(value.timestamp()))
        return ("datetime", value.isoformat())
    if value is None or isinstance(value, (str, int)):
        return (type(value).__name__, value)
    if isinstance(value, (tuple, list)):
        return [canonical(member, view) for member in value]
    return {name: canonical(getattr(value, name), view) for name in _field_names(value)}


def _field_names(value: object) -> list[str]:
    if attrs.has(kind := type(value)):
        # The wire's fields only: not the repairs, nor what is kept off the wire.
        return [f.name for f in attrs.fields(kind) if f.name != "repairs" and f.metadata.get("on_wire", True)]
    if isinstance(value, pydantic.BaseModel):
        return list(type(value).model_fields)
    if isinstance(value, msgspec.Struct):
        return list(value.__struct_fields__)
    return sorted(value.__slots__)  # type: ignore[attr-defined]


REJECTED: Final = "rejected"


def outcome(impl: Implementation, data: bytes, view: View = EXACT) -> object:
    """What ``impl`` makes of ``data``: its canonical result in ``view``, or :data:`REJECTED`."""
    try:
        return canonical(impl.decode(data), view)
    except impl.errors:
        return REJECTED


@dataclass
class Verdicts:
    """What the self-check found."""

    #: (decoder, case, what it does, why): the declared departures that happen.
    departures: list[tuple[str, str, str, str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def _verdict(expected: object, result: object) -> str:
    if result == REJECTED:
        return "rejects"
    if expected == REJECTED:
        return "accepts"
    return "changes the value of"


def _plenty_check() -> list[str]:
    """Check plenty-events' own results: exact prices, aware UTC, and lenient as strict on the sample.

    The lenient benchmark times the sample, which must need no repair.
    """
    failures = []
    event = _strict(replace("41.1765", "99999999999999.9999"))
    price = event.resource.order.order_items[0].price_net
    if type(price) is not Decimal or str(price) != "99999999999999.9999":
        failures.append(f"plenty-events strict reads 99999999999999.9999 as {price!r}")
    if event.created_at.utcoffset() != UTC.utcoffset(None) or event.created_at.timestamp() != 1510656066:
        failures.append(f"plenty-events strict reads createdAt as {event.created_at!r}")
    lenient = plenty_events.decode(sample())
    if lenient.repairs:
        failures.append(f"plenty-events lenient repairs the sample: {lenient.repairs}")
    if canonical(lenient) != canonical(_strict(sample())):
        failures.append("plenty-events lenient decodes the sample differently from strict")
    return failures


def self_check(*, verbose: bool = True) -> Verdicts:
    """Check every decoder against plenty-events strict; raise if one fails.

    Returns the departures that the peers declare and that happen.
    """
    verdicts = Verdicts(failures=_plenty_check())
    letters = [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    pairs = [a + b for a in letters for b in letters]
    if [p in country_codes() for p in pairs] != [plenty_events.countries.is_valid(p) for p in pairs]:
        verdicts.failures.append("country_codes() is not the set that strict mode accepts")
    all_cases = cases()
    names = {case.name for case in all_cases}
    for impl in STRICT_DECODERS:
        verdicts.failures += [
            f"{impl.name} declares a departure on {name!r}, which is no case"
            for name in impl.departs
            if name not in names
        ]
    for case in all_cases:
        row = []
        for impl in STRICT_DECODERS:
            result = outcome(impl, case.data, impl.view)
            expected = outcome(STRICT, case.data, impl.view) if case.accept else REJECTED
            if impl is STRICT and (result == REJECTED) == case.accept:
                verdicts.failures.append(
                    f"plenty-events strict does not {'accept' if case.accept else 'reject'} {case.name}"
                )
            agrees = result == expected
            reason = impl.departs.get(case.name)
            if reason is None:
                row.append("ok" if agrees else "FAIL")
                if not agrees:
                    verdicts.failures.append(f"{impl.name} {_verdict(expected, result)} the payload with {case.name}")
            elif agrees:
                row.append("FAIL")
                verdicts.failures.append(
                    f"{impl.name} declares that it departs on {case.name!r} ({reason}), but agrees: update peers.py"
                )
            else:
                row.append("departs")
                verdicts.departures.append((impl.name, case.name, _verdict(expected, result), reason))
        if verbose:
            cells = "  ".join(f"{cell:{_width(impl)}}" for cell, impl in zip(row, STRICT_DECODERS, strict=True))
            print(f"  {case.name:38} {'accept' if case.accept else 'reject':7} {cells}")
    if verdicts.failures:
        raise AssertionError("self-check failed: " + "; ".join(verdicts.failures))
    return verdicts


def _width(impl: Implementation) -> int:
    return max(8, len(impl.short))


def print_self_check() -> Verdicts:
    """Run :func:`self_check` with a header and the departures found; return them."""
    names = "  ".join(f"{impl.short:{_width(impl)}}" for impl in STRICT_DECODERS)
    print(f"self-check: each decoder's verdict against plenty-events strict's\n  {'payload':38} {'strict':7} {names}")
    verdicts = self_check()
    print("\nDepartures from plenty-events' strict rules, declared by the peers and seen above:")
    for impl in STRICT_DECODERS:
        found = [(case, what, why) for name, case, what, why in verdicts.departures if name == impl.name]
        notes = impl.view.describe()
        if not found and not notes:
            continue
        print(f"  {impl.name} ({impl.family}):")
        for note in notes:
            print(f"    represents {note} (compared in that form)")
        for case, what, why in found:
            print(f"    {what} the payload with {case}: {why}")
    return verdicts


if __name__ == "__main__":
    print_self_check()
