"""Where the time of a strict decode goes, and what a faster JSON layer could save.

Run from the repository root::

    python bench/profile_strict.py [--decodes 20000] [--rounds 40]

Part 1 profiles ``decode(sample, strict=True)`` with cProfile and sums the
own time of each function into the step of the decode it belongs to.
cProfile adds a fixed cost to every Python call, so it overstates the steps
made of many small calls (rules, paths); part 2 therefore times the steps
directly, without a profiler, interleaved like ``run.py``.

This script reaches into plenty-events' private modules to time the steps
one by one; it follows their names as they are today.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import time
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import msgspec
import peers

import plenty_events
from plenty_events import _json, _report, timestamps
from plenty_events._decode import decode_value

if TYPE_CHECKING:
    from collections.abc import Callable

#: Function name (or module fragment) -> step of the decode. First match wins.
STEPS: list[tuple[str, str]] = [
    ("_pairs", "JSON parse: object_pairs_hook (duplicate keys)"),
    ("raw_decode", "JSON parse: scanner (incl. Decimal for fractions)"),
    ("json/decoder.py", "JSON parse: scanner (incl. Decimal for fractions)"),
    ("method 'decode' of 'bytes'", "JSON parse: UTF-8 decode and checks"),
    ("_json.py", "JSON parse: UTF-8 decode and checks"),
    ("key_path", "wire paths built on success"),
    ("index_path", "wire paths built on success"),
    ("shorten", "wire paths built on success"),
    ("method 'match' of 're.Pattern'", "wire paths built on success"),
    ("from_unix", "rules: timestamps (from_unix)"),
    ("timestamps.py", "rules: timestamps (from_unix)"),
    ("_strict.py", "rules: the other field rules"),
    ("countries.py", "rules: the other field rules"),
    ("enum.py", "rules: the other field rules"),
    ("as_tuple", "rules: the other field rules"),
    ("is_finite", "rules: the other field rules"),
    ("<attrs generated", "object construction (attrs __init__)"),
    ("_decode_object", "model walk (_decode_object, _decode_nested)"),
    ("_decode_nested", "model walk (_decode_object, _decode_nested)"),
    ("method 'get' of 'dict'", "model walk (_decode_object, _decode_nested)"),
    ("method 'append' of 'list'", "model walk (_decode_object, _decode_nested)"),
    ("_report.py", "report (Report, error counts)"),
    ("_errors.py", "report (Report, error counts)"),
]


def step_of(function: tuple[str, int, str]) -> str:
    filename, _, name = function
    for fragment, step in STEPS:
        if fragment in name or fragment in filename:
            return step
    return "entry and dispatch (decode, decode_input, decode_value, builtins)"


def profile(data: bytes, decodes: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(decodes):
        plenty_events.decode(data, strict=True)
    profiler.disable()
    stats = pstats.Stats(profiler)
    raw = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in raw.values())
    by_step: defaultdict[str, float] = defaultdict(float)
    for function, entry in raw.items():
        by_step[step_of(function)] += entry[2]
    per_decode = total / decodes * 1e6
    print(f"cProfile, {decodes:,} strict decodes: {per_decode:.1f} µs each (profiled)\n")
    print("| step | share of own time |\n|---|---:|")
    for step, own in sorted(by_step.items(), key=lambda item: -item[1]):
        print(f"| {step} | {own / total:.1%} |")
    print("\ntop functions by own time:\n")
    print("| function | calls per decode | share |\n|---|---:|---:|")
    top = sorted(raw.items(), key=lambda item: -item[1][2])[:12]
    for (filename, line, name), entry in top:
        where = f"{filename.rsplit('/', 1)[-1]}:{line}" if line else "builtin"
        calls, share = entry[1] / decodes, entry[2] / total
        print(f"| `{name}` ({where}) | {calls:.0f} | {share:.1%} |")


def _count_keys(value: object) -> int:
    """Count the keys of every object in a parsed JSON value."""
    if type(value) is dict:
        return len(value) + sum(_count_keys(member) for member in value.values())
    if type(value) is list:
        return sum(_count_keys(member) for member in value)
    return 0


_UNTYPED = msgspec.json.Decoder(float_hook=Decimal)


def _msgspec_with_duplicate_check(data: bytes) -> object:
    value = _UNTYPED.decode(data)
    if data.count(b":") != _count_keys(value):
        json.loads(data, object_pairs_hook=_reject_duplicates)
    return value


def _reject_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ValueError("duplicate key")
    return obj


def _pairs_hook(pairs: list[tuple[str, object]]) -> dict[str, object]:
    return dict(pairs)


def steps(data: bytes) -> dict[str, Callable[[], object]]:
    """The steps of a strict decode, and candidate replacements, each runnable alone."""
    text = data.decode()
    parsed = json.loads(text, parse_float=Decimal)
    event = plenty_events.decode(data, strict=True)
    contact, address, order = (
        event.resource.contact,
        event.resource.address,
        event.resource.order,
    )
    item = order.order_items[0]
    hooked = json.JSONDecoder(parse_float=Decimal, object_pairs_hook=_json._pairs)  # noqa: SLF001
    unhooked = json.JSONDecoder(parse_float=Decimal)
    plain_pairs = json.JSONDecoder(parse_float=Decimal, object_pairs_hook=_pairs_hook)
    seconds = 1510656066
    from_unix = timestamps.from_unix

    def build() -> object:
        return type(event)(
            event.id,
            event.type,
            event.created_at,
            type(event.resource)(
                type(contact)(
                    *(
                        getattr(contact, f)
                        for f in (
                            "id",
                            "gender",
                            "first_name",
                            "last_name",
                            "email",
                            "updated_at",
                        )
                    )
                ),
                type(address)(*(getattr(address, f.name) for f in address.__attrs_attrs__)),
                type(order)(
                    order.id,
                    order.paypal_transaction_id,
                    (type(item)(*(getattr(item, f.name) for f in item.__attrs_attrs__)),),
                ),
            ),
        )

    def paths() -> object:
        key_path, index_path = _report.key_path, _report.index_path
        resource = key_path("$", "resource")
        key_path(resource, "contact")
        key_path(resource, "address")
        order_path = key_path(resource, "order")
        return index_path(key_path(order_path, "orderItems"), 0)

    return {
        "full strict decode": lambda: plenty_events.decode(data, strict=True),
        "parse: _json.parse (as used)": lambda: _json.parse(data, _report.Report(), strict=True),
        "parse: json, parse_float=Decimal + duplicate hook": lambda: hooked.decode(text),
        "parse: json, parse_float=Decimal, hook dict(pairs)": lambda: plain_pairs.decode(text),
        "parse: json, parse_float=Decimal, no hook": lambda: unhooked.decode(text),
        "parse: msgspec untyped, float_hook=Decimal": lambda: _UNTYPED.decode(data),
        "parse: msgspec untyped + duplicate check": lambda: _msgspec_with_duplicate_check(data),
        "duplicate check alone: count ':' + count keys": lambda: data.count(b":") == _count_keys(parsed),
        "decode_value on parsed JSON (walk, rules, build)": lambda: decode_value(
            parsed, strict=True, report=_report.Report()
        ),
        "build the 6 attrs objects alone": build,
        "paths built on success (5 key_path, 1 index_path)": paths,
        "3 timestamps: from_unix (as used)": lambda: [from_unix(seconds) for _ in range(3)],
        "3 timestamps: datetime.fromtimestamp(s, UTC)": lambda: [
            datetime.fromtimestamp(seconds, UTC) for _ in range(3)
        ],
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
    parser.add_argument("--decodes", type=int, default=20_000, help="decodes under cProfile")
    parser.add_argument("--rounds", type=int, default=40, help="interleaved rounds of the step timings")
    parser.add_argument("--sample-ms", type=float, default=10.0, help="length of one timed sample in ms")
    args = parser.parse_args()
    data = peers.sample()
    profile(data, args.decodes)
    medians = time_steps(steps(data), args.rounds, args.sample_ms)
    full = medians["full strict decode"]
    print(f"\nsteps timed alone, median of {args.rounds} interleaved rounds:\n")
    print("| step | µs | share of a strict decode |\n|---|---:|---:|")
    for name, median in medians.items():
        print(f"| {name} | {median:.2f} | {median / full:.0%} |")


if __name__ == "__main__":
    main()
