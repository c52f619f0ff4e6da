"""Benchmark plenty-events' decoding against pydantic, msgspec and a hand-written floor.

plenty-events strict is timed with msgspec's parser on its quick path (the
``speedups`` extra) and with the standard library's, as a default install
has it (the "stdlib parser" case, see ``peers``).

Run from the repository root::

    python bench/run.py            # under a minute
    python bench/run.py --quick    # under 30 seconds, for a smoke test
    python bench/run.py --json results.json

Timings are interleaved: each round times one sample of every case in turn
(the order rotating from round to round), so that a noisy neighbour slows
all cases alike. A sample times a loop of decodes with ``perf_counter_ns``,
with the garbage collector on. The table shows medians over the rounds; a
ratio is the median of the per-round ratios of two cases.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import textwrap
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import peers

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

BENCH_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Settings:
    rounds: int
    sample_ms: float
    batch_size: int
    batch_rounds: int
    cold_runs: int
    memory_events: int

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Settings:
        quick = args.quick
        return cls(
            rounds=args.rounds or (15 if quick else 100),
            sample_ms=args.sample_ms or (4.0 if quick else 15.0),
            batch_size=args.batch_size,
            batch_rounds=args.batch_rounds or (2 if quick else 7),
            cold_runs=args.cold_runs or (3 if quick else 11),
            memory_events=args.batch_size,
        )


@dataclass
class Results:
    settings: Settings
    machine: dict[str, Any]
    #: Per-decode time in µs, one sample per round, by case name.
    samples: dict[str, list[float]] = field(default_factory=dict)
    #: Events per second, one sample per round, by implementation.
    batch: dict[str, list[float]] = field(default_factory=dict)
    #: Import plus first decode in ms, one sample per fresh interpreter.
    cold: dict[str, list[float]] = field(default_factory=dict)
    #: Bytes retained per decoded event.
    memory: dict[str, float] = field(default_factory=dict)
    differences: list[str] = field(default_factory=list)

    def median(self, case: str) -> float:
        return statistics.median(self.samples[case])

    def ratio(self, case: str, baseline: str) -> float:
        """The median over rounds of ``case``'s time over ``baseline``'s."""
        pairs = zip(self.samples[case], self.samples[baseline], strict=True)
        return statistics.median(a / b for a, b in pairs)


# -- single-payload decodes ---------------------------------------------------


def _failing(impl: peers.Implementation) -> Callable[[bytes], object]:
    """Decode a bad payload and build the error message, as a web handler would."""

    def decode_and_report(data: bytes) -> object:
        try:
            impl.decode(data)
        except impl.errors as exc:
            return str(exc)
        raise AssertionError(f"{impl.name} accepted the bad payload")

    return decode_and_report


def single_cases() -> dict[str, tuple[Callable[[bytes], object], bytes]]:
    good = peers.sample()
    bad = peers.replace('"quantity":1', peers.BAD_QUANTITY)
    cases: dict[str, tuple[Callable[[bytes], object], bytes]] = {}
    for impl in peers.DECODERS:
        cases[impl.name] = (impl.decode, good)
    for impl in peers.STRICT_DECODERS:
        cases[f"{impl.name} error"] = (_failing(impl), bad)
    return cases


def _loops_for(func: Callable[[bytes], object], data: bytes, sample_ms: float) -> int:
    """How many decodes fill about ``sample_ms`` milliseconds."""
    loops = 1
    while True:
        start = time.perf_counter_ns()
        for _ in range(loops):
            func(data)
        elapsed = time.perf_counter_ns() - start
        if elapsed >= 2_000_000 or loops >= 1 << 20:
            return max(1, round(loops * sample_ms * 1e6 / elapsed))
        loops *= 4


def time_interleaved(
    cases: dict[str, tuple[Callable[[bytes], object], bytes]],
    rounds: int,
    sample_ms: float,
) -> dict[str, list[float]]:
    """Per-decode µs of each case, one sample per round, the order rotating."""
    loops = {name: _loops_for(func, data, sample_ms) for name, (func, data) in cases.items()}
    samples: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            func, data = cases[name]
            count = loops[name]
            start = time.perf_counter_ns()
            for _ in range(count):
                func(data)
            samples[name].append((time.perf_counter_ns() - start) / count / 1000)
    return samples


# -- batches ------------------------------------------------------------------


def time_batches(lines: Sequence[bytes], rounds: int) -> dict[str, list[float]]:
    """Events per second decoding ``lines`` into a list, gc on and gc off."""
    runs = [(impl, collect) for collect in (True, False) for impl in peers.DECODERS]
    rates: dict[str, list[float]] = {_batch_key(impl, collect=c): [] for impl, c in runs}
    for index in range(rounds):
        shift = index % len(runs)
        for impl, collect in runs[shift:] + runs[:shift]:
            decode = impl.decode
            if not collect:
                gc.disable()
            try:
                start = time.perf_counter_ns()
                events = [decode(line) for line in lines]
                elapsed = time.perf_counter_ns() - start
            finally:
                gc.enable()
            rates[_batch_key(impl, collect=collect)].append(len(events) / elapsed * 1e9)
            del events
            gc.collect()
    return rates


def _batch_key(impl: peers.Implementation, *, collect: bool) -> str:
    return impl.name if collect else f"{impl.name} gc off"


# -- cold start ---------------------------------------------------------------

_COLD_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    sys.path.insert(0, {bench!r})
    data = open({sample!r}, "rb").read()
    import decimal, datetime, enum, json, re, typing  # what every decoder here uses
    {preload}
    start = time.perf_counter_ns()
    {code}
    end = time.perf_counter_ns()
    print(json.dumps((end - start) / 1e6))
    {check}
    """
)


_COUNTRY_STUB = """
import sys, types
countries = types.ModuleType("plenty_events.countries")
countries.is_valid = frozenset({codes!r}).__contains__
sys.modules["plenty_events"] = types.ModuleType("plenty_events")
sys.modules["plenty_events.countries"] = countries
"""


#: Run after the clock stops: which parser plenty-events' quick path took.
_PARSER_CHECK = (
    "from plenty_events import _json; "
    "assert (_json.quick_loads() is _json.stdlib_loads) == {stdlib}, 'the quick path took the wrong parser'"
)


def cold_code(impl: peers.Implementation) -> tuple[str, str, str]:
    """The preloaded (untimed), the timed, and the checking (untimed) statements for ``impl``."""
    if impl.module == "plenty_events":
        # The stdlib-parser case's preload makes msgspec unimportable, as on a
        # default install; the check proves that the quick path took stdlib.
        check = _PARSER_CHECK.format(stdlib=impl is peers.STRICT_STDLIB)
        return impl.cold_preload, "import plenty_events; plenty_events.decode(data, strict=True)", check
    # A peer borrows plenty-events' country set: it gets the set ready made, as
    # a team would hardcode it, without importing plenty-events.
    codes = sorted(code for code in peers.country_codes())
    preload = _COUNTRY_STUB.format(codes=codes).strip().replace("\n", "; ")
    return preload, f"import {impl.module}; {impl.module}.decode(data)", ""


def time_cold(runs: int, sample_path: Path) -> dict[str, list[float]]:
    """Import and first decode in a fresh interpreter, in ms, runs interleaved."""
    times: dict[str, list[float]] = {impl.name: [] for impl in peers.STRICT_DECODERS}
    scripts = {}
    for impl in peers.STRICT_DECODERS:
        preload, code, check = cold_code(impl)
        scripts[impl.name] = _COLD_SCRIPT.format(
            bench=str(BENCH_DIR), sample=str(sample_path), preload=preload, code=code, check=check
        )
    # Bytecode caches on, as in a deployment.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for index in range(runs + 1):  # the first run fills the bytecode caches
        for impl in peers.STRICT_DECODERS:
            out = subprocess.run(  # noqa: S603 -- this interpreter, our script
                [sys.executable, "-c", scripts[impl.name]],
                capture_output=True,
                check=True,
                text=True,
                env=env,
            )
            if index:
                times[impl.name].append(float(out.stdout))
    return times


# -- memory -------------------------------------------------------------------


def retained_per_event(lines: Sequence[bytes]) -> dict[str, float]:
    """Bytes retained per event by a list of decoded events, after gc (tracemalloc)."""
    sizes = {}
    for impl in peers.STRICT_DECODERS:
        decode = impl.decode
        decode(lines[0])  # lazy caches filled before tracing
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        events = [decode(line) for line in lines]
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        sizes[impl.name] = (after - before - sys.getsizeof(events)) / len(events)
        del events
    return sizes


# -- report -------------------------------------------------------------------


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "versions": peers.VERSIONS,
    }


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A Markdown table, the first column left-aligned and the others right."""
    align = ["---", *["---:"] * (len(header) - 1)]
    return [f"| {' | '.join(row)} |" for row in (header, align, *rows)]


def _x(ratio: float) -> str:
    return f"{ratio:.2f}x"


def report(results: Results) -> str:
    """The results as Markdown tables."""
    settings, machine = results.settings, results.machine
    strict, strict_stdlib, lenient = peers.STRICT.name, peers.STRICT_STDLIB.name, peers.LENIENT.name
    pyd, msg, floor = peers.PYDANTIC.name, peers.MSGSPEC.name, peers.STDLIB.name
    names = [impl.name for impl in peers.DECODERS]
    versions = ", ".join(f"{k} {v}" for k, v in machine["versions"].items())
    ratio = results.ratio
    out = [f"Python {machine['python']}, {machine['cpus']} CPUs; {versions}", ""]

    out += [
        (
            f"Decoding the sample ({len(peers.sample())} bytes), median of {settings.rounds} interleaved rounds. "
            "plenty-events parses with msgspec (the speedups extra) on its quick path; "
            f"{strict_stdlib!r} is the same decode with the standard library's parser, as a default install has it:"
        ),
        "",
    ]
    out += _table(
        ["decoder", "µs per decode", "time vs plenty-events strict"],
        [[name, f"{results.median(name):.2f}", _x(ratio(name, strict))] for name in names],
    )
    out += ["", "Ratios of times, the median of the per-round ratios:", ""]
    rows = [
        ("plenty-events strict / pydantic strict", strict, pyd, "≤ 1.00x"),
        ("plenty-events strict (stdlib parser, default install) / pydantic strict", strict_stdlib, pyd, ""),
        ("plenty-events strict (stdlib parser, default install) / hand-written floor", strict_stdlib, floor, "≤ 1.30x"),
        ("plenty-events strict / hand-written floor", strict, floor, ""),
        ("plenty-events strict / msgspec", strict, msg, ""),
        ("plenty-events strict: stdlib parser / msgspec's parser", strict_stdlib, strict, ""),
        ("plenty-events lenient / strict, no repair needed", lenient, strict, ""),
    ]
    out += _table(["ratio", "value", "target"], [[label, _x(ratio(a, b)), target] for label, a, b, target in rows])

    out += [
        "",
        ('Error path: `quantity` is `"1"`; the decoder raises and the message is built with `str()`:'),
        "",
    ]
    out += _table(
        ["decoder", "error µs", "success µs", "error / success"],
        [
            [
                impl.name,
                f"{results.median(f'{impl.name} error'):.2f}",
                f"{results.median(impl.name):.2f}",
                _x(ratio(f"{impl.name} error", impl.name)),
            ]
            for impl in peers.STRICT_DECODERS
        ],
    )

    def rate(name: str) -> float:
        return statistics.median(results.batch[name])

    out += [
        "",
        (
            f"Batch: {settings.batch_size:,} JSON Lines events decoded and kept in a "
            f"list, median of {settings.batch_rounds} rounds:"
        ),
        "",
    ]
    out += _table(
        ["decoder", "events/s, gc on", "vs pydantic", "events/s, gc off"],
        [
            [
                name,
                f"{rate(name):,.0f}",
                _x(rate(name) / rate(pyd)),
                f"{rate(f'{name} gc off'):,.0f}",
            ]
            for name in names
        ],
    )

    def cold(name: str) -> float:
        return statistics.median(results.cold[name])

    out += [
        "",
        (
            "Cold start: import and first decode in a fresh interpreter, median of "
            f"{settings.cold_runs} runs. Loaded untimed before: the stdlib modules all "
            "decoders use (json, decimal, datetime, enum, re, typing) and, for the "
            "peers, the country set they borrow from plenty-events, as a frozenset. "
            f"For {strict_stdlib!r}, msgspec is made unimportable, as on a default install:"
        ),
        "",
    ]
    out += _table(
        ["decoder", "ms", "vs pydantic"],
        [[name, f"{cold(name):.1f}", _x(cold(name) / cold(pyd))] for name in results.cold],
    )

    memory = results.memory
    out += [
        "",
        (f"Memory: bytes retained per event by {settings.memory_events:,} decoded events (tracemalloc, after gc):"),
        "",
    ]
    out += _table(
        ["decoder", "bytes per event", "vs pydantic", "vs msgspec"],
        [[name, f"{size:,.0f}", _x(size / memory[pyd]), _x(size / memory[msg])] for name, size in memory.items()],
    )
    return "\n".join(out)


def to_json(results: Results) -> dict[str, Any]:
    return {
        "settings": results.settings.__dict__,
        "machine": results.machine,
        "decode_us": {name: {"median": results.median(name), "samples": s} for name, s in results.samples.items()},
        "ratios": {
            "strict/pydantic": results.ratio(peers.STRICT.name, peers.PYDANTIC.name),
            "strict/msgspec": results.ratio(peers.STRICT.name, peers.MSGSPEC.name),
            "strict/hand-written": results.ratio(peers.STRICT.name, peers.STDLIB.name),
            "strict-stdlib-parser/pydantic": results.ratio(peers.STRICT_STDLIB.name, peers.PYDANTIC.name),
            "strict-stdlib-parser/hand-written": results.ratio(peers.STRICT_STDLIB.name, peers.STDLIB.name),
            "strict-stdlib-parser/strict": results.ratio(peers.STRICT_STDLIB.name, peers.STRICT.name),
            "lenient/strict": results.ratio(peers.LENIENT.name, peers.STRICT.name),
            **{
                f"{impl.name} error/success": results.ratio(f"{impl.name} error", impl.name)
                for impl in peers.STRICT_DECODERS
            },
        },
        "batch_events_per_s": {
            name: {"median": statistics.median(r), "samples": r} for name, r in results.batch.items()
        },
        "cold_start_ms": {name: {"median": statistics.median(t), "samples": t} for name, t in results.cold.items()},
        "retained_bytes_per_event": results.memory,
        "known_differences": results.differences,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few samples: a smoke test under 30 s")
    parser.add_argument("--rounds", type=int, help="interleaved rounds of single decodes (default 100)")
    parser.add_argument("--sample-ms", type=float, help="length of one timed sample in ms (default 15)")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=10_000,
        help="events per batch (default 10,000)",
    )
    parser.add_argument("--batch-rounds", type=int, help="interleaved rounds of batches (default 7)")
    parser.add_argument("--cold-runs", type=int, help="fresh interpreters per decoder (default 11)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)
    settings = Settings.from_args(args)
    started = time.monotonic()

    results = Results(settings, machine())
    results.differences = peers.print_self_check()
    print(f"\ntiming single decodes: {settings.rounds} rounds …", flush=True)
    results.samples = time_interleaved(single_cases(), settings.rounds, settings.sample_ms)
    print(
        f"timing batches of {settings.batch_size:,}: {settings.batch_rounds} rounds …",
        flush=True,
    )
    lines = peers.batch(settings.batch_size)
    results.batch = time_batches(lines, settings.batch_rounds)
    print(f"timing cold starts: {settings.cold_runs} runs …", flush=True)
    results.cold = time_cold(settings.cold_runs, peers.SAMPLE_PATH)
    print("measuring memory …", flush=True)
    results.memory = retained_per_event(lines)

    print(f"\n{report(results)}\n\n({time.monotonic() - started:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps(to_json(results), indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
