"""Write the figures the docs include: the benchmarks, run on every interpreter the classifiers name.

Run from the repository root, with the bench group installed::

    python bench/figures.py               # everything, 3 runs per interpreter: about twenty minutes
    python bench/figures.py --only performance --runs 5
    python bench/figures.py --python 3.13 --only performance
    python bench/figures.py --here --quick --out /tmp/figures   # a smoke test, this interpreter only

``performance``: for each Python version the classifiers of
``pyproject.toml`` name, a virtual environment in ``.bench-venvs/<version>``
(made once, with the interpreter ``python<version>`` on the PATH or the
newest pyenv version of it; the project installed editable with the bench
group, again whenever ``pyproject.toml`` changes), and ``bench/run.py``
run there ``--runs`` times, the interpreters taking turns. Each writes
``docs/figures/performance-<version>.md``: a header line (interpreter,
machine, date, load, the command), the targets with the spread of the
per-run values (the lowest and highest median over the runs), and the
tables of one run, the one whose strict-over-careful-pydantic ratio is
the median.

``archives``: ``bench/lines.py`` once, on the oldest version, into
``docs/figures/archives.md``, one section per table for the archives
page to include.

``receiver``: ``bench/receiver.py`` once with each of the two fastest
forms of its peer (``async``, ``lock``), on the oldest version, into
``docs/figures/receiver.md``, a section each.

The pages include these files (``--8<--``, pymdownx.snippets), so every
figure they show is one that this script wrote, with the command that
made it. The files are generated: never edit them, run this again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

ROOT = Path(__file__).resolve().parent.parent
VENVS = ROOT / ".bench-venvs"
FIGURES = ROOT / "docs" / "figures"
GENERATED = "<!-- Written by bench/figures.py: do not edit, run it again. -->"
#: The target whose per-run value picks the run whose tables are shown.
SHOWN_BY = "strict decode, time / careful pydantic's"


def classifier_versions() -> list[str]:
    """The Python versions the classifiers of pyproject.toml name, oldest first."""
    with (ROOT / "pyproject.toml").open("rb") as file:
        classifiers = tomllib.load(file)["project"]["classifiers"]
    prefix = "Programming Language :: Python :: "
    found = [c.removeprefix(prefix) for c in classifiers if re.fullmatch(r"3\.\d+", c.removeprefix(prefix))]
    return sorted(found, key=lambda v: tuple(map(int, v.split("."))))


def interpreter(version: str) -> Path:
    """``python<version>`` if it runs, else the newest pyenv version of it (as CI finds it)."""
    found = shutil.which(f"python{version}")
    if found and subprocess.run([found, "-c", ""], check=False, capture_output=True).returncode == 0:  # noqa: S603
        return Path(found)
    pyenv = shutil.which("pyenv")
    if pyenv:
        root = Path(subprocess.run([pyenv, "root"], check=True, capture_output=True, text=True).stdout.strip())  # noqa: S603
        candidates = [
            path / "bin" / f"python{version}"
            for path in (root / "versions").glob(f"{version}.*")
            if re.fullmatch(rf"{re.escape(version)}\.\d+", path.name)
        ]
        candidates = [c for c in candidates if c.exists()]
        if candidates:
            return max(candidates, key=lambda p: int(p.parent.parent.name.rsplit(".", 1)[1]))
    raise SystemExit(f"the classifiers name Python {version}, which this machine does not have")


def venv_python(version: str) -> Path:
    """The Python of ``.bench-venvs/<version>``, made and installed if needed."""
    venv = VENVS / version
    python = venv / "bin" / "python"
    stamp = venv / "pyproject.sha256"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not python.exists():
        print(f"making {venv.relative_to(ROOT)} with {interpreter(version)} …", flush=True)
        subprocess.run([interpreter(version), "-m", "venv", venv], check=True)  # noqa: S603
        subprocess.run([python, "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)  # noqa: S603
    if not stamp.exists() or stamp.read_text() != wanted:
        print(f"installing the project and its bench group into {venv.relative_to(ROOT)} …", flush=True)
        subprocess.run(  # noqa: S603 -- the venv's pip, fixed arguments
            [python, "-m", "pip", "install", "-q", "-e", ".", "--group", "bench"], check=True, cwd=ROOT
        )
        stamp.write_text(wanted)
    return python


@dataclass(frozen=True)
class Run:
    """One run of bench/run.py: its JSON results and its Markdown tables."""

    results: dict[str, Any]
    tables: str

    def target(self, label: str) -> dict[str, Any]:
        return next(t for t in self.results["targets"] if t["label"] == label)


def run_benchmark(python: Path, options: Sequence[str], work: Path, name: str) -> Run:
    """Run bench/run.py with ``python``; return what it wrote."""
    results, tables = work / f"{name}.json", work / f"{name}.md"
    command = [python, "bench/run.py", *options, "--json", results, "--markdown", tables]
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)  # noqa: S603 -- our script
    return Run(json.loads(results.read_text(encoding="utf-8")), tables.read_text(encoding="utf-8"))


def _runs(count: int) -> str:
    return f"{count} run" if count == 1 else f"{count} runs"


def _x(value: float) -> str:
    return f"{value:.2f}x"


def header(python_version: str, machine: str, started: datetime, loads: Sequence[float], command: str) -> str:
    load = f"{min(loads):.1f}" if min(loads) == max(loads) else f"{min(loads):.1f} to {max(loads):.1f}"
    return (
        f"CPython {python_version} on {machine}, {started:%Y-%m-%d} (UTC); load average "
        f"{load} at the start of the runs; `{command}`."
    )


def performance_page(runs: Sequence[Run], command: str, started: datetime) -> str:
    """The figure file of one interpreter: header, targets with their spread, one run's tables."""
    first = runs[0].results["machine"]
    machine = f"{first['platform']}, {first['cpus']} CPUs"
    loads = [run.results["machine"]["load_average"][0] for run in runs]
    by_value = sorted(range(len(runs)), key=lambda i: runs[i].target(SHOWN_BY)["value"])
    shown = by_value[(len(runs) - 1) // 2]
    rows = []
    for target in runs[shown].results["targets"]:
        values = [run.target(target["label"])["value"] for run in runs]
        sign = "≥" if target["at_least"] else "≤"
        goal = "reported" if target["limit"] is None else f"{sign} {target['limit']:.2f}x"
        if target["limit"] is None:
            verdict = "-"
        else:
            passed = sum(run.target(target["label"])["verdict"].startswith("PASS") for run in runs)
            verdict = f"met in {passed} of {_runs(len(runs))}"
        rows.append([target["label"], _x(values[shown]), f"{_x(min(values))} to {_x(max(values))}", goal, verdict])
    align = ["---", "---:", "---:", "---:", "---:"]
    head = ["ratio", "run shown", f"lowest to highest of {_runs(len(runs))}", "target", "verdict"]
    table = "\n".join(f"| {' | '.join(row)} |" for row in (head, align, *rows))
    tables = runs[shown].tables.rstrip("\n")
    return "\n".join(
        [
            GENERATED,
            "",
            header(first["python"], machine, started, loads, command),
            "",
            (
                f"The targets, each a median of paired ratios in one run, over {_runs(len(runs))} of "
                f"`python bench/run.py` (the lowest and highest of the per-run medians):"
            ),
            "",
            table,
            "",
            f"The tables of run {shown + 1} of {len(runs)}, the median run by its strict decode over careful pydantic:",
            "",
            tables,
            "",
        ]
    )


def performance(versions: Sequence[str], pythons: dict[str, Path], args: argparse.Namespace, command: str) -> None:
    options = ["--quick"] if args.quick else []
    started = datetime.now(UTC)
    runs: dict[str, list[Run]] = {version: [] for version in versions}
    with tempfile.TemporaryDirectory() as work:
        for index in range(args.runs):
            for version in versions:  # the interpreters take turns, so that a busy spell hits all
                print(f"run {index + 1} of {args.runs}: bench/run.py on Python {version} …", flush=True)
                runs[version].append(run_benchmark(pythons[version], options, Path(work), f"{version}-{index}"))
    for version in versions:
        path = args.out / f"performance-{version}.md"
        path.write_text(performance_page(runs[version], command, started), encoding="utf-8")
        print(f"wrote {path}", flush=True)


def archives(version: str, python: Path, args: argparse.Namespace, command: str) -> None:
    started = datetime.now(UTC)
    load = os.getloadavg()[0]
    path = args.out / "archives.md"
    with tempfile.TemporaryDirectory() as work:
        sections = Path(work) / "lines.md"
        options = ["--quick"] if args.quick else []
        print(f"bench/lines.py on Python {version} …", flush=True)
        subprocess.run(  # noqa: S603 -- our script
            [python, "bench/lines.py", *options, "--markdown", sections],
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        body = sections.read_text(encoding="utf-8")
    python_version, machine = _machine(python)
    line = header(python_version, machine, started, [load], command)
    path.write_text(
        "\n".join(
            [
                GENERATED,
                "",
                "<!-- --8<-- [start:header] -->",
                line,
                "<!-- --8<-- [end:header] -->",
                "",
                body.rstrip("\n"),
                "",
            ]
        ),
        encoding="utf-8",
    )
    print(f"wrote {path}", flush=True)


def _machine(python: Path) -> tuple[str, str]:
    """The Python version of ``python``, and its machine as the header names it."""
    code = "import json, os, platform as p; print(json.dumps([p.python_version(), p.platform(), os.cpu_count()]))"
    info = json.loads(
        subprocess.run([python, "-c", code], check=True, capture_output=True, text=True).stdout  # noqa: S603 -- fixed code
    )
    return info[0], f"{info[1]}, {info[2]} CPUs"


def receiver(version: str, python: Path, args: argparse.Namespace, command: str) -> None:
    started = datetime.now(UTC)
    load = os.getloadavg()[0]
    sections = []
    with tempfile.TemporaryDirectory() as work:
        for form in ("async", "lock"):
            tables = Path(work) / f"{form}.md"
            options = ["--smoke"] if args.quick else []
            print(f"bench/receiver.py --peer-form {form} on Python {version} …", flush=True)
            subprocess.run(  # noqa: S603 -- our script
                [python, "bench/receiver.py", *options, "--peer-form", form, "--markdown", tables],
                check=True,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
            )
            body = tables.read_text(encoding="utf-8").rstrip("\n")
            sections.append(f"<!-- --8<-- [start:{form}] -->\n{body}\n<!-- --8<-- [end:{form}] -->\n")
    path = args.out / "receiver.md"
    python_version, machine = _machine(python)
    line = header(python_version, machine, started, [load], command)
    path.write_text(
        "\n".join(
            [GENERATED, "", "<!-- --8<-- [start:header] -->", line, "<!-- --8<-- [end:header] -->", "", *sections]
        ),
        encoding="utf-8",
    )
    print(f"wrote {path}", flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", choices=["performance", "archives", "receiver"], action="append", help="one kind of figures"
    )
    parser.add_argument("--python", action="append", metavar="VERSION", help="one of the classifiers' versions")
    parser.add_argument("--here", action="store_true", help="this interpreter as it is: no venvs")
    parser.add_argument("--runs", type=int, help="runs of bench/run.py per interpreter (default 3; 1 with --quick)")
    parser.add_argument("--quick", action="store_true", help="the benchmarks' smoke runs")
    parser.add_argument("--out", type=Path, default=FIGURES, help="where to write (default docs/figures)")
    args = parser.parse_args(argv)
    args.runs = args.runs or (1 if args.quick else 3)
    only = set(args.only or ["performance", "archives", "receiver"])
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    versions = [here] if args.here else (args.python or classifier_versions())
    unknown = set(versions) - set(classifier_versions())
    if unknown:
        parser.error(f"the classifiers do not name Python {', '.join(sorted(unknown))}")
    argv = sys.argv[1:] if argv is None else list(argv)
    command = shlex.join(["python", "bench/figures.py", *argv])
    pythons = {v: Path(sys.executable) if args.here else venv_python(v) for v in versions}
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    if "performance" in only:
        performance(versions, pythons, args, command)
    if "archives" in only:
        archives(versions[0], pythons[versions[0]], args, command)
    if "receiver" in only:
        receiver(versions[0], pythons[versions[0]], args, command)
    print(f"({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
