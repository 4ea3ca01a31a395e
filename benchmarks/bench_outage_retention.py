"""Retention of stored outage runs: what pruning costs a save, and whether the database stops growing.

Two stores on the same backend, filled in the same loop, one save each per round so a drift in the machine's
speed hits both alike: the baseline only stores each run (`save_run`, as before the retention), the other stores
it and prunes beyond `--kept` (`save_run` then `prune_runs`, as `OutageRuns.keep` does). The run is a synthetic
plan of Yamaguchi's shape without cars (21 shelters, 144 slots of 30 min = 72 h, seeded random kW), so its files
are of the size of a real run's shelter table and plan JSON; no solve. Printed: milliseconds per save over the
rounds past `--kept` (where every save prunes one run), the prune alone, and the database's size (SQLite: file
bytes incl. WAL; PostgreSQL: pg_total_relation_size of both tables) and row counts after `--kept` and after all
rounds.

    .venv/bin/python benchmarks/bench_outage_retention.py [--kept 500] [--rounds 800] [--backend sqlite|postgresql]
        [--out benchmarks/results/outage_retention.md]

PostgreSQL uses EMS_TEST_POSTGRES_URL (a scratch schema per store, dropped afterwards).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import func, select, text

from optimizer.outage import OutageInput, OutageShelter
from optimizer.outage.result import OutagePlan
from runtime.store.db import Store, drop_schema, open_store
from runtime.store.models import OutageRun, OutageRunFile
from runtime.store.outage_retention import prune_runs
from runtime.store.outage_runs import save_run

SHELTERS, SLOTS = 21, 144
MADE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def synthetic_plan(seed: int) -> OutagePlan:
    """A plan of Yamaguchi's shape without cars: critical 2-12 kW per shelter, served a random share of it."""
    rng = np.random.default_rng(seed)
    critical = rng.uniform(2.0, 12.0, SHELTERS)
    shelters = tuple(OutageShelter(f"s{j:02d}", np.full(SLOTS, critical[j]), np.zeros(SLOTS)) for j in range(SHELTERS))
    data = OutageInput(
        start=pd.Timestamp("2026-01-01T14:00", tz="Asia/Tokyo"),
        shelters=shelters,
        evs=(),
        site_ids=tuple(s.id for s in shelters),
        distance_km=np.zeros((SHELTERS, SHELTERS)),
        travel_slots=np.zeros((SHELTERS, SHELTERS), dtype=int),
        n_slots=SLOTS,
        block_slots=4,
        early_weight=0.0,
    )
    zeros = np.zeros((SLOTS, SHELTERS))
    return OutagePlan(
        data=data,
        method="synthetic",
        status="optimal",
        assignment=np.zeros((0, 1), dtype=int),
        served_kw=critical * rng.uniform(0.5, 1.0, (SLOTS, SHELTERS)),
        pv_used_kw=zeros,
        battery_charge_kw=zeros,
        battery_discharge_kw=zeros,
        battery_kwh=np.zeros((SLOTS + 1, SHELTERS)),
        ev_kw=np.zeros((0, SLOTS, SHELTERS)),
        ev_kwh=np.zeros((0, SLOTS + 1)),
        objective=0.0,
    )


@dataclass
class Filled:
    """One store as it is filled: ms per save past `kept`, ms per prune, sizes (bytes) and rows at checkpoints."""

    name: str
    store: Store
    path: Path | None
    save_ms: list[float] = field(default_factory=list)
    prune_ms: list[float] = field(default_factory=list)
    sizes: dict[int, tuple[int, int, int, int]] = field(default_factory=dict)


def _size(store: Store, path: Path | None) -> int:
    """SQLite: the file's bytes after a WAL checkpoint (freed pages stay in the file and are reused);
    PostgreSQL: both tables' total relation size (bytes)."""
    if path is not None:
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return path.stat().st_size
    with store.session() as session:
        total = session.scalar(
            text("SELECT pg_total_relation_size('outage_runs') + pg_total_relation_size('outage_run_files')")
        )
    return int(total or 0)


def _rows(store: Store) -> tuple[int, int, int]:
    """Runs, file rows and the gzip bytes of all files stored."""
    with store.session() as session:
        runs = session.scalar(select(func.count()).select_from(OutageRun)) or 0
        files = session.scalar(select(func.count()).select_from(OutageRunFile)) or 0
        packed = session.scalar(select(func.sum(func.length(OutageRunFile.body_gz)))) or 0
    return int(runs), int(files), int(packed)


@contextmanager
def _store(backend: str, folder: Path, name: str) -> Iterator[tuple[Store, Path | None]]:
    if backend == "sqlite":
        path = folder / f"{name}.db"
        store = open_store(f"sqlite:///{path}")
        try:
            yield store, path
        finally:
            store.dispose()
        return
    url = os.environ["EMS_TEST_POSTGRES_URL"]
    schema = f"bench_{name}_{uuid.uuid4().hex[:8]}"
    store = open_store(url, schema=schema)
    try:
        yield store, None
    finally:
        store.dispose()
        drop_schema(url, schema)


def _round(target: Filled, i: int, plan: OutagePlan, kept: int | None, measured: bool) -> None:
    t0 = time.perf_counter()
    save_run(target.store, f"run{i:06d}", plan, "bench", MADE + dt.timedelta(minutes=i))
    t1 = time.perf_counter()
    if kept is not None:
        prune_runs(target.store, kept)
    t2 = time.perf_counter()
    if measured:
        target.save_ms.append(1000 * (t2 - t0))
        if kept is not None:
            target.prune_ms.append(1000 * (t2 - t1))


def run(backend: str, kept: int, rounds: int) -> list[Filled]:
    """Fill both stores for `rounds` rounds; their measurements."""
    plans = [synthetic_plan(seed) for seed in range(8)]  # rendered at each save, as in the service
    with (
        tempfile.TemporaryDirectory() as tmp,
        _store(backend, Path(tmp), "base") as base,
        _store(backend, Path(tmp), "kept") as pruned,
    ):
        filled = [Filled("save only (baseline)", *base), Filled(f"save + prune, {kept} kept", *pruned)]
        for i in range(rounds):
            for target, limit in zip(filled, (None, kept), strict=True):
                _round(target, i, plans[i % len(plans)], limit, measured=i >= kept)
                if i + 1 in (kept, rounds):
                    target.sizes[i + 1] = (_size(target.store, target.path), *_rows(target.store))
    return filled


def _ms(values: list[float]) -> str:
    if not values:
        return "–"
    return f"{statistics.median(values):.1f} ({min(values):.1f}–{max(values):.1f})"


def table(filled: list[Filled], backend: str, kept: int, rounds: int) -> str:
    """The Markdown table of the measurements."""
    base = statistics.median(filled[0].save_ms)
    lines = [
        f"| store ({backend}) | ms per save, rounds {kept + 1}–{rounds}: median (min–max) | × baseline | "
        f"ms per prune | size after {kept} / {rounds} rounds, MB | runs / file rows after {rounds} | "
        "gzip kB of files per run |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for f in filled:
        (size_k, *_), (size_n, runs, files, packed) = f.sizes[kept], f.sizes[rounds]
        lines.append(
            f"| {f.name} | {_ms(f.save_ms)} | {statistics.median(f.save_ms) / base:.2f} | {_ms(f.prune_ms)} | "
            f"{size_k / 1e6:.1f} / {size_n / 1e6:.1f} | {runs} / {files} | {packed / runs / 1e3:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kept", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=800)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    filled = run(args.backend, args.kept, args.rounds)
    head = (
        f"## Outage run retention, {args.backend} ({when}, {os.cpu_count()} CPUs, load average "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}, Python {platform.python_version()})"
    )
    body = table(filled, args.backend, args.kept, args.rounds)
    print(head, "", body, sep="\n")
    if args.out is not None:
        with args.out.open("a", encoding="utf-8") as out:
            out.write(f"{head}\n\n{body}\n\n")


if __name__ == "__main__":
    main()
