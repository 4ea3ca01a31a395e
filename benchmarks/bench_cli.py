"""Start-up of the `ems` command line: wall time, CPU time and peak memory of whole processes.

Each command runs as a fresh process, N times, interleaved with the baselines measured in the same run (a bare
interpreter, an interpreter importing typer) so that a drift in the machine's speed hits all rows alike. CPU
time and peak RSS come from the kernel's accounting of the finished child (`os.wait4`). The last row imports the
libraries that every command paid for at start-up before the commands imported them lazily (the app, Pyomo,
pvlib, pandas, matplotlib): the cost `ems --help` would have without lazy imports.

With ``--compare-tree DIR`` (e.g. an earlier commit unpacked by ``git archive REV | tar -x -C DIR``) the same
commands also run from that tree's sources (``PYTHONPATH=DIR``, this interpreter and its packages), in the same
rounds, so a before/after comparison shares the machine's state.

    .venv/bin/python benchmarks/bench_cli.py [--runs 15] [--out benchmarks/results/cli.md] [--compare-tree DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

PYTHON = sys.executable
EMS = str(Path(sys.executable).with_name("ems"))
EAGER = (
    "import api.app, runtime.facades.outage_planning, runtime.facades.dayahead_planning, "
    "runtime.facades.forecasting, runtime.facades.telemetry"
)

CASES: dict[str, list[str]] = {
    "python -c pass": [PYTHON, "-c", "pass"],
    'python -c "import typer"': [PYTHON, "-c", "import typer"],
    "ems --help": [EMS, "--help"],
    "ems --version": [EMS, "--version"],
    "ems scenario list": [EMS, "scenario", "list"],
    "ems scenario show tiny": [EMS, "scenario", "show", "tiny"],
    "import of every command's libraries (no lazy imports)": [PYTHON, "-c", EAGER],
}
COMPARED = {"ems --help": ["--help"], "ems scenario list": ["scenario", "list"]}
FLOOR = "python -c pass"
TYPER = 'python -c "import typer"'


@dataclass
class Runs:
    """Measured runs of one command: wall s, CPU s (user + sys) and peak RSS MiB per run."""

    wall_s: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)
    rss_mib: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Case:
    """A command line and the environment overrides it runs with."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None


def cases(compare_tree: Path | None) -> dict[str, Case]:
    """The measured commands; with `compare_tree`, the CLI commands also from that tree's sources."""
    out = {name: Case(argv) for name, argv in CASES.items()}
    if compare_tree is not None:
        probe = "import sys; from api.cli import app; sys.argv = ['ems', *sys.argv[1:]]; app()"
        for name, args in COMPARED.items():
            # run in the tree: `python -c` puts the working directory first on sys.path
            tree = str(compare_tree.resolve())
            out[f"{name} ({compare_tree.name})"] = Case([PYTHON, "-c", probe, *args], {"PYTHONPATH": tree}, Path(tree))
    return out


def run_once(case: Case) -> tuple[float, float, float]:
    """One run of a case with output discarded: (wall s, user + sys CPU s, peak RSS MiB)."""
    argv = case.argv
    env = {**os.environ, **case.env}
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=case.cwd)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # ru_maxrss is KiB on Linux


def measure(measured: dict[str, Case], runs: int, warmup: int = 1) -> dict[str, Runs]:
    """Every case `runs` times after `warmup` uncounted rounds, interleaved case by case."""
    results = {name: Runs() for name in measured}
    for round_no in range(warmup + runs):
        for name, case in measured.items():
            wall, cpu, rss = run_once(case)
            if round_no >= warmup:
                results[name].wall_s.append(wall)
                results[name].cpu_s.append(cpu)
                results[name].rss_mib.append(rss)
    return results


def table(results: dict[str, Runs]) -> list[str]:
    """Markdown rows: medians with the wall-time range, and ratios to the two baselines' medians."""
    floor = statistics.median(results[FLOOR].wall_s)
    typer_s = statistics.median(results[TYPER].wall_s)
    lines = [
        "| command | wall s (median) | wall min–max s | CPU s (median) | peak RSS MiB | × python | × typer |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        wall = statistics.median(r.wall_s)
        lines.append(
            f"| `{name}` | {wall:.3f} | {min(r.wall_s):.3f}–{max(r.wall_s):.3f} | {statistics.median(r.cpu_s):.3f} "
            f"| {max(r.rss_mib):.1f} | {wall / floor:.1f} | {wall / typer_s:.2f} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="Counted runs of each command.")
    parser.add_argument("--out", type=Path, default=None, help="Also write the table to this Markdown file.")
    parser.add_argument("--compare-tree", type=Path, default=None, help="Also run the CLI from this source tree.")
    args = parser.parse_args()
    results = measure(cases(args.compare_tree), args.runs)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    compared = f" --compare-tree {args.compare_tree}" if args.compare_tree else ""
    header = [
        f"# CLI start-up ({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, load average {load}, "
        f"Python {platform.python_version()})",
        "",
        f"`.venv/bin/python benchmarks/bench_cli.py --runs {args.runs}{compared}`: each command {args.runs} times as "
        "a fresh process after one warm-up round, interleaved with the baselines; CPU = user + sys of the child, "
        "peak RSS its largest resident set (kernel accounting). Ratios are of median wall times.",
        "",
    ]
    text = "\n".join([*header, *table(results)]) + "\n"
    print(text)
    if args.out is not None:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
