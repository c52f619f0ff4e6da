"""Benchmark plenty-events' FastAPI receiver against a hand-written FastAPI + pydantic + SQLite endpoint.

Real servers on 127.0.0.1, each a uvicorn process of its own with the same
settings (one worker, asyncio loop, h11, access log off), each with a fresh
SQLite file in WAL mode with ``synchronous=FULL``: every commit is synced to
disk before the answer, on both sides. The sides:

- **peer**: ``peer_fastapi_sqlite``, the endpoint a user writes (a pydantic
  model of the payload, one ``INSERT`` and ``commit()`` per delivery), in
  the fastest of its three forms unless ``--peer-form`` says otherwise: an
  ``async def`` endpoint on one connection.
- **ours, background**: ``Receiver(background=True)`` on a ``SQLiteInbox``
  under ``plenty_events.receiver.fastapi.router``: the body and its event's
  queueing in one synced commit, then 202. Like for like with the peer: one
  synced commit of the delivery, then the answer, nothing handled (no
  worker runs during the benchmark).
- **ours, inline**: the same receiver handling each event in the request
  with a no-op handler: the body and the claim in one synced commit, the
  handler, the outcome in a second one, then 202. It does more than the
  peer: it handles each event once, and records that it did.

The client is this process: 16 connections (keep-alive, asyncio), each
sending its next delivery as soon as the last one is answered; every
delivery carries a new event id. Rounds interleave the sides, in an order
that rotates from round to round, so a noisy neighbour slows all alike; the
first round warms up and is dropped. A side's deliveries/s is the median
over rounds, its p50 and p99 the medians of the rounds' latency
percentiles; a ratio is the median of the per-round ratios, with its
spread (lowest, highest). Every answer must be 202, and every delivery must
be in the side's database at the end: otherwise the run fails.

Run from the repository root, with the fastapi extra, the bench group and
uvicorn installed::

    python bench/receiver.py               # 7 rounds of 2,000 deliveries a side
    python bench/receiver.py --smoke       # 2 rounds of 100: a check that it runs
    python bench/receiver.py --json results.json
    python bench/receiver.py --markdown results.md   # the tables bench/figures.py writes for the docs

The targets (plenty-events issue 21): ours at least 1.2x the peer's
deliveries/s, with a p99 no higher than the peer's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TOKEN = "bench-token-0123456789abcdef"  # noqa: S105 -- a token for 127.0.0.1 only
SIDES = ("ours-inline", "ours-background", "peer")
TARGET_RATIO = 1.2


def app(side: str, db: str) -> Any:
    """The ASGI app of one side, on the database file `db`."""
    if side == "peer":
        os.environ["WEBHOOK_DB"] = db
        os.environ["WEBHOOK_TOKEN"] = TOKEN
        sys.path.insert(0, str(HERE))
        import peer_fastapi_sqlite  # noqa: PLC0415 -- the peer reads its settings at import

        return peer_fastapi_sqlite.app
    from fastapi import FastAPI  # noqa: PLC0415

    from plenty_events.receiver import Receiver, SQLiteInbox  # noqa: PLC0415
    from plenty_events.receiver.fastapi import router  # noqa: PLC0415

    receiver = Receiver(
        tokens=TOKEN, handler=lambda _event: None, inbox=SQLiteInbox(db), background=side == "ours-background"
    )
    api = FastAPI()
    api.include_router(router(receiver), prefix="/webhooks")
    return api


def serve(side: str, db: str, port: int) -> None:
    """Serve one side with uvicorn until killed."""
    import uvicorn  # noqa: PLC0415

    uvicorn.run(
        app(side, db), host="127.0.0.1", port=port, loop="asyncio", http="h11", log_level="warning", access_log=False
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def bodies(count: int, prefix: str) -> list[bytes]:
    """`count` deliveries of the documented sample, each with an event id of its own."""
    from plenty_events.testing import sample_payload, to_json  # noqa: PLC0415

    payload = sample_payload()
    made = []
    for number in range(count):
        payload["id"] = f"evt_{prefix}_{number:08d}"
        made.append(to_json(payload))
    return made


def request(body: bytes) -> bytes:
    head = (
        f"POST /webhooks/{TOKEN} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


async def client(port: int, queue: list[bytes], latencies: list[float], statuses: list[int]) -> None:
    """One keep-alive connection, sending the next delivery as soon as the last is answered."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while queue:
            wire = queue.pop()
            started = time.perf_counter()
            writer.write(wire)
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            length = next(int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:"))
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            statuses.append(int(lines[0].split()[1]))
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def load(port: int, wires: list[bytes], clients: int) -> dict[str, Any]:
    """Send every request over `clients` connections; return the round's figures."""
    queue = list(reversed(wires))
    latencies: list[float] = []
    statuses: list[int] = []
    started = time.perf_counter()
    await asyncio.gather(*(client(port, queue, latencies, statuses) for _ in range(clients)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "deliveries_per_s": len(wires) / elapsed,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "not_202": sum(status != 202 for status in statuses),
    }


def wait_until_up(port: int, process: subprocess.Popen[bytes], deadline: float = 60.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if process.poll() is not None:
            raise RuntimeError(f"a server exited with {process.returncode} before it listened")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError("a server did not listen in time")


def stored(side: str, db: Path) -> int:
    """How many deliveries the side's database holds."""
    table = "purchases" if side == "peer" else "deliveries"
    with contextlib.closing(sqlite3.connect(db)) as connection:
        (count,) = connection.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608 -- a constant
    return int(count)


def median_spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "low": min(values), "high": max(values)}


def run(rounds: int, per_round: int, clients: int, sides: tuple[str, ...]) -> dict[str, Any]:
    """Start a server per side, run the interleaved rounds, and check every delivery is stored."""
    results: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
    sent = dict.fromkeys(sides, 0)
    with tempfile.TemporaryDirectory() as folder:
        servers: dict[str, tuple[int, subprocess.Popen[bytes], Path]] = {}
        try:
            for side in sides:
                port, db = free_port(), Path(folder) / f"{side}.sqlite3"
                process = subprocess.Popen(  # noqa: S603 -- this interpreter, this file
                    [sys.executable, __file__, "serve", side, str(db), str(port)]
                )
                servers[side] = (port, process, db)
            for port, process, _ in servers.values():
                wait_until_up(port, process)
            for number in range(rounds + 1):  # round 0 warms up
                order = sides[number % len(sides) :] + sides[: number % len(sides)]
                for side in order:
                    port = servers[side][0]
                    wires = [request(body) for body in bodies(per_round, f"{number}_{side}")]
                    figures = asyncio.run(load(port, wires, clients))
                    sent[side] += per_round
                    if figures["not_202"]:
                        raise RuntimeError(f"{side}: {figures['not_202']} answers were not 202")
                    if number:
                        results[side].append(figures)
        finally:
            for _, process, _ in servers.values():
                process.terminate()
            for _, process, _ in servers.values():
                process.wait(30)
        for side, (_, _, db) in servers.items():
            if stored(side, db) != sent[side]:
                raise RuntimeError(f"{side}: {stored(side, db)} deliveries stored of {sent[side]} answered 202")
    summary: dict[str, Any] = {
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "rounds": rounds,
        "deliveries_per_round": per_round,
        "clients": clients,
        "peer_form": os.environ.get("WEBHOOK_PEER_FORM", "async"),
        "sides": {},
        "ratios": {},
    }
    for side in sides:
        summary["sides"][side] = {
            key: median_spread([figures[key] for figures in results[side]])
            for key in ("deliveries_per_s", "p50_ms", "p99_ms")
        }
    if "peer" in sides:
        peer = results["peer"]
        for side in sides:
            if side == "peer":
                continue
            ours = results[side]
            summary["ratios"][side] = {
                "throughput": median_spread(
                    [a["deliveries_per_s"] / b["deliveries_per_s"] for a, b in zip(ours, peer, strict=True)]
                ),
                "p99": median_spread([a["p99_ms"] / b["p99_ms"] for a, b in zip(ours, peer, strict=True)]),
            }
    return summary


def report(summary: dict[str, Any]) -> str:
    lines = [
        (
            f"Python {summary['python']}, {summary['machine']}, {summary['date']}: {summary['rounds']} rounds of "
            f"{summary['deliveries_per_round']:,} deliveries a side, {summary['clients']} clients, "
            f"synchronous=FULL, peer form {summary['peer_form']}"
        ),
        f"{'side':<17}{'deliveries/s':>22}{'p50 ms':>20}{'p99 ms':>22}",
    ]

    def cell(figure: dict[str, float], digits: int) -> str:
        return f"{figure['median']:.{digits}f} ({figure['low']:.{digits}f}-{figure['high']:.{digits}f})"

    for side, figures in summary["sides"].items():
        lines.append(
            f"{side:<17}{cell(figures['deliveries_per_s'], 0):>22}{cell(figures['p50_ms'], 1):>20}"
            f"{cell(figures['p99_ms'], 1):>22}"
        )
    for side, ratio in summary["ratios"].items():
        throughput, p99 = ratio["throughput"], ratio["p99"]
        met = throughput["median"] >= TARGET_RATIO and p99["median"] <= 1.0
        lines.append(
            f"{side} / peer: {cell(throughput, 2)}x deliveries/s, p99 {cell(p99, 2)}x "
            f"(target >= {TARGET_RATIO}x and <= 1.0x: {'met' if met else 'missed'})"
        )
    lines.append("(median over rounds, lowest-highest in brackets)")
    return "\n".join(lines)


def markdown(summary: dict[str, Any]) -> str:
    """The figures as Markdown tables: each side, then each of ours against the peer."""

    def cell(figure: dict[str, float], digits: int, unit: str = "") -> str:
        low, high = f"{figure['low']:,.{digits}f}{unit}", f"{figure['high']:,.{digits}f}{unit}"
        return f"{figure['median']:,.{digits}f}{unit} ({low} to {high})"

    form = summary["peer_form"]
    lines = [
        (
            f"Python {summary['python']}, {summary['machine']}, {summary['date']}: {summary['rounds']} rounds of "
            f"{summary['deliveries_per_round']:,} deliveries a side, {summary['clients']} clients, the peer's "
            f"`{form}` form; medians over rounds, lowest and highest in brackets:"
        ),
        "",
        "| side | deliveries/s | p50 ms | p99 ms |",
        "| --- | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {side} | {cell(f['deliveries_per_s'], 0)} | {cell(f['p50_ms'], 1)} | {cell(f['p99_ms'], 1)} |"
        for side, f in summary["sides"].items()
    ]
    lines += [
        "",
        f"| ours / peer | deliveries/s | p99 | target (≥ {TARGET_RATIO}x, ≤ 1.0x) |",
        "| --- | ---: | ---: | --- |",
    ]
    for side, ratio in summary["ratios"].items():
        throughput, p99 = ratio["throughput"], ratio["p99"]
        met = throughput["median"] >= TARGET_RATIO and p99["median"] <= 1.0
        lines.append(f"| {side} | {cell(throughput, 2, 'x')} | {cell(p99, 2, 'x')} | {'met' if met else 'missed'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--deliveries", type=int, default=2000, help="per side and round")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--smoke", action="store_true", help="2 rounds of 100 deliveries: a check that it runs")
    parser.add_argument("--sides", default=",".join(SIDES), help="comma-separated, of " + ", ".join(SIDES))
    parser.add_argument("--peer-form", default="async", choices=["async", "lock", "per-request"])
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--markdown", type=Path, help="also write the figures as Markdown tables")
    args = parser.parse_args(argv)
    if args.smoke:
        args.rounds, args.deliveries = 2, 100
    os.environ["WEBHOOK_PEER_FORM"] = args.peer_form
    sides = tuple(args.sides.split(","))
    if not set(sides) <= set(SIDES):
        parser.error(f"--sides: choose from {', '.join(SIDES)}")
    summary = run(args.rounds, args.deliveries, args.clients, sides)
    print(report(summary))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    if args.markdown:
        args.markdown.write_text(markdown(summary) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit(main())
