"""Benchmark plenty-events' decoding against idiomatic and same-rules peers, and check its targets.

Two kinds of peers (``peers`` defines them, one module each):

- **idiomatic**: pydantic and msgspec as their users write them, with the
  strictest built-in settings and no Python validators. They keep fewer
  rules than plenty-events (the self-check lists each departure), and they
  are what a user weighs when choosing a library: the targets are set
  against them.
- **same rules**: pydantic, msgspec and hand-written code held to
  plenty-events' strict rules exactly: what the same contract costs there.

Run from the repository root::

    python bench/run.py            # about a minute on an idle machine
    python bench/run.py --quick    # a smoke test
    python bench/run.py --json results.json

Everything printed comes from one run. Single decodes are interleaved: each
round times one sample of every case in turn, the order rotating from round
to round, so that a noisy neighbour slows all cases alike; a sample times a
loop of decodes, garbage collector on. Batches run in rounds of every
decoder likewise, and cold starts in runs of one fresh interpreter per
decoder. A time is the median over rounds; a ratio is the median of the
per-round ratios of two cases timed in the same round (the same run, for
cold starts).

The clock is the CPU time of the timing thread (``time.thread_time_ns``;
in the fresh interpreters of the cold start, ``time.process_time_ns``): on
a shared machine, wall time also counts the time the scheduler gives to
other processes, which swamps microsecond differences. The work measured is
the same; with ``--clock wall`` the samples take ``perf_counter_ns``, which
on an idle machine agrees with the CPU time.

The targets (plenty-events issue 23), against the idiomatic peers: strict
decode of the documented payload at most 0.70x the careful pydantic
models' time and at most 0.85x the minimal ones', and at most 3.0x plain
msgspec Structs' (the idiomatic msgspec peer); lenient decode of a payload
that needs no repair at most 1.1x strict; a batch of 10,000 JSON Lines
events, gc on, all kept, at least 2.5x the careful pydantic models'
events/s; the error path (one bad field, ``str(error)`` built) at most 5x
the success path; cold start (import and first decode in a fresh
interpreter) at most 0.40x the careful pydantic models'. They hold on
every interpreter the classifiers name: ``bench/figures.py`` runs this
harness on each and writes the tables the docs include.
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
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import peers

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

BENCH_DIR = Path(__file__).resolve().parent

#: The clocks of ``--clock``: this process's, and the cold start's fresh interpreter's.
CLOCKS: dict[str, tuple[Callable[[], int], str]] = {
    "cpu": (time.thread_time_ns, "process_time_ns"),
    "wall": (time.perf_counter_ns, "perf_counter_ns"),
}


@dataclass(frozen=True)
class Settings:
    rounds: int
    sample_ms: float
    batch_size: int
    batch_rounds: int
    cold_runs: int
    memory_events: int
    clock: str

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
            clock=args.clock,
        )

    @property
    def now(self) -> Callable[[], int]:
        return CLOCKS[self.clock][0]


@dataclass
class Results:
    settings: Settings
    machine: dict[str, Any]
    #: Per-decode time in µs, one sample per round, by case name.
    samples: dict[str, list[float]] = field(default_factory=dict)
    #: Events per second, one sample per round, by case name.
    batch: dict[str, list[float]] = field(default_factory=dict)
    #: Import plus first decode in ms, one sample per run, by implementation.
    cold: dict[str, list[float]] = field(default_factory=dict)
    #: Bytes retained per decoded event.
    memory: dict[str, float] = field(default_factory=dict)
    #: Objects the garbage collector tracks per kept event, and its collections
    #: of each generation during one batch, by decoder.
    collector: dict[str, tuple[float, list[int]]] = field(default_factory=dict)
    departures: list[tuple[str, str, str, str]] = field(default_factory=list)

    def median(self, case: str) -> float:
        return statistics.median(self.samples[case])

    def ratio(self, case: str, baseline: str) -> float:
        """The median over rounds of ``case``'s time over ``baseline``'s."""
        return paired(self.samples[case], self.samples[baseline])

    def rate(self, case: str) -> float:
        return statistics.median(self.batch[case])

    def cold_ms(self, name: str) -> float:
        return statistics.median(self.cold[name])


def paired(values: Sequence[float], baselines: Sequence[float]) -> float:
    """The median of the ratios of values and baselines measured in the same round."""
    return statistics.median(a / b for a, b in zip(values, baselines, strict=True))


# -- single-payload decodes ---------------------------------------------------


def error_case(impl: peers.Implementation) -> str:
    return f"{impl.name} error"


#: The case of plenty-events strict decoding :func:`peers.colon_payload`.
COLON_CASE: Final = f"{peers.STRICT.name}, a colon in a string"


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
    bad = peers.bad_payload()
    cases: dict[str, tuple[Callable[[bytes], object], bytes]] = {}
    for impl in peers.DECODERS:
        cases[impl.name] = (impl.decode, good)
    for impl in peers.ERROR_DECODERS:
        cases[error_case(impl)] = (_failing(impl), bad)
    cases[COLON_CASE] = (peers.STRICT.decode, peers.colon_payload())
    return cases


def _loops_for(func: Callable[[bytes], object], data: bytes, sample_ms: float, now: Callable[[], int]) -> int:
    """How many decodes fill about ``sample_ms`` milliseconds."""
    loops = 1
    while True:
        start = now()
        for _ in range(loops):
            func(data)
        elapsed = now() - start
        if elapsed >= 2_000_000 or loops >= 1 << 20:
            return max(1, round(loops * sample_ms * 1e6 / elapsed))
        loops *= 4


def time_interleaved(
    cases: dict[str, tuple[Callable[[bytes], object], bytes]],
    settings: Settings,
) -> dict[str, list[float]]:
    """Per-decode µs of each case, one sample per round, the order rotating."""
    now = settings.now
    loops = {name: _loops_for(func, data, settings.sample_ms, now) for name, (func, data) in cases.items()}
    samples: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    for index in range(settings.rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            func, data = cases[name]
            count = loops[name]
            start = now()
            for _ in range(count):
                func(data)
            samples[name].append((now() - start) / count / 1000)
    return samples


# -- batches ------------------------------------------------------------------


def batch_case(impl: peers.Implementation, *, collect: bool) -> str:
    return impl.name if collect else f"{impl.name} gc off"


def time_batches(lines: Sequence[bytes], rounds: int, now: Callable[[], int]) -> dict[str, list[float]]:
    """Events per second decoding ``lines`` into a list, gc on and gc off, in rotating order."""
    runs = [(impl, collect) for collect in (True, False) for impl in peers.DECODERS]
    rates: dict[str, list[float]] = {batch_case(impl, collect=c): [] for impl, c in runs}
    for index in range(rounds):
        shift = index % len(runs)
        for impl, collect in runs[shift:] + runs[:shift]:
            decode = impl.decode
            if not collect:
                gc.disable()
            try:
                start = now()
                events = [decode(line) for line in lines]
                elapsed = now() - start
            finally:
                gc.enable()
            rates[batch_case(impl, collect=collect)].append(len(events) / elapsed * 1e9)
            del events
            gc.collect()
    return rates


def collector_work(lines: Sequence[bytes]) -> dict[str, tuple[float, list[int]]]:
    """Objects the garbage collector tracks per kept event, and its collections during one batch, by decoder.

    Each batch starts after ``gc.collect()``, which resets the counts that
    trigger collections, so the collections counted are the batch's own.
    """
    work = {}
    for impl in peers.DECODERS:
        decode = impl.decode
        decode(lines[0])  # lazy caches filled before counting
        gc.collect()
        tracked = len(gc.get_objects())
        before = [generation["collections"] for generation in gc.get_stats()]
        events = [decode(line) for line in lines]
        after = [generation["collections"] for generation in gc.get_stats()]
        gc.collect()
        per_event = (len(gc.get_objects()) - tracked - 1) / len(events)  # less the list itself
        work[impl.name] = (per_event, [b - a for a, b in zip(before, after, strict=True)])
        del events
        gc.collect()
    return work


# -- cold start ---------------------------------------------------------------

_COLD_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    sys.path.insert(0, {bench!r})
    data = open({sample!r}, "rb").read()
    import decimal, datetime, enum, json, re, typing  # what every decoder here uses
    {preload}
    start = time.{clock}()
    {code}
    end = time.{clock}()
    print(json.dumps((end - start) / 1e6))
    """
)

# A peer borrows plenty-events' country set: it gets the set ready made, as a
# team would paste it into its module, without importing plenty-events.
_COUNTRY_STUB = """
import sys, types
codes = frozenset({codes!r})
countries = types.ModuleType("plenty_events.countries")
countries.is_valid = codes.__contains__
countries.valid_codes = lambda: codes
sys.modules["plenty_events"] = types.ModuleType("plenty_events")
sys.modules["plenty_events.countries"] = countries
"""


def cold_code(impl: peers.Implementation) -> tuple[str, str]:
    """The preloaded (untimed) and the timed statements for ``impl``."""
    if impl.family == peers.PLENTY:
        return "", "import plenty_events; plenty_events.decode(data, strict=True)"
    preload = _COUNTRY_STUB.format(codes=sorted(peers.country_codes())).strip().replace("\n", "; ")
    return preload, f"import {impl.module}; {impl.module}.decode(data)"


def time_cold(runs: int, sample_path: Path, clock: str) -> dict[str, list[float]]:
    """Import and first decode in a fresh interpreter, in ms, one interpreter per decoder per run."""
    times: dict[str, list[float]] = {impl.name: [] for impl in peers.STRICT_DECODERS}
    scripts = {}
    for impl in peers.STRICT_DECODERS:
        preload, code = cold_code(impl)
        scripts[impl.name] = _COLD_SCRIPT.format(
            clock=clock, bench=str(BENCH_DIR), sample=str(sample_path), preload=preload, code=code
        )
    # Bytecode caches on, as in a deployment.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    order = list(peers.STRICT_DECODERS)
    for index in range(runs + 1):  # the first run fills the bytecode caches
        shift = index % len(order)
        for impl in order[shift:] + order[:shift]:
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


# -- targets ------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One measured ratio and the bound the issue sets on it."""

    label: str
    value: float
    #: The bound a PASS needs; ``None`` for a ratio that is only reported.
    limit: float | None
    #: A stricter goal, reported as met or missed.
    aim: float | None = None
    #: The ratio must reach the bound rather than stay under it.
    at_least: bool = False

    def _within(self, bound: float) -> bool:
        return self.value >= bound if self.at_least else self.value <= bound

    @property
    def verdict(self) -> str:
        parts = []
        if self.limit is not None:
            parts.append("PASS" if self._within(self.limit) else "FAIL")
        else:
            parts.append("reported")
        if self.aim is not None:
            parts.append("aim met" if self._within(self.aim) else "aim missed")
        return ", ".join(parts)

    @property
    def goal(self) -> str:
        sign = "≥" if self.at_least else "≤"
        parts = []
        if self.limit is not None:
            parts.append(f"{sign} {self.limit:.2f}x")
        if self.aim is not None:
            parts.append(f"aim {sign} {self.aim:.2f}x")
        return ", ".join(parts) or "-"


def targets(results: Results) -> list[Target]:
    strict, lenient = peers.STRICT.name, peers.LENIENT.name
    pyd, minimal, msg = peers.PYDANTIC.name, peers.PYDANTIC_MINIMAL.name, peers.MSGSPEC.name
    ratio = results.ratio
    batch = paired(results.batch[strict], results.batch[pyd])
    cold = paired(results.cold[strict], results.cold[pyd])
    return [
        Target("strict decode, time / careful pydantic's", ratio(strict, pyd), 0.70),
        Target("strict decode, time / minimal pydantic's", ratio(strict, minimal), 0.85),
        Target("strict decode, time / plain msgspec Structs'", ratio(strict, msg), 3.0),
        Target("lenient decode (no repair needed), time / strict's", ratio(lenient, strict), 1.1),
        Target(
            f"batch of {results.settings.batch_size:,}, gc on: events/s / careful pydantic's",
            batch,
            2.5,
            at_least=True,
        ),
        Target("error path (str(error) built), time / success path's", ratio(error_case(peers.STRICT), strict), 5.0),
        Target("cold start, time / careful pydantic's", cold, 0.40),
        Target("strict decode, a colon in a string, time / the sample's", ratio(COLON_CASE, strict), None),
        Target("strict decode, time / same-rules pydantic's", ratio(strict, peers.PYDANTIC_RULES.name), None),
        Target("strict decode, time / same-rules msgspec's", ratio(strict, peers.MSGSPEC_RULES.name), None),
        Target("strict decode, time / hand-written's", ratio(strict, peers.STDLIB.name), None),
    ]


# -- report -------------------------------------------------------------------


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "gc_threshold": gc.get_threshold(),
        "versions": peers.VERSIONS,
    }


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A Markdown table, the first column left-aligned and the others right."""
    align = ["---", *["---:"] * (len(header) - 1)]
    return [f"| {' | '.join(row)} |" for row in (header, align, *rows)]


def _names(impls: Sequence[peers.Implementation]) -> str:
    return ", ".join(impl.name for impl in impls) or "none"


def _x(ratio: float) -> str:
    return f"{ratio:.2f}x"


def report(results: Results) -> str:
    """The results as Markdown tables, the targets last."""
    settings, machine = results.settings, results.machine
    strict = peers.STRICT.name
    pyd, msg = peers.PYDANTIC.name, peers.MSGSPEC.name
    ratio = results.ratio
    versions = ", ".join(f"{k} {v}" for k, v in machine["versions"].items())
    clock = {"cpu": "CPU time of the timing thread", "wall": "wall time (perf_counter_ns)"}[settings.clock]
    load = ", ".join(f"{value:.1f}" for value in machine["load_average"])
    out = [
        f"Python {machine['python']}, {machine['cpus']} CPUs (load average at the start: {load}); {versions}",
        f"Clock: {clock}.",
        "",
    ]
    out += [
        (
            "Peers: *idiomatic* = written as the library's users write it, no Python validators: "
            "pydantic *careful* with its strictest built-in settings, pydantic *minimal* with its defaults, "
            "msgspec as plain Structs (they keep fewer rules: `python bench/peers.py` lists each departure); "
            "*same rules* = held to plenty-events' strict rules exactly."
        ),
        "",
    ]

    out += [
        (
            f"Decoding the documented payload ({len(peers.sample())} bytes), median of {settings.rounds} "
            "interleaved rounds (lenient: the same payload, which needs no repair):"
        ),
        "",
    ]
    out += _table(
        ["decoder", "peer", "µs per decode", "plenty-events strict's time / its"],
        [
            [impl.name, impl.family, f"{results.median(impl.name):.2f}", _x(ratio(strict, impl.name))]
            for impl in peers.DECODERS
        ],
    )

    bad_from, bad_to = peers.BAD_FIELD
    out += [
        "",
        (
            f"Error path: `{bad_from}` made `{bad_to}`; the decoder raises and the message is built with `str()` "
            "(not timed, as they accept the payload: "
            f"{_names([i for i in peers.STRICT_DECODERS if i not in peers.ERROR_DECODERS])}):"
        ),
        "",
    ]
    out += _table(
        ["decoder", "peer", "error µs", "success µs", "error / success"],
        [
            [
                impl.name,
                impl.family,
                f"{results.median(error_case(impl)):.2f}",
                f"{results.median(impl.name):.2f}",
                _x(ratio(error_case(impl), impl.name)),
            ]
            for impl in peers.ERROR_DECODERS
        ],
    )

    colon_from, colon_to = peers.COLON_FIELD
    out += [
        "",
        (
            f"A colon in a string: `{colon_from}` made `{colon_to}`, still valid; plenty-events strict proves it "
            "free of duplicate keys by writing the decoded structs again and counting their colons:"
        ),
        "",
    ]
    out += _table(
        ["decoder", "µs per decode", "time / the sample's"],
        [[strict, f"{results.median(COLON_CASE):.2f}", _x(ratio(COLON_CASE, strict))]],
    )

    out += [
        "",
        (
            f"Batch: {settings.batch_size:,} distinct JSON Lines events decoded and kept in a list, "
            f"median of {settings.batch_rounds} rounds:"
        ),
        "",
    ]
    out += _table(
        [
            "decoder",
            "peer",
            "events/s, gc on",
            "plenty-events strict's events/s / its",
            "events/s, gc off",
            "objects tracked per event",
            "collections during a batch, by generation",
        ],
        [
            [
                impl.name,
                impl.family,
                f"{results.rate(impl.name):,.0f}",
                _x(paired(results.batch[strict], results.batch[impl.name])),
                f"{results.rate(batch_case(impl, collect=False)):,.0f}",
                f"{results.collector[impl.name][0]:.1f}",
                " / ".join(str(count) for count in results.collector[impl.name][1]),
            ]
            for impl in peers.DECODERS
        ],
    )
    out += [
        "",
        (
            f"The collector (`gc.get_threshold()` {tuple(machine['gc_threshold'])}) collects the youngest "
            "generation once its new tracked objects pass the first threshold, and each older one after as many "
            "collections of the one before as its threshold; a collection of the oldest walks every object."
        ),
    ]

    out += [
        "",
        (
            f"Cold start: import and first decode in a fresh interpreter, median of {settings.cold_runs} runs. "
            "Loaded untimed before: the stdlib modules all decoders use (json, decimal, datetime, enum, re, typing) "
            "and, for the peers, plenty-events' country set, ready made:"
        ),
        "",
    ]
    out += _table(
        ["decoder", "peer", "ms", "plenty-events strict's time / its"],
        [
            [
                impl.name,
                impl.family,
                f"{results.cold_ms(impl.name):.1f}",
                _x(paired(results.cold[strict], results.cold[impl.name])),
            ]
            for impl in peers.STRICT_DECODERS
        ],
    )

    memory = results.memory
    out += [
        "",
        f"Memory: bytes retained per event by {settings.memory_events:,} decoded events (tracemalloc, after gc):",
        "",
    ]
    out += _table(
        ["decoder", "peer", "bytes per event", "vs careful pydantic", "vs idiomatic msgspec"],
        [
            [
                impl.name,
                impl.family,
                f"{memory[impl.name]:,.0f}",
                _x(memory[impl.name] / memory[pyd]),
                _x(memory[impl.name] / memory[msg]),
            ]
            for impl in peers.STRICT_DECODERS
        ],
    )

    found = targets(results)
    out += ["", "Targets (issue 23), from the measurements above:", ""]
    out += _table(
        ["ratio", "measured", "target", "verdict"], [[t.label, _x(t.value), t.goal, t.verdict] for t in found]
    )
    bounded = [t for t in found if t.limit is not None]
    passed = sum(t.verdict.startswith("PASS") for t in bounded)
    out += [
        "",
        (
            f"{passed} of {len(bounded)} targets pass. Exactness: the self-check found every price an exact Decimal "
            "and every datetime aware UTC in plenty-events' results, and every strict verdict as expected."
        ),
    ]
    return "\n".join(out)


def to_json(results: Results) -> dict[str, Any]:
    return {
        "settings": asdict(results.settings),
        "machine": results.machine,
        "peers": {
            impl.name: {"family": impl.family, "module": impl.module, "departs": dict(impl.departs)}
            for impl in peers.DECODERS
        },
        "decode_us": {name: {"median": results.median(name), "samples": s} for name, s in results.samples.items()},
        "ratios_to_strict": {name: results.ratio(peers.STRICT.name, name) for name in results.samples},
        "batch_events_per_s": {
            name: {"median": statistics.median(r), "samples": r} for name, r in results.batch.items()
        },
        "cold_start_ms": {name: {"median": statistics.median(t), "samples": t} for name, t in results.cold.items()},
        "retained_bytes_per_event": results.memory,
        "collector": {
            name: {"tracked_per_event": tracked, "collections": counts}
            for name, (tracked, counts) in results.collector.items()
        },
        "targets": [
            {
                "label": t.label,
                "value": t.value,
                "limit": t.limit,
                "aim": t.aim,
                "at_least": t.at_least,
                "verdict": t.verdict,
            }
            for t in targets(results)
        ],
        "departures": [
            {"decoder": name, "payload": case, "does": what, "why": why} for name, case, what, why in results.departures
        ],
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few samples: a smoke test")
    parser.add_argument("--rounds", type=int, help="interleaved rounds of single decodes (default 100)")
    parser.add_argument("--sample-ms", type=float, help="length of one timed sample in ms (default 15)")
    parser.add_argument("--batch-size", type=int, default=10_000, help="events per batch (default 10,000)")
    parser.add_argument("--batch-rounds", type=int, help="interleaved rounds of batches (default 7)")
    parser.add_argument("--cold-runs", type=int, help="fresh interpreters per decoder (default 11)")
    parser.add_argument(
        "--clock",
        choices=list(CLOCKS),
        default="cpu",
        help="cpu: the timing thread's CPU time (default); wall: perf_counter_ns",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="also write the tables as Markdown")
    args = parser.parse_args(argv)
    settings = Settings.from_args(args)
    started = time.monotonic()

    results = Results(settings, machine())
    results.departures = peers.print_self_check().departures
    print(f"\ntiming single decodes: {settings.rounds} rounds …", flush=True)
    results.samples = time_interleaved(single_cases(), settings)
    print(f"timing batches of {settings.batch_size:,}: {settings.batch_rounds} rounds …", flush=True)
    lines = peers.batch(settings.batch_size)
    results.batch = time_batches(lines, settings.batch_rounds, settings.now)
    print(f"timing cold starts: {settings.cold_runs} runs …", flush=True)
    results.cold = time_cold(settings.cold_runs, peers.SAMPLE_PATH, CLOCKS[settings.clock][1])
    print("measuring memory and the collector's work …", flush=True)
    results.memory = retained_per_event(lines)
    results.collector = collector_work(lines)

    tables = report(results)
    print(f"\n{tables}\n\n({time.monotonic() - started:.0f} s)")
    if args.markdown:
        args.markdown.write_text(tables + "\n", encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(to_json(results), indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
