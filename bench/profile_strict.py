"""Where the time of a decode goes: the quick path, the generated decoder, the full path.

Run from the repository root::

    python bench/profile_strict.py [--parser installed|stdlib] [--payload sample|invalid|repair]

A decode first tries the quick path: ``_json.parse_quick`` parses with the
parser ``_json.quick_loads()`` chose (msgspec's with the ``speedups`` extra,
else the standard library's), and the generated decoder of the model checks
and builds the objects. Anything else takes the full path: ``_json.parse``
with its duplicate-key hook, then ``decode_value``, whose generated decoder
hands each object it cannot pass to the rule-by-rule walk of ``_walk`` and
the rules of ``_strict`` or ``_lenient``.

Part 1 profiles three payloads with cProfile: the sample in strict mode (the
quick path), the sample with a string quantity in strict mode (rejected on
the full path; the error message is built too, as a web handler would), and
the same payload in lenient mode (repaired on the full path). It sums the own
time of each function into the step it belongs to. A built-in function, or
a helper that serves several steps (``len``, ``dict.get``, the ``json``
module's Python code, ``countries``), counts in the steps of its callers, in
proportion to its time under each. cProfile does not see a class being
called: a ``Decimal`` the parser makes from a literal counts in the parser,
one the generated decoder makes in the generated decoder. It also adds a
fixed cost to every Python call, so it overstates the steps made of many
small calls (rules, paths); part 2 therefore times the steps directly,
without a profiler, interleaved like ``run.py``.

``--parser stdlib`` puts the standard library's parser on the quick path, as
a default install (without msgspec) has it, for the whole run.

This script reaches into plenty-events' private modules to time the steps
one by one; it follows their names as they are today.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import pstats
import re
import statistics
import time
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

import peers
from plenty_events._codegen import decoder

import plenty_events
from plenty_events import _json, _report, _strict, _walk
from plenty_events._decode import decode_value
from plenty_events._model import ServicePurchaseEvent

if TYPE_CHECKING:
    from collections.abc import Callable

HARNESS: Final = "(harness)"
"""The step of this script's own loops: left out of the shares."""

QUICK: Final = "quick path: _quick, parse_quick (type checks, colon count)"
DATES_AND_DECIMALS: Final = "datetime and Decimal (fromtimestamp, from_unix, Decimal methods)"
ATTRS: Final = "object construction (attrs __init__, attrs.evolve)"
REPORT: Final = "report and error (Report, paths, DecodeError, its message)"
ENTRY: Final = "entry and dispatch (decode, decode_input, decode_value, decode_purchase)"

#: (code file fragment, function name pattern, step): the first rule that
#: matches a function gives its step; ``None`` matches any. The name must
#: match whole. A function no rule matches counts in its callers' steps.
RULES: Final[list[tuple[str | None, str | None, str]]] = [
    ("profile_strict.py", None, HARNESS),
    (None, r"<method '(enable|disable)' of '_lsprof\.Profiler' objects>", HARNESS),
    # The quick path.
    ("_decode.py", r"_quick|_quick_decoder", QUICK),
    ("_json.py", r"parse_quick|quick_loads", QUICK),
    ("~", r"<method 'decode' of 'msgspec\.json\.Decoder' objects>", "JSON parse, quick path: msgspec"),
    ("_json.py", r"stdlib_loads", "JSON parse, quick path: stdlib json"),
    ("<plenty_events decode_", None, "generated decoder (inline checks and calls)"),
    # Building the values and objects.
    ("<attrs generated", None, ATTRS),
    ("attr", r"evolve", ATTRS),
    ("~", r"<built-in method fromtimestamp>", DATES_AND_DECIMALS),
    ("timestamps.py", None, DATES_AND_DECIMALS),
    ("~", r"<method '\w+' of 'decimal\.Decimal' objects>", DATES_AND_DECIMALS),
    # The full path.
    ("_json.py", r"parse|_pairs|_depth|check", "full path: _json.parse (json, duplicate-key hook)"),
    ("_walk.py", None, "full path: the walk (_walk.member, decode_object, _decode_nested)"),
    ("_strict.py", None, "full path: strict rules (_strict)"),
    ("_lenient.py", None, "full path: lenient rules (_lenient)"),
    ("_report.py", None, REPORT),
    ("_errors.py", None, REPORT),
    ("_decode.py", None, ENTRY),
    ("_api.py", None, ENTRY),
]

#: pstats' key of a function: (file, line, name); built-ins have file "~".
Function = tuple[str, int, str]


def own_step(function: Function) -> str | None:
    """The step ``function`` belongs to by itself, or ``None`` if its callers decide."""
    filename, _, name = function
    for fragment, pattern, step in RULES:
        if (fragment is None or fragment in filename) and (pattern is None or re.fullmatch(pattern, name)):
            return step
    return None


def steps_of(raw: dict[Function, Any]) -> dict[Function, dict[str, float]]:
    """Each function's steps, as shares of its own time that add up to 1."""
    memo: dict[Function, dict[str, float]] = {}

    def shares(function: Function, seen: frozenset[Function]) -> dict[str, float]:
        step = own_step(function)
        if step is not None:
            return {step: 1.0}
        if function in memo:
            return memo[function]
        # Weigh each caller by the time spent in ``function`` under it, or,
        # where the clock saw none, by the number of calls.
        callers = {c: v for c, v in raw[function][4].items() if c not in seen and c != function}
        weights = {c: v[2] for c, v in callers.items()}
        if not sum(weights.values()):
            weights = {c: v[0] for c, v in callers.items()}
        total = sum(weights.values())
        result: defaultdict[str, float] = defaultdict(float)
        if not total:
            result["other"] = 1.0
        for caller, weight in weights.items():
            for step, share in shares(caller, seen | {function}).items():
                result[step] += share * weight / total
        memo[function] = dict(result)
        return memo[function]

    return {function: shares(function, frozenset()) for function in raw}


def _loop(func: Callable[[], object], count: int) -> None:
    for _ in range(count):
        func()


def profile(title: str, func: Callable[[], object], decodes: int) -> None:
    """Profile ``decodes`` calls of ``func`` and print its steps and top functions."""
    _loop(func, 100)  # caches filled, generated decoders compiled, before profiling
    start = time.perf_counter_ns()
    _loop(func, decodes)
    plain = (time.perf_counter_ns() - start) / decodes / 1000
    profiler = cProfile.Profile()
    profiler.enable()
    _loop(func, decodes)
    profiler.disable()
    raw: dict[Function, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    steps = steps_of(raw)
    by_step: defaultdict[str, float] = defaultdict(float)
    for function, entry in raw.items():
        for step, share in steps[function].items():
            by_step[step] += entry[2] * share
    harness = by_step.pop(HARNESS, 0.0)
    total = sum(by_step.values())
    print(f"\n## {title}\n")
    print(
        f"{decodes:,} decodes under cProfile: {total / decodes * 1e6:.1f} µs each "
        f"(the loop's own {harness / decodes * 1e6:.1f} µs left out); {plain:.1f} µs each without the profiler.\n"
    )
    print("| step | share of own time | µs per decode, profiled |\n|---|---:|---:|")
    for step, own in sorted(by_step.items(), key=lambda item: -item[1]):
        print(f"| {step} | {own / total:.1%} | {own / decodes * 1e6:.2f} |")
    print("\ntop functions by own time:\n")
    print("| function | step | calls per decode | share |\n|---|---|---:|---:|")
    ranked = [item for item in raw.items() if HARNESS not in steps[item[0]]]
    for function, entry in sorted(ranked, key=lambda item: -item[1][2])[:14]:
        filename, line, name = function
        where = f"{filename.rsplit('/', 1)[-1]}:{line}" if line else "built-in"
        main, share = max(steps[function].items(), key=lambda item: item[1])
        step = main if own_step(function) else f"by caller: {main}" + ("" if share > 0.99 else f" ({share:.0%})")
        print(f"| `{name}` ({where}) | {step} | {entry[1] / decodes:.0f} | {entry[2] / total:.1%} |")


def _strict_with_message(data: bytes) -> Callable[[], object]:
    def decode() -> object:
        try:
            return plenty_events.decode(data, strict=True)
        except plenty_events.DecodeError as exc:
            return str(exc)

    return decode


def payloads() -> dict[str, tuple[str, Callable[[], object]]]:
    """The payloads of part 1: option name -> (title, one decode)."""
    sample = peers.sample()
    bad = peers.replace('"quantity":1', peers.BAD_QUANTITY)
    return {
        "sample": (
            "the sample, strict: the quick path",
            lambda: plenty_events.decode(sample, strict=True),
        ),
        "invalid": (
            "a string quantity, strict: rejected on the full path, str(error) built",
            _strict_with_message(bad),
        ),
        "repair": (
            "a string quantity, lenient: repaired on the full path",
            lambda: plenty_events.decode(bad),
        ),
    }


def steps() -> dict[str, Callable[[], object]]:
    """The steps of a decode, each runnable alone; the first is the reference."""
    data = peers.sample()
    bad = peers.replace('"quantity":1', peers.BAD_QUANTITY)
    value = _json.stdlib_loads(data)
    parsed_bad = _json.parse(bad, _report.Report(), strict=True)
    generated = decoder(ServicePurchaseEvent, strict=True)
    plan = _walk.plan(ServicePurchaseEvent, strict=True)
    event = plenty_events.decode(data, strict=True)
    contact, address, order = event.resource.contact, event.resource.address, event.resource.order
    item = order.order_items[0]
    seconds = 1510656066
    parsers = {"stdlib json": _json.stdlib_loads}
    with contextlib.suppress(ImportError):
        import msgspec  # noqa: PLC0415 -- the speedups extra, optional

        parsers["msgspec"] = msgspec.json.Decoder(float_hook=Decimal).decode

    def fields(obj: object) -> list[object]:
        return [getattr(obj, f.name) for f in obj.__attrs_attrs__]  # type: ignore[attr-defined]

    def build() -> object:
        return type(event)(
            event.id,
            event.type,
            event.created_at,
            type(event.resource)(
                type(contact)(*fields(contact)),
                type(address)(*fields(address)),
                type(order)(order.id, order.paypal_transaction_id, (type(item)(*fields(item)),)),
            ),
        )

    def decode_bad_value() -> object:
        with contextlib.suppress(plenty_events.DecodeError):
            decode_value(parsed_bad, strict=True, report=_report.Report())
        return None

    return {
        "strict decode of the sample": lambda: plenty_events.decode(data, strict=True),
        "quick path: parse_quick, with the parser in use": lambda: _json.parse_quick(data),
        **{f"JSON parse alone: {name}": (lambda loads=loads: loads(data)) for name, loads in parsers.items()},
        "generated decoder, no report (the quick path's)": lambda: generated(value, _report.ROOT, None, [0]),
        "the 6 attrs objects built alone": build,
        "3 datetimes: datetime.fromtimestamp(s, UTC)": lambda: [datetime.fromtimestamp(seconds, UTC) for _ in range(3)],
        "1 Decimal from its literal": lambda: Decimal("41.1765"),
        "strict decode of a string quantity, with str(error)": _strict_with_message(bad),
        "full path: _json.parse (duplicate-key hook)": lambda: _json.parse(bad, _report.Report(), strict=True),
        "full path: decode_value on it (generated decoder, the walk where it fails)": decode_bad_value,
        "the walk alone on the sample: _walk.decode_object": lambda: _walk.decode_object(
            value, _report.ROOT, plan, _strict, _report.Report()
        ),
        "lenient decode of a string quantity (one repair)": lambda: plenty_events.decode(bad),
    }


def time_steps(cases: dict[str, Callable[[], object]], rounds: int, sample_ms: float) -> dict[str, float]:
    loops = {}
    for name, func in cases.items():
        start = time.perf_counter_ns()
        for _ in range(200):
            func()
        loops[name] = max(1, round(200 * sample_ms * 1e6 / (time.perf_counter_ns() - start)))
    samples: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            func, count = cases[name], loops[name]
            start = time.perf_counter_ns()
            for _ in range(count):
                func()
            samples[name].append((time.perf_counter_ns() - start) / count / 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--parser",
        choices=["installed", "stdlib"],
        default="installed",
        help="the quick path's parser: the fastest installed (default), or the stdlib's, as on a default install",
    )
    parser.add_argument(
        "--payload",
        choices=[*payloads(), "all"],
        default="all",
        help="the payload to profile in part 1 (default: all)",
    )
    parser.add_argument("--decodes", type=int, default=20_000, help="decodes under cProfile, per payload")
    parser.add_argument("--rounds", type=int, default=40, help="interleaved rounds of the step timings")
    parser.add_argument("--sample-ms", type=float, default=10.0, help="length of one timed sample in ms")
    args = parser.parse_args()
    if args.parser == "stdlib":
        # For the whole run: nothing here times the installed parser's path.
        _json.quick_loads = peers.parser_choice(_json.stdlib_loads)
    loads = _json.quick_loads()
    name = "the standard library's json" if loads is _json.stdlib_loads else f"msgspec ({loads!r})"
    print(f"# plenty-events {plenty_events.__version__}: the quick path parses with {name}")

    for option, (title, func) in payloads().items():
        if args.payload in (option, "all"):
            profile(title, func, args.decodes)

    medians = time_steps(steps(), args.rounds, args.sample_ms)
    reference = next(iter(medians.values()))
    print(f"\n## Steps timed alone, median of {args.rounds} interleaved rounds\n")
    print("| step | µs | vs the strict decode of the sample |\n|---|---:|---:|")
    for step, median in medians.items():
        print(f"| {step} | {median:.2f} | {median / reference:.0%} |")


if __name__ == "__main__":
    main()
