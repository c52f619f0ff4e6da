"""Benchmark bulk decoding: decode_lines, its peers, gc, reading, pickling, and the command line.

Run from the repository root::

    python bench/lines.py                  # a few minutes on 2 idle cores
    python bench/lines.py --quick          # under a minute, for a smoke test
    python bench/lines.py --only cli       # one section: decoders, gc, reading, pickle, cli
    python bench/lines.py --markdown FILE  # also the sections as Markdown, for the docs

``bench/figures.py`` runs it to write the figures of the archives page.

Sections:

- ``decoders``: 100,000 JSON Lines decoded into a list by ``decode_lines``,
  by a plain ``decode`` loop, by msgspec's ``Decoder.decode_lines`` with the
  Structs of ``peer_msgspec_rules``, and by a loop over pydantic's
  ``TypeAdapter.validate_json`` with the models of ``peer_pydantic_rules``;
  all strict.
- ``gc``: what the garbage collector costs a bulk load, kept or streamed.
- ``reading``: what reading and splitting the lines costs next to decoding.
- ``pickle``: an event's pickle against decoding its line again, and a
  process pool that sends events back against one that keeps them.
- ``cli``: ``plenty-events validate`` on a generated 500 MB archive:
  events per second and the peak resident memory of the process.

Timings are interleaved: each round times every case once, the order
rotating from round to round, so that a noisy neighbour slows all cases
alike. A ratio is the median of the per-round ratios of two cases; events
per second come from each case's fastest round, the one least disturbed on
a shared machine.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import gc
import io
import os
import pickle
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
import peer_msgspec_rules as peer_msgspec
import peer_pydantic_rules as peer_pydantic
import peers
import pydantic

import plenty_events

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

ROOT = Path(__file__).resolve().parent.parent


def interleaved(cases: dict[str, Callable[[], object]], rounds: int) -> dict[str, list[float]]:
    """Seconds per run of each case, one sample per round, the order rotating."""
    samples: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            gc.collect()
            start = time.perf_counter()
            result = cases[name]()
            samples[name].append(time.perf_counter() - start)
            del result
            gc.unfreeze()
            gc.collect()
    return samples


def median(values: Iterable[float]) -> float:
    return statistics.median(values)


def ratio(samples: dict[str, list[float]], case: str, baseline: str) -> float:
    return median(a / b for a, b in zip(samples[case], samples[baseline], strict=True))


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    align = ["---", *["---:"] * (len(header) - 1)]
    return "\n".join(f"| {' | '.join(row)} |" for row in (header, align, *rows))


def rate_table(samples: dict[str, list[float]], count: int, baseline: str) -> str:
    rows = [
        [
            name,
            f"{count / min(times):,.0f}",
            f"{min(times) * 1e6 / count:.1f}",
            f"{ratio(samples, name, baseline):.2f}x",
        ]
        for name, times in samples.items()
    ]
    return table(["case", "events/s (best round)", "µs per event", f"time vs {baseline} (median ratio)"], rows)


# -- the archive ------------------------------------------------------------------


def archive(count: int) -> bytes:
    """``count`` distinct valid payloads as JSON Lines."""
    return b"\n".join(peers.batch(count)) + b"\n"


# -- decoders ---------------------------------------------------------------------


def decoders(data: bytes, count: int, rounds: int) -> str:
    lines = data.splitlines()
    msgspec_decoder = msgspec.json.Decoder(
        peer_msgspec.ServicePurchaseEvent,
        dec_hook=peer_msgspec._dec_hook,  # noqa: SLF001 -- the peer's own rules
        float_hook=peer_msgspec.Decimal,
    )
    adapter = pydantic.TypeAdapter(peer_pydantic.ServicePurchaseEvent)
    decode = plenty_events.decode

    cases: dict[str, Callable[[], object]] = {
        "decode_lines": lambda: [line.event for line in plenty_events.decode_lines(data, strict=True)],
        "decode loop": lambda: [decode(line, strict=True) for line in data.splitlines()],
        "msgspec decode_lines": lambda: msgspec_decoder.decode_lines(data),
        "pydantic TypeAdapter loop": lambda: [adapter.validate_json(line) for line in data.splitlines()],
    }
    for name, case in cases.items():  # the same events, before any timing
        result: Any = case()
        assert len(result) == count, name
        assert peers.canonical(result[7]) == peers.canonical(decode(lines[7], strict=True)), name
    samples = interleaved(cases, rounds)
    pairs = [
        ("decode_lines / decode loop", "decode_lines", "decode loop"),
        ("decode_lines / msgspec decode_lines", "decode_lines", "msgspec decode_lines"),
        ("decode_lines / pydantic TypeAdapter loop", "decode_lines", "pydantic TypeAdapter loop"),
    ]
    return "\n\n".join(
        [
            f"{count:,} JSON Lines decoded strictly into a list, gc on, {rounds} interleaved rounds:",
            rate_table(samples, count, "decode_lines"),
            "Ratios of times, the median of the per-round ratios:",
            table(["ratio", "value"], [[label, f"{ratio(samples, a, b):.2f}x"] for label, a, b in pairs]),
        ]
    )


# -- gc ---------------------------------------------------------------------------


def gc_cases(data: bytes) -> dict[str, Callable[[], object]]:
    decode_lines = plenty_events.decode_lines

    def kept() -> object:
        return [line.event for line in decode_lines(data)]

    def kept_gc_off() -> object:
        gc.disable()
        try:
            return [line.event for line in decode_lines(data)]
        finally:
            gc.enable()

    def kept_freezing() -> object:
        events = []
        for line in decode_lines(data):
            events.append(line.event)
            if line.number % 10_000 == 0:
                gc.freeze()  # what is loaded so far leaves the collector's view
        return events

    def kept_threshold() -> object:
        threshold = gc.get_threshold()
        gc.set_threshold(100_000, 50, 100)
        try:
            return [line.event for line in decode_lines(data)]
        finally:
            gc.set_threshold(*threshold)

    def streamed() -> object:
        return Counter(line.error is None for line in decode_lines(data))

    def streamed_gc_off() -> object:
        gc.disable()
        try:
            return streamed()
        finally:
            gc.enable()

    return {
        "kept, gc on": kept,
        "kept, gc off for the load": kept_gc_off,
        "kept, gc.freeze() every 10,000": kept_freezing,
        "kept, gen0 threshold 100,000": kept_threshold,
        "streamed, gc on": streamed,
        "streamed, gc off": streamed_gc_off,
    }


def gc_section(data: bytes, count: int, rounds: int) -> str:
    samples = interleaved(gc_cases(data), rounds)
    return "\n\n".join(
        [
            (
                f"{count:,} lines through decode_lines (lenient), events kept in a list or dropped, "
                f"{rounds} interleaved rounds:"
            ),
            rate_table(samples, count, "kept, gc on"),
        ]
    )


# -- reading ----------------------------------------------------------------------


def _chunked(file: io.BufferedReader, size: int = 1 << 20) -> int:
    """Split a file into lines through one reused buffer; return the line count."""
    buffer = bytearray(size)
    view = memoryview(buffer)
    count, carry = 0, b""
    while filled := file.readinto(buffer):
        chunk = carry + view[:filled] if carry else view[:filled]
        start = 0
        text = bytes(chunk)  # one copy per chunk, for find()
        while (stop := text.find(b"\n", start)) >= 0:
            count += 1
            start = stop + 1
        carry = text[start:]
    return count + bool(carry)


def reading(data: bytes, count: int, rounds: int) -> str:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "lines.jsonl"
        path.write_bytes(data)

        def from_file() -> object:
            with path.open("rb") as file:
                return Counter(line.error is None for line in plenty_events.decode_lines(file))

        def readline_only() -> object:
            with path.open("rb") as file:
                readline, n = file.readline, 0
                while readline(1 << 20):
                    n += 1
                return n

        def reused_buffer_only() -> object:
            with path.open("rb") as file:
                return _chunked(file)

        cases: dict[str, Callable[[], object]] = {
            "decode_lines(bytes)": lambda: Counter(line.error is None for line in plenty_events.decode_lines(data)),
            "decode_lines(open file)": from_file,
            "reading alone: readline(1 MiB)": readline_only,
            "reading alone: readinto a reused 1 MiB buffer": reused_buffer_only,
        }
        assert readline_only() == reused_buffer_only() == count
        samples = interleaved(cases, rounds)
    return "\n\n".join(
        [
            f"{count:,} lines streamed (lenient, events dropped), {rounds} interleaved rounds:",
            rate_table(samples, count, "decode_lines(bytes)"),
        ]
    )


# -- pickle and process pools -------------------------------------------------------


def _decode_chunk(lines: list[bytes]) -> list[object]:
    return [plenty_events.decode(line) for line in lines]


def _tally_chunk(lines: list[bytes]) -> Counter[str]:
    tally: Counter[str] = Counter()
    for line in plenty_events.decode_lines(lines):
        tally["valid" if line.error is None else "invalid"] += 1
    return tally


def pickling(data: bytes, count: int, rounds: int) -> str:
    lines = data.splitlines()
    sample = lines[: min(count, 20_000)]
    events = [plenty_events.decode(line) for line in sample]
    sizes = [len(pickle.dumps(event, pickle.HIGHEST_PROTOCOL)) for event in events[:1000]]
    blob = pickle.dumps(events, pickle.HIGHEST_PROTOCOL)

    def round_trip() -> object:
        return pickle.loads(pickle.dumps(events, pickle.HIGHEST_PROTOCOL))  # noqa: S301 -- our own pickle

    def decode_again() -> object:
        return [plenty_events.decode(line) for line in sample]

    def dumps_only() -> object:
        return pickle.dumps(events, pickle.HIGHEST_PROTOCOL)

    def loads_only() -> object:
        return pickle.loads(blob)  # noqa: S301 -- our own pickle

    per_event = interleaved(
        {"decode the line": decode_again, "pickle round trip": round_trip, "dumps": dumps_only, "loads": loads_only},
        rounds,
    )
    chunks = [lines[start : start + 2000] for start in range(0, len(lines), 2000)]
    workers = 2
    with concurrent.futures.ProcessPoolExecutor(workers) as pool:
        list(pool.map(_tally_chunk, chunks[:workers]))  # the workers started and warm

        def pool_events() -> object:
            return [event for chunk in pool.map(_decode_chunk, chunks) for event in chunk]

        def pool_tally() -> object:
            return sum(pool.map(_tally_chunk, chunks), Counter())

        def one_process() -> object:
            return sum(map(_tally_chunk, chunks), Counter())

        def one_process_kept() -> object:
            return [event for chunk in map(_decode_chunk, chunks) for event in chunk]

        pools = interleaved(
            {
                "one process, tally": one_process,
                "one process, events kept": one_process_kept,
                f"{workers} workers, events sent back": pool_events,
                f"{workers} workers, tally sent back": pool_tally,
            },
            rounds,
        )
    n = len(sample)
    rows = [[name, f"{min(times) * 1e6 / n:.1f}"] for name, times in per_event.items()]
    return "\n\n".join(
        [
            (
                f"Pickle (protocol {pickle.HIGHEST_PROTOCOL}): {statistics.mean(sizes):,.0f} bytes per event "
                f"(the line: {statistics.mean(map(len, sample[:1000])):,.0f} bytes); µs per event over {n:,} events, "
                f"{rounds} interleaved rounds:"
            ),
            table(["case", "µs per event (best round)"], rows),
            f"Round trip / decode: {ratio(per_event, 'pickle round trip', 'decode the line'):.2f}x",
            f"{count:,} lines in chunks of 2,000 lines, {os.cpu_count()} CPUs, {rounds} interleaved rounds:",
            rate_table(pools, count, "one process, tally"),
        ]
    )


# -- the command line ---------------------------------------------------------------


def write_archive(path: Path, size: int) -> int:
    """Write JSON Lines of about ``size`` bytes a block at a time; return the line count."""
    block = archive(1000)
    blocks = -(-size // len(block))
    with path.open("wb") as file:
        for _ in range(blocks):
            file.write(block)
    return 1000 * blocks


#: The command line as ``python -m plenty_events`` runs it, then the process's
#: own peak resident memory (VmHWM) on stderr. Not wait4's: on Linux a child
#: started with vfork inherits its parent's peak at exec, here this harness's.
PEAK_RSS = """
import resource, sys
from plenty_events.cli import main
status = main(sys.argv[1:])
sys.stdout.flush()
try:
    with open("/proc/self/status") as status_file:
        peak = next(int(line.split()[1]) * 1024 for line in status_file if line.startswith("VmHWM:"))
except OSError:  # no /proc: macOS, whose ru_maxrss is in bytes
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
sys.stderr.write(f"peak RSS {peak}\\n")
sys.exit(status)
"""


def run_cli(argv: Sequence[str]) -> tuple[float, int, int, bytes]:
    """Run the command line; return (seconds, peak RSS bytes, exit status, stdout tail)."""
    start = time.perf_counter()
    child = subprocess.Popen(  # noqa: S603 -- this interpreter, our arguments
        [sys.executable, "-c", PEAK_RSS, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert child.stdout is not None
    assert child.stderr is not None
    tail = b""
    for chunk in iter(lambda: child.stdout.read(1 << 16), b""):  # type: ignore[union-attr]
        tail = (tail + chunk)[-4096:]
    err = child.stderr.read()
    status = child.wait()
    seconds = time.perf_counter() - start
    return seconds, int(err.decode().rsplit("peak RSS ", 1)[1]), status, tail


def cli(size_mb: int) -> str:
    limit = 100 * 1024 * 1024
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "archive.jsonl"
        count = write_archive(path, size_mb * 1000 * 1000)
        size = path.stat().st_size
        for label, argv in [
            ("validate --quiet", ["validate", "--quiet", str(path)]),
            ("validate (a line per payload)", ["validate", str(path)]),
            ("validate --strict --errors-only", ["validate", "--strict", "--errors-only", str(path)]),
        ]:
            seconds, rss, status, tail = run_cli(argv)
            assert status == 0, (label, status, tail[-500:])
            assert f"{count:,} payloads: {count:,} valid".encode() in tail, tail[-500:]
            assert rss < limit, f"{label}: peak RSS {rss / 2**20:.0f} MiB"
            rows.append([label, f"{count / seconds:,.0f}", f"{seconds:.1f}", f"{rss / 2**20:.1f}"])
    return "\n\n".join(
        [
            (
                f"plenty-events validate on a generated archive of {size / 1e6:,.0f} MB ({count:,} lines), "
                "output to a pipe that is read and dropped; peak resident memory of the process (VmHWM):"
            ),
            table(["command", "events/s", "s", "peak RSS MiB"], rows),
        ]
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    parser.add_argument("--lines", type=int, help="lines per case (default 100,000)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 5)")
    parser.add_argument("--archive-mb", type=int, help="size of the command line's archive (default 500)")
    parser.add_argument("--only", choices=["decoders", "gc", "reading", "pickle", "cli"], action="append")
    parser.add_argument(
        "--markdown",
        type=Path,
        metavar="FILE",
        help="also write the sections as Markdown, between snippet markers",
    )
    args = parser.parse_args(argv)
    count = args.lines or (10_000 if args.quick else 100_000)
    rounds = args.rounds or (3 if args.quick else 5)
    size_mb = args.archive_mb or (20 if args.quick else 500)
    only = set(args.only or ["decoders", "gc", "reading", "pickle", "cli"])
    peers.self_check(verbose=False)
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs; "
        + ", ".join(f"{k} {v}" for k, v in peers.VERSIONS.items()),
        flush=True,
    )
    started = time.monotonic()
    data = archive(count)
    sections: list[tuple[str, Callable[[], str]]] = [
        ("decoders", lambda: decoders(data, count, rounds)),
        ("gc", lambda: gc_section(data, count, rounds)),
        ("reading", lambda: reading(data, count, rounds)),
        ("pickle", lambda: pickling(data, count, rounds)),
        ("cli", lambda: cli(size_mb)),
    ]
    written = []
    for name, section in sections:
        if name in only:
            text = section()
            print(f"\n## {name}\n\n{text}", flush=True)
            written.append(f"<!-- --8<-- [start:{name}] -->\n{text}\n<!-- --8<-- [end:{name}] -->\n")
    if args.markdown:
        args.markdown.write_text("\n".join(written), encoding="utf-8")
    print(f"\n({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
