"""The receiver benchmark runs: its smoke mode, so that it cannot rot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "receiver.py"


def test_the_receiver_benchmark_runs_in_smoke_mode() -> None:
    """Every side answers every delivery 202 and stores it; the report names both ratios."""
    done = subprocess.run(
        [sys.executable, str(BENCH), "--smoke"], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ours-inline / peer" in done.stdout
    assert "ours-background / peer" in done.stdout
