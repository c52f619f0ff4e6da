"""The decoders under comparison, the payloads they run on, and a self-check.

plenty-events strict is timed twice: with the parser that the ``speedups``
extra (msgspec) brings to the quick path, and with the standard library's,
as a default install has it. It is compared with the same strict contract
written three other ways (each in its own module, so a fresh interpreter can
import one alone):

- ``peer_pydantic``: pydantic v2 models in strict mode, ``model_validate_json``;
- ``peer_msgspec``: frozen msgspec Structs and a typed ``msgspec.json.Decoder``;
- ``peer_stdlib``: the hand-written floor, stdlib ``json`` and slotted classes.

:func:`self_check` decodes the sample with each and checks that the results
agree with plenty-events' (ids, exact ``Decimal`` prices, UTC datetimes), and
that each rejects the payloads that strict mode rejects; and that the
stdlib-parser case really parses with the standard library.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Final

import attrs
import msgspec
import peer_msgspec
import peer_pydantic
import peer_stdlib
import pydantic

import plenty_events
import plenty_events.countries
from plenty_events import _json

if TYPE_CHECKING:
    from collections.abc import Callable

SAMPLE_PATH: Final = Path(__file__).resolve().parent.parent / "examples" / "service-purchase.json"


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
    #: Statements the fresh interpreter of the cold start runs, untimed, first.
    cold_preload: str = ""


def _strict(data: bytes) -> object:
    return plenty_events.decode(data, strict=True)


def _lenient(data: bytes) -> object:
    return plenty_events.decode(data)


# The stdlib-parser case: plenty-events strict as a default install (without
# msgspec) runs it. The quick path, ``_json.parse_quick``, calls the module
# global ``_json.quick_loads()`` on every decode to get its parser; a default
# install's returns ``_json.stdlib_loads``. The case's decode points that
# global at a stand-in returning ``stdlib_loads`` for the length of one call,
# and puts the original back before returning or raising: every line of the
# library runs as it does on a default install, and the cases around it,
# interleaved in this one process, see the original. (The harness runs in one
# thread; the test suite's ``--json-parser=stdlib`` swaps the same global.)
# parser_check() proves both halves before any timing. The cold start needs no
# swap: its fresh interpreter cannot import msgspec, as on a default install.
# The swap costs about 50 ns a call (a load, two stores and a try/finally,
# timed around a no-op), under 0.5 % of this case's decode: its ratios are
# pessimistic by that much, never flattered. The stand-in is cached like the
# original, so that parse_quick's call to it costs the same.


def parser_choice(loads: Callable[[bytes], object]) -> Callable[[], Callable[[bytes], object]]:
    """A stand-in for ``_json.quick_loads`` that chooses ``loads``."""

    @functools.cache
    def choose() -> Callable[[bytes], object]:
        return loads

    return choose


def with_parser(loads: Callable[[bytes], object]) -> Callable[[bytes], object]:
    """``decode(data, strict=True)`` with ``loads`` as the quick path's parser."""
    choose = parser_choice(loads)

    def decode(data: bytes) -> object:
        original = _json.quick_loads
        _json.quick_loads = choose
        try:
            return plenty_events.decode(data, strict=True)
        finally:
            _json.quick_loads = original

    return decode


#: Made unimportable in the fresh interpreter of the cold start: a default install.
_NO_MSGSPEC: Final = 'sys.modules["msgspec"] = None'

STRICT: Final = Implementation("plenty-events strict", _strict, (plenty_events.DecodeError,), "plenty_events", "plenty")
STRICT_STDLIB: Final = Implementation(
    "plenty-events strict, stdlib parser",
    with_parser(_json.stdlib_loads),
    (plenty_events.DecodeError,),
    "plenty_events",
    "plenty/stdlib",
    cold_preload=_NO_MSGSPEC,
)
LENIENT: Final = Implementation(
    "plenty-events lenient", _lenient, (plenty_events.DecodeError,), "plenty_events", "lenient"
)
PYDANTIC: Final = Implementation(
    peer_pydantic.NAME, peer_pydantic.decode, peer_pydantic.ERRORS, "peer_pydantic", "pydantic"
)
MSGSPEC: Final = Implementation(peer_msgspec.NAME, peer_msgspec.decode, peer_msgspec.ERRORS, "peer_msgspec", "msgspec")
STDLIB: Final = Implementation(peer_stdlib.NAME, peer_stdlib.decode, peer_stdlib.ERRORS, "peer_stdlib", "by hand")

#: The strict decoders, plenty-events first.
STRICT_DECODERS: Final = (STRICT, STRICT_STDLIB, PYDANTIC, MSGSPEC, STDLIB)
#: Every decoder timed on the sample: the strict ones and plenty-events lenient.
DECODERS: Final = (STRICT, STRICT_STDLIB, LENIENT, PYDANTIC, MSGSPEC, STDLIB)

VERSIONS: Final = {
    "plenty-events": plenty_events.__version__,
    "pydantic": pydantic.VERSION,
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
    return plenty_events.countries.iso_codes() | plenty_events.countries.plenty_codes()


BAD_QUANTITY: Final = '"quantity":"1"'
"""The one bad field of the error-path benchmark: the quantity as a string."""


@dataclass(frozen=True)
class Case:
    """A payload of the self-check and whether strict decoding must accept it."""

    name: str
    data: bytes
    accept: bool
    #: Checked and shown, but a disagreement is a known difference, not a failure.
    informative: bool = False


def cases() -> list[Case]:
    """The payloads of the self-check."""
    return [
        Case("the sample", sample(), accept=True),
        Case(
            "unknown key in an order item",
            replace('"quantity":1', '"quantity":1,"note":""'),
            accept=False,
        ),
        Case("bool quantity", replace('"quantity":1', '"quantity":true'), accept=False),
        Case("string quantity", replace('"quantity":1', BAD_QUANTITY), accept=False),
        Case("bool id (int field)", replace('"id":1337', '"id":true'), accept=False),
        Case("float id (int field)", replace('"id":1337', '"id":1337.0'), accept=False),
        Case(
            "negative timestamp",
            replace('"updatedAt":1510837206', '"updatedAt":-1'),
            accept=False,
        ),
        Case(
            "lowercase country",
            replace('"country":"DE"', '"country":"de"'),
            accept=False,
        ),
        Case(
            "empty order items",
            re.sub(rb'"orderItems":\[.*\]', b'"orderItems":[]', sample()),
            accept=False,
        ),
        Case("five decimal places", replace("41.1765", "41.17651"), accept=False),
        Case(
            "duplicate key",
            replace('"quantity":1', '"quantity":2,"quantity":1'),
            accept=False,
        ),
        Case(
            "duplicate key, ':' in a string",
            replace('"town":"Kassel"', '"town":"Kassel:Mitte","town":"Kassel"'),
            accept=False,
        ),
        Case(
            "':' in a string",
            replace('"town":"Kassel"', '"town":"Kassel:Mitte"'),
            accept=True,
        ),
        Case(
            "trailing zero past 4 places",
            replace("41.1765", "41.17650"),
            accept=False,
            informative=True,
        ),
        Case(
            "price with 18 significant digits",
            replace("41.1765", "99999999999999.9999"),
            accept=True,
            informative=True,
        ),
    ]


def canonical(value: object) -> object:
    """A plain, comparable form of a decoded event, whichever library made it.

    A ``Decimal`` keeps its exponent (``49`` is not ``49.0``), a datetime must
    be aware UTC, and an empty-string enum member stands for ``None``.
    """
    if isinstance(value, enum.Enum):
        return value.value or None
    if isinstance(value, Decimal):
        return ("Decimal", str(value))
    if isinstance(value, datetime):
        if value.utcoffset() != UTC.utcoffset(None):
            raise AssertionError(f"{value!r} is not aware UTC")
        return ("datetime", value.isoformat())
    if value is None or isinstance(value, (str, int)):
        return (type(value).__name__, value)
    if isinstance(value, (tuple, list)):
        return [canonical(member) for member in value]
    return {name: canonical(getattr(value, name)) for name in _field_names(value)}


def _field_names(value: object) -> list[str]:
    if attrs.has(type(value)):
        return [f.name for f in attrs.fields(type(value)) if f.name != "repairs"]
    if isinstance(value, pydantic.BaseModel):
        return list(type(value).model_fields)
    if isinstance(value, msgspec.Struct):
        return list(value.__struct_fields__)
    return sorted(value.__slots__)  # type: ignore[attr-defined]


def outcome(impl: Implementation, data: bytes) -> object:
    """What ``impl`` makes of ``data``: its canonical result, or ``"rejected"``."""
    try:
        return canonical(impl.decode(data))
    except impl.errors:
        return "rejected"


def parser_check() -> list[str]:
    """Check that the stdlib-parser case parses with its parser and puts the original back.

    Returns what is wrong, if anything.
    """
    failures: list[str] = []
    if "quick_loads" not in _json.parse_quick.__code__.co_names:
        failures.append("_json.parse_quick no longer calls _json.quick_loads(), which the stdlib-parser case swaps")
    if _json.quick_loads() is _json.stdlib_loads:
        failures.append("plenty-events strict parses with the standard library: is msgspec installed?")
    calls: list[bytes] = []

    def spy(raw: bytes) -> object:
        calls.append(raw)
        return _json.stdlib_loads(raw)

    original = _json.quick_loads
    decode = with_parser(spy)
    for case in cases():  # accepted on the quick path, or decided on the full path
        calls.clear()
        with contextlib.suppress(plenty_events.DecodeError):
            decode(case.data)
        if calls != [case.data]:
            failures.append(f"the stdlib-parser case did not parse the payload with {case.name} with its parser")
        if _json.quick_loads is not original:
            failures.append(f"the stdlib-parser case left its parser in place after the payload with {case.name}")
            _json.quick_loads = original
    return failures


def self_check(*, verbose: bool = True) -> list[str]:
    """Check the peers against plenty-events; raise if a required case fails.

    Returns the known differences (informative cases where a decoder
    disagrees with plenty-events' strict mode).
    """
    failures = parser_check()
    differences: list[str] = []
    letters = [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    pairs = [a + b for a in letters for b in letters]
    if [p in country_codes() for p in pairs] != [plenty_events.countries.is_valid(p) for p in pairs]:
        failures.append("country_codes() is not the set that strict mode accepts")
    expected_sample = canonical(_strict(sample()))
    for case in cases():
        row = []
        for impl in STRICT_DECODERS:
            result = outcome(impl, case.data)
            if case.accept and case.data == sample():
                ok = result == expected_sample
            elif case.accept:
                ok = result != "rejected" and result == outcome(STRICT, case.data)
            else:
                ok = result == "rejected"
            row.append("ok" if ok else ("differs" if case.informative else "FAIL"))
            if not ok:
                target = differences if case.informative else failures
                verdict = "rejects" if result == "rejected" else "accepts"
                if case.accept and result != "rejected":
                    verdict = "changes the value of"
                target.append(f"{impl.name} {verdict} the payload with {case.name}")
        if verbose:
            cells = "  ".join(f"{cell:{_width(impl)}}" for cell, impl in zip(row, STRICT_DECODERS, strict=True))
            print(f"  {case.name:34} {'accept' if case.accept else 'reject':7} {cells}")
    if failures:
        raise AssertionError("self-check failed: " + "; ".join(failures))
    return differences


def _width(impl: Implementation) -> int:
    return max(8, len(impl.short))


def print_self_check() -> list[str]:
    """Run :func:`self_check` with a header; return the known differences."""
    names = "  ".join(f"{impl.short:{_width(impl)}}" for impl in STRICT_DECODERS)
    print(f"self-check {'':24} {'strict':7} {names}")
    differences = self_check()
    for difference in differences:
        print(f"  known difference: {difference}")
    return differences


if __name__ == "__main__":
    print_self_check()
