"""Validate a JSON Lines archive in a process pool that keeps the events in its workers.

Each worker gets a byte range of the file, decodes the lines that start in
it, and sends back a small tally of counts, never the events: pickling an
event costs more than decoding its line again (docs/archives.md has the
figures), so a pool that sends events back is slower than one process.

Run it on an archive::

    python examples/archives.py events.jsonl 2
"""

from __future__ import annotations

import concurrent.futures
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import plenty_events

if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import BinaryIO

    from plenty_events import Line, ServicePurchaseEvent, UnknownEvent

# --8<-- [start:tally]


def tally(lines: Iterable[Line[ServicePurchaseEvent | UnknownEvent]]) -> Counter[str]:
    """Count valid and invalid payloads, and payloads with each error and repair code."""
    counts: Counter[str] = Counter()
    for _number, event, error in lines:
        if error is not None:
            counts["invalid"] += 1
            counts.update({f"error {detail.code}" for detail in error.errors})
        elif event is not None:
            counts["valid"] += 1
            counts.update({f"repair {repair.code}" for repair in event.repairs})
    return counts


# --8<-- [end:tally]
# --8<-- [start:pool]


class LinesStartingBefore:
    """The lines of a binary file that start before byte ``end``, for ``decode_lines``.

    A line belongs to the range its first byte is in: the line that crosses
    ``end`` is read to its end here, and skipped by the next range.
    """

    def __init__(self, file: BinaryIO, end: int) -> None:
        """Read ``file`` from where it stands to the first line that starts at ``end`` or later."""
        self._file = file
        self._end = end
        self._at_line_start = True

    def readline(self, size: int = -1, /) -> bytes:
        """Read a line, or ``b""`` at the first line that starts at or after ``end``."""
        if self._at_line_start and self._file.tell() >= self._end:
            return b""
        line = self._file.readline(size)
        self._at_line_start = line.endswith(b"\n")
        return line


def tally_range(path: str, start: int, end: int) -> Counter[str]:
    """Tally the lines of ``path`` that start in bytes ``start`` to ``end`` (excluded)."""
    with Path(path).open("rb") as file:
        if start:
            # Skip the rest of a line that began before start (it is the
            # previous range's), a chunk at a time.
            file.seek(start - 1)
            while (rest := file.readline(1 << 16)) and not rest.endswith(b"\n"):
                pass
        return tally(plenty_events.decode_lines(LinesStartingBefore(file, end)))


def byte_ranges(size: int, parts: int) -> list[tuple[int, int]]:
    """Cut ``size`` bytes into at most ``parts`` ranges of about equal length."""
    step = max(1, -(-size // parts))
    return [(start, min(start + step, size)) for start in range(0, size, step)]


def tally_in_pool(path: Path, workers: int) -> Counter[str]:
    """Tally an archive with ``workers`` processes; each sends back only its counts."""
    ranges = byte_ranges(path.stat().st_size, workers * 4)  # a few ranges per worker evens out the load
    with concurrent.futures.ProcessPoolExecutor(workers) as pool:
        futures = [pool.submit(tally_range, str(path), start, end) for start, end in ranges]
        return sum((future.result() for future in futures), Counter())


# --8<-- [end:pool]


def tally_in_one_process(path: Path) -> Counter[str]:
    """The same tally, in this process: the reference the pool must match."""
    with path.open("rb") as file:
        return tally(plenty_events.decode_lines(file))


if __name__ == "__main__":
    archive, workers = Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 2
    for name, count in sorted(tally_in_pool(archive, workers).items()):
        print(f"{name}: {count:,}")
