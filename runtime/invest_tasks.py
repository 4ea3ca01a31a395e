"""The one place investment planning hands its candidate evaluations and verifications to a task runner.

`run_evaluations(fn, items, label, workers=...)` maps `fn` over `items` and returns the results in order:
workers 0 runs them in this process one after the other; workers n > 0 runs them as tasks on a Dask
distributed LocalCluster of n single-threaded worker processes (`scheduler`: the address of an existing
cluster instead). The sizing loop calls only this function; when the shared batch module (runtime/batch.py,
`run_tasks`) is on main, this delegates to it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger(__name__)


def run_evaluations(
    fn: Callable[[T], R],
    items: Sequence[T],
    label: str,
    on_progress: Callable[[int, int], None] | None = None,
    *,
    workers: int = 0,
    scheduler: str | None = None,
) -> list[R]:
    """fn over items, in order; on_progress(done, total) as tasks finish."""
    tick = time.perf_counter()
    if workers <= 0 and scheduler is None:
        out = []
        for k, item in enumerate(items, start=1):
            out.append(fn(item))
            if on_progress is not None:
                on_progress(k, len(items))
        log.info("%s: %d tasks in process, %.2f s", label, len(items), time.perf_counter() - tick)
        return out
    results = _on_dask(fn, items, on_progress, workers, scheduler)
    log.info(
        "%s: %d tasks on Dask (%s), %.2f s",
        label,
        len(items),
        scheduler or f"{workers} workers",
        time.perf_counter() - tick,
    )
    return results


def _on_dask(
    fn: Callable[[T], R],
    items: Sequence[T],
    on_progress: Callable[[int, int], None] | None,
    workers: int,
    scheduler: str | None,
) -> list[R]:
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(  # type: ignore[no-untyped-call]  # distributed ships no full annotations
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
    client = Client(scheduler or cluster)  # type: ignore[no-untyped-call]
    try:
        futures = client.map(fn, list(items), pure=False)
        for done, _future in enumerate(as_completed(futures), start=1):  # type: ignore[no-untyped-call]
            if on_progress is not None:
                on_progress(done, len(futures))
        return list(client.gather(futures))  # type: ignore[no-untyped-call]
    finally:
        client.close()  # type: ignore[no-untyped-call]
        if cluster is not None:
            cluster.close()
