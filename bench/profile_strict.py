"""Where the time of a decode goes: the fast road, and the explaining road.

Run from the repository root::

    python bench/profile_strict.py [--payload sample|invalid|repair|all]

A decode of JSON text takes the fast road first (``_fast.FastRoad``, the
built-in engine's ``_decode.BUILTIN.fast_road()``): msgspec's typed decoder
checks the payload into the structs generated from the model
(``_fast.struct``), its float hook ``_kinds.read_fraction`` reading and
checking each fraction's literal as a ``Decimal``; the road counts the
colons of the text; and the generated glue (``_fast.builder``) compares the
count with the keys decoded, calls the kinds' conversions (timestamps,
decimals, gender) and fills the attrs objects' slots. Whatever the fast road
declines takes the explaining road: ``_json.parse`` (msgspec's untyped parse
where the colons prove no key repeated, else the stdlib parser with
duplicate keys marked), then ``_explain.decode_value`` and the walk
(``_walk``) with the mode's rules (``_kinds``), and the ``DecodeError`` with
its message. The walk builds each object whose fields hold no error while
the report holds none: in a payload broken at its last item, the contact
and the address are built, and dropped with the rest.

Part 1 profiles three payloads with cProfile: the sample in strict mode
(the fast road), the sample with one bad field in strict mode (declined,
then rejected on the explaining road; the error message is built too, as a
web handler would), and the same payload in lenient mode (repaired on the
explaining road). It sums each function's own time into the step it
belongs to; a built-in function, or a helper that serves several steps,
counts in the steps of its callers, in proportion to its time under each.
cProfile does not see a class being called (``Decimal(...)``, ``tuple``,
``map``): that time counts in the caller. It also adds a fixed cost to every
Python call, so it overstates the steps made of many small calls; part 2
therefore times the steps directly, without a profiler, interleaved like
``run.py``, and splits the strict decode and the error path by them. All
times are the CPU time of the timing thread (``time.thread_time_ns``), as
in ``run.py``: on a shared machine, wall time counts other processes too.

This script reaches into plenty-events' private modules to time the steps
one by one; it follows their names as they are today, and checks before
timing that the steps it runs alone give what the decode gives.
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
from typing import TYPE_CHECKING, Any, Final, cast

import attrs
import msgspec
import peer_msgspec_idiomatic
import peers

import plenty_events
from plenty_events import _fast, _filling, _json, _kinds, _report, _walk
from plenty_events._codegen import define
from plenty_events._decode import BUILTIN
from plenty_events._explain import decode_value
from plenty_events._model import ServicePurchaseEvent, wire_fields

if TYPE_CHECKING:
    from collections.abc import Callable

HARNESS: Final = "(harness)"
"""The step of this script's own loops: left out of the shares."""

ENTRY: Final = "call layers (decode, Engine.read, FastRoad.decode's own)"
COUNTS: Final = "fast road: colon count (and bracket counts of a long text)"
MSGSPEC: Final = "fast road: msgspec typed decode (C)"
FLOAT_HOOK: Final = "fast road: float hook read_fraction (Decimal of each fraction)"
GLUE: Final = "fast road: glue (new objects, slot stores, class assignments, count check)"
CONVERT: Final = "fast road: conversions (timestamps, decimals, gender)"
PARSE: Final = "explaining road: _json.parse (msgspec and a key count, or json with a duplicate-key hook)"
WALK: Final = "explaining road: dispatch and walk (decode_value, _walk)"
RULES: Final = "explaining road: the mode's rules (_kinds)"
REPORT: Final = "report and error (Report, paths, DecodeError, its message)"
DECLINE: Final = "fast road declining (msgspec's ValidationError)"

#: (code file fragment, function name pattern, step): the first rule that
#: matches a function gives its step; ``None`` matches any. The name must
#: match whole. A function no rule matches counts in its callers' steps.
STEP_RULES: Final[list[tuple[str | None, str | None, str]]] = [
    ("profile_strict.py", None, HARNESS),
    (None, r"<method '(enable|disable)' of '_lsprof\.Profiler' objects>", HARNESS),
    # The fast road.
    ("~", r"<method 'count' of '(bytes|str)' objects>", COUNTS),
    ("~", r"<method 'decode' of 'msgspec\.json\.Decoder' objects>", MSGSPEC),
    ("_kinds.py", r"read_fraction", FLOAT_HOOK),
    ("<plenty_events fast road", None, GLUE),
    ("_kinds.py", r"_decimal_from_wire", CONVERT),
    ("~", r"<built-in method fromtimestamp>", CONVERT),
    ("~", r"<method '\w+' of 'decimal\.Decimal' objects>", CONVERT),
    ("_fast.py", r"decode|read", ENTRY),
    ("_decode.py", r"decode|fast_road", ENTRY),
    ("_api.py", None, ENTRY),
    ("_decoder.py", None, ENTRY),
    # The explaining road.
    ("_json.py", r"parse|_without_duplicates|_keys|read_decimal|_pairs|_depth|check|duplicate_keys", PARSE),
    ("_decode.py", r"decode_value|decode_model|_envelope|decode_unknown", WALK),
    ("_walk.py", None, WALK),
    ("_kinds.py", None, RULES),
    ("timestamps.py", None, RULES),
    ("countries.py", None, RULES),
    ("_report.py", None, REPORT),
    ("_errors.py", None, REPORT),
    ("_privacy.py", None, REPORT),
]

#: pstats' key of a function: (file, line, name); built-ins have file "~".
Function = tuple[str, int, str]


def own_step(function: Function) -> str | None:
    """The step ``function`` belongs to by itself, or ``None`` if its callers decide."""
    filename, _, name = function
    for fragment, pattern, step in STEP_RULES:
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
    _loop(func, 100)  # caches filled, the fast road built, before profiling
    start = time.thread_time_ns()
    _loop(func, decodes)
    plain = (time.thread_time_ns() - start) / decodes / 1000
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
    for function, entry in sorted(ranked, key=lambda item: -item[1][2])[:16]:
        filename, line, name = function
        where = f"{filename.rsplit('/', 1)[-1]}:{line}" if line else "built-in"
        main, share = max(steps[function].items(), key=lambda item: item[1])
        step = main if own_step(function) else f"by caller: {main}" + ("" if share > 0.99 else f" ({share:.0%})")
        print(f"| `{name}` ({where}) | {step} | {entry[1] / decodes:.1f} | {entry[2] / total:.1%} |")


def _with_message(data: bytes, *, strict: bool) -> Callable[[], object]:
    def decode() -> object:
        try:
            return plenty_events.decode(data, strict=strict)
        except plenty_events.DecodeError as exc:
            return str(exc)

    return decode


def payloads() -> dict[str, tuple[str, Callable[[], object]]]:
    """The payloads of part 1: option name -> (title, one decode)."""
    sample = peers.sample()
    bad = peers.bad_payload()
    field = peers.BAD_FIELD[1]
    return {
        "sample": ("the sample, strict: the fast road", lambda: plenty_events.decode(sample, strict=True)),
        "invalid": (
            f"`{field}`, strict: declined by the fast road, rejected on the explaining road, str(error) built",
            _with_message(bad, strict=True),
        ),
        "repair": (
            f"`{field}`, lenient: declined by the fast road, repaired on the explaining road",
            lambda: plenty_events.decode(bad),
        ),
    }


class Road:
    """The built-in fast road's parts, each callable alone."""

    def __init__(self) -> None:
        road = BUILTIN.fast_road()
        self.road = road
        # The road's own decoder and glue: what FastRoad.decode calls.
        self.decoder: msgspec.json.Decoder[Any] = road._decoder  # noqa: SLF001 -- timed alone here
        self.builders = road._builders  # noqa: SLF001 -- same
        data = peers.sample()
        self.data = data
        self.wire = self.decoder.decode(data)
        self.build = self.builders[type(self.wire)]
        self.colons = data.count(b":")
        event = plenty_events.decode(data, strict=True)
        if self.build(self.wire, data, self.colons) != event or road.decode(data) != event:
            raise AssertionError("the fast road's parts do not build what decode returns: update this script")
        self.convert_all = self._conversions()

    def _conversions(self) -> Callable[[], object]:
        """Each kind's conversion of the sample's wire value, called as the glue calls it.

        A generated function of one call per line, each conversion and its
        arguments named in its globals, as in the glue: a loop or a star call
        around each would add its own cost to the step.
        """
        namespace: dict[str, Any] = {}
        calls: list[str] = []

        def name(value: object, role: str = "value") -> str:
            key = f"{role}{len(namespace)}"
            namespace[key] = value
            return key

        def walk(model: type, wire: object) -> None:
            for field in wire_fields(model):
                if field.wire == _fast.TAG:
                    continue
                value = getattr(wire, field.name)
                if isinstance(field.kind, _kinds.ScalarKind):
                    if field.kind.convert is not None:
                        arguments = [name(value), *map(name, field.kind.convert_with)]
                        calls.append(f"    {name(field.kind.convert, 'convert')}({', '.join(arguments)})")
                elif field.model is not None and isinstance(field.kind, _kinds.NestedKind) and field.kind.many:
                    for item in value:
                        walk(field.model, item)
                elif field.model is not None:
                    walk(field.model, value)

        walk(ServicePurchaseEvent, self.wire)
        define(["def convert_all():", *calls], namespace, "profile conversions")
        return cast("Callable[[], object]", namespace["convert_all"])


def filled(event: ServicePurchaseEvent) -> Callable[[], object]:
    """Return a generated function that builds ``event`` again as the glue does: its six objects filled.

    Each value is a global, ready made: the function times the objects'
    making alone, without the glue's reads of the structs and conversions.
    """
    namespace: dict[str, Any] = {}
    lines = ["def filled():"]

    def constant(name: str, value: object) -> str:
        namespace[name] = value
        return name

    def emit(obj: object, variable: str, nested: dict[str, str]) -> None:
        values = {}
        for field in attrs.fields(type(obj)):
            values[field.name] = (
                nested[field.name]
                if field.name in nested
                else constant(f"{variable}_{field.name}", getattr(obj, field.name))
            )
        lines.extend(f"    {line}" for line in _filling.fill(type(obj), variable, values, constant))

    resource = event.resource
    (item,) = resource.order.order_items
    emit(resource.contact, "contact", {})
    emit(resource.address, "address", {})
    emit(item, "item", {})
    emit(resource.order, "order", {"order_items": "(item,)"})
    emit(resource, "resource", {"contact": "contact", "address": "address", "order": "order"})
    emit(event, "event", {"resource": "resource"})
    lines.append("    return event")
    define(lines, namespace, "profile filled")
    function = cast("Callable[[], object]", namespace["filled"])
    if function() != event:
        raise AssertionError("filling does not build what decode returns: update this script")
    return function


def steps() -> dict[str, Callable[[], object]]:
    """The steps of a decode, each runnable alone; the first is the reference."""
    data = peers.sample()
    bad = peers.bad_payload()
    road = Road()
    models = BUILTIN.models
    parsed_bad = _json.parse(bad, _report.Report(), strict=True)
    try:
        decode_value(parsed_bad, _walk.STRICT, _report.Report(), models)
    except plenty_events.DecodeError as exc:
        error = exc
    else:
        raise AssertionError("the bad payload passed the explaining road")
    if road.road.decode(bad) is not None:
        raise AssertionError("the fast road accepted the bad payload: update this script")
    event = plenty_events.decode(data, strict=True)
    contact, address, order = event.resource.contact, event.resource.address, event.resource.order
    item = order.order_items[0]
    seconds = 1510656066
    untyped = msgspec.json.Decoder(float_hook=_json.read_decimal)

    def positional(obj: object) -> list[Any]:
        # The keyword-only fields (repairs, and what is kept off the wire) take their defaults.
        return [getattr(obj, f.name) for f in attrs.fields(type(obj)) if f.init and not f.kw_only]

    event_type, resource_type, order_type = type(event), type(event.resource), type(order)
    contact_type, contact_args = type(contact), positional(contact)
    address_type, address_args = type(address), positional(address)
    item_type, item_args = type(item), positional(item)

    def build() -> object:
        return event_type(
            event.id,
            event.type,
            event.created_at,
            resource_type(
                contact_type(*contact_args),
                address_type(*address_args),
                order_type(order.id, order.paypal_transaction_id, (item_type(*item_args),)),
            ),
        )

    def counts() -> object:
        # A text of at most MAX_BRACKETS bytes, as the sample is, needs no bracket count.
        return data.count(b":")

    def explain_bad() -> object:
        with contextlib.suppress(plenty_events.DecodeError):
            decode_value(_json.parse(bad, _report.Report(), strict=True), _walk.STRICT, _report.Report(), models)
        return None

    def walk_bad() -> object:
        with contextlib.suppress(plenty_events.DecodeError):
            decode_value(parsed_bad, _walk.STRICT, _report.Report(), models)
        return None

    def decline_bad() -> object:
        # What the fast road spends on the bad payload before the explaining road starts.
        with contextlib.suppress(msgspec.ValidationError):
            road.decoder.decode(bad)
        return None

    return {
        SAMPLE_DECODE: lambda: plenty_events.decode(data, strict=True),
        FAST_ROAD: lambda: road.road.decode(data),
        STEP_COUNTS: counts,
        STEP_MSGSPEC: lambda: road.decoder.decode(data),
        STEP_GLUE: lambda: road.build(road.wire, road.data, road.colons),
        STEP_CONVERT: road.convert_all,
        "for scale: msgspec untyped decode, same float hook": lambda: untyped.decode(data),
        "for scale: idiomatic msgspec decode": lambda: peer_msgspec_idiomatic.decode(data),
        "for scale: the 6 attrs objects built by their __init__": build,
        "for scale: the 6 attrs objects filled, as the glue fills them": filled(event),
        "for scale: 3 datetimes, datetime.fromtimestamp(s, UTC)": lambda: [
            datetime.fromtimestamp(seconds, UTC) for _ in range(3)
        ],
        BAD_DECODE: _with_message(bad, strict=True),
        STEP_DECLINE: decline_bad,
        STEP_PARSE: lambda: _json.parse(bad, _report.Report(), strict=True),
        STEP_WALK: walk_bad,
        STEP_MESSAGE: lambda: str(error),
        "explaining road, parse and walk together": explain_bad,
        "lenient decode of the bad payload (one repair)": lambda: plenty_events.decode(bad),
    }


SAMPLE_DECODE: Final = "strict decode of the sample: plenty_events.decode"
FAST_ROAD: Final = "fast road alone: FastRoad.decode"
STEP_COUNTS: Final = "count: colons (bytes.count)"
STEP_MSGSPEC: Final = "msgspec typed decode into the structs, float hook included"
STEP_GLUE: Final = "glue: the event built from the structs, conversions included"
STEP_CONVERT: Final = "conversions alone: 3 timestamps, 3 decimals, 1 gender"
BAD_DECODE: Final = "strict decode of the bad payload, with str(error)"
STEP_DECLINE: Final = "fast road declining it: msgspec's ValidationError"
STEP_PARSE: Final = "explaining road: _json.parse"
STEP_WALK: Final = "explaining road: decode_value on the parsed value (the generated walks, rules, DecodeError)"
STEP_MESSAGE: Final = "str(error)"


def time_steps(cases: dict[str, Callable[[], object]], rounds: int, sample_ms: float) -> dict[str, list[float]]:
    """Per-call µs of each step, one sample per round, the order rotating."""
    loops = {}
    for name, func in cases.items():
        start = time.thread_time_ns()
        for _ in range(200):
            func()
        loops[name] = max(1, round(200 * sample_ms * 1e6 / (time.thread_time_ns() - start)))
    samples: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            func, count = cases[name], loops[name]
            start = time.thread_time_ns()
            for _ in range(count):
                func()
            samples[name].append((time.thread_time_ns() - start) / count / 1000)
    return samples


def split(least: dict[str, float]) -> None:
    """Print the strict decode and the error path split into the steps timed alone."""
    total = least[SAMPLE_DECODE]
    glue = least[STEP_GLUE]
    convert = min(least[STEP_CONVERT], glue)
    parts = {
        "msgspec typed decode (float hook included)": least[STEP_MSGSPEC],
        "colon count": least[STEP_COUNTS],
        "conversions (3 timestamps, 3 decimals, 1 gender)": convert,
        "glue without the conversions (new objects, slot sets, count check)": glue - convert,
    }
    parts["call layers (decode, Engine.read, FastRoad.decode): the rest"] = total - sum(parts.values())
    _print_split(f"the strict decode of the sample ({total:.2f} µs)", parts, total)

    total = least[BAD_DECODE]
    parts = {
        "fast road declining (msgspec up to the bad field)": least[STEP_DECLINE],
        "explaining road: _json.parse": least[STEP_PARSE],
        "explaining road: decode_value (strict walk, rules, DecodeError)": least[STEP_WALK],
        "str(error)": least[STEP_MESSAGE],
    }
    # Walking a freshly parsed value costs more than walking one value again, as the step above does.
    parts["the rest: call layers, exceptions, fresh objects"] = total - sum(parts.values())
    _print_split(f"the error path ({total:.2f} µs, {total / least[SAMPLE_DECODE]:.2f}x the sample's)", parts, total)


def _print_split(title: str, parts: dict[str, float], total: float) -> None:
    # The least of the rounds, not the median: on a shared machine it is the
    # sample that the neighbours disturbed least, so the parts add up best.
    print(f"\n## Split of {title}, by the least time of each step over the rounds\n")
    print("| part | µs | share |\n|---|---:|---:|")
    for part, value in parts.items():
        print(f"| {part} | {value:.2f} | {value / total:.0%} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--payload", choices=[*payloads(), "all", "none"], default="all", help="the payload to profile in part 1"
    )
    parser.add_argument("--decodes", type=int, default=20_000, help="decodes under cProfile, per payload")
    parser.add_argument("--rounds", type=int, default=40, help="interleaved rounds of the step timings")
    parser.add_argument("--sample-ms", type=float, default=10.0, help="length of one timed sample in ms")
    args = parser.parse_args()
    print(f"# plenty-events {plenty_events.__version__}, msgspec {msgspec.__version__}")

    for option, (title, func) in payloads().items():
        if args.payload in (option, "all"):
            profile(title, func, args.decodes)

    samples = time_steps(steps(), args.rounds, args.sample_ms)
    medians = {step: statistics.median(values) for step, values in samples.items()}
    least = {step: min(values) for step, values in samples.items()}
    print(f"\n## Steps timed alone, {args.rounds} interleaved rounds\n")
    print("| step | median µs | least µs | median vs the strict decode of the sample |\n|---|---:|---:|---:|")
    for step, median in medians.items():
        print(f"| {step} | {median:.2f} | {least[step]:.2f} | {median / medians[SAMPLE_DECODE]:.0%} |")
    split(least)


if __name__ == "__main__":
    main()
