"""Run many independent tasks on Dask distributed: the one batch module (backtest, outage and investment sweeps).

``run_tasks(fn, items, label=...)`` applies ``fn`` to every item and returns the results in the order of the
items. Where it runs is a setting (``BatchSettings``, built from ``runtime.settings.Settings`` at the entry
point):

- default: a ``LocalCluster`` of worker *processes* (one thread each, so a Pyomo/HiGHS solve per process),
  started for the batch and closed afterwards; ``workers`` processes (``EMS_DASK_WORKERS``, default
  ``min(2, CPU cores)``);
- ``scheduler`` set (``EMS_DASK_SCHEDULER``, an address such as ``tcp://10.0.0.5:8786``): the tasks go to
  that existing cluster, which is left running (only the client is closed);
- ``workers == 0``: the tasks run in this process, one after the other (debugging: breakpoints, profilers).

``fn`` and the items must be picklable (a module-level function of an installed package; the workers import
it). A task that raises stops the batch: the other tasks are cancelled and ``BatchTaskError`` is raised,
naming the batch, the item's position and the item, chained to the task's own exception.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from distributed import Client

    from runtime.settings import Settings

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
"""Called as ``on_progress(done, total)`` after each finished task (and once with 0 before the first)."""


class BatchTaskError(RuntimeError):
    """A task of a batch raised; ``label``, ``index`` (position in the items) and ``item`` name it."""

    def __init__(self, label: str, index: int, item: object, cause: BaseException) -> None:
        self.label = label
        self.index = index
        self.item = item
        super().__init__(f"{label}: task {index} failed on item {item!r}: {type(cause).__name__}: {cause}")


@dataclass(frozen=True)
class BatchSettings:
    """Where a batch runs: ``scheduler`` address of an existing cluster, else a local cluster of ``workers``
    processes (None = ``min(2, CPU cores)``; 0 = in-process, serially)."""

    workers: int | None = None
    scheduler: str | None = None

    def __post_init__(self) -> None:
        if self.workers is not None and self.workers < 0:
            raise ValueError(f"BatchSettings.workers: {self.workers} < 0; give 0 (in-process) or more workers")

    @classmethod
    def from_settings(cls, settings: Settings, *, workers: int | None = None) -> BatchSettings:
        """From the service settings (``EMS_DASK_WORKERS``, ``EMS_DASK_SCHEDULER``); ``workers`` overrides."""
        return cls(workers=settings.dask_workers if workers is None else workers, scheduler=settings.dask_scheduler)

    @property
    def local_workers(self) -> int:
        """Worker processes of the local cluster (the default: min(2, CPU cores))."""
        return min(2, os.cpu_count() or 1) if self.workers is None else self.workers


def quiet_dask(level: int = logging.WARNING) -> None:
    """Set distributed's loggers (configured by dask at import, INFO) to ``level``; for entry points only."""
    import distributed  # noqa: F401  # importing it applies dask's logging configuration first

    for name in ("distributed", "distributed.scheduler", "distributed.core", "distributed.worker", "distributed.nanny"):
        logging.getLogger(name).setLevel(level)


def run_tasks(
    fn: Callable[[T], R],
    items: Sequence[T],
    *,
    label: str,
    on_progress: Progress | None = None,
    settings: BatchSettings | None = None,
) -> list[R]:
    """``[fn(item) for item in items]`` as Dask tasks (module doc); results in the order of ``items``.

    Raises ``BatchTaskError`` (the item named) when a task raises; the cluster is closed in every case.
    """
    settings = settings or BatchSettings()
    total = len(items)
    if on_progress is not None:
        on_progress(0, total)
    if total == 0:
        return []
    if settings.scheduler is None and settings.local_workers == 0:
        log.info("batch %s: %d tasks in-process", label, total)
        return _run_serially(fn, items, label, on_progress)
    where = settings.scheduler or f"a local cluster of {settings.local_workers} worker processes"
    with _client(settings) as client:
        log.info("batch %s: %d tasks on %s", label, total, where)
        return _run_on(client, fn, items, label, on_progress)


def _run_serially(fn: Callable[[T], R], items: Sequence[T], label: str, on_progress: Progress | None) -> list[R]:
    results: list[R] = []
    for index, item in enumerate(items):
        try:
            results.append(fn(item))
        except Exception as exc:
            raise BatchTaskError(label, index, item, exc) from exc
        if on_progress is not None:
            on_progress(index + 1, len(items))
    return results


@contextmanager
def _client(settings: BatchSettings) -> Iterator[Client]:
    """A client of the configured scheduler, or of a local cluster closed on exit."""
    from distributed import Client, LocalCluster

    if settings.scheduler is not None:
        with Client(settings.scheduler, timeout="30s") as client:  # type: ignore[no-untyped-call]  # untyped
            yield client
        return
    with (
        LocalCluster(  # type: ignore[no-untyped-call]  # distributed's constructors are untyped
            n_workers=settings.local_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.WARNING,
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        yield client


def _run_on(
    client: Client, fn: Callable[[T], R], items: Sequence[T], label: str, on_progress: Progress | None
) -> list[R]:
    from distributed import as_completed

    prefix = f"{label}-{uuid.uuid4().hex[:8]}"
    futures = client.map(fn, list(items), key=[f"{prefix}-{i}" for i in range(len(items))], pure=False)
    position = {future.key: index for index, future in enumerate(futures)}
    done = 0
    try:
        for future in as_completed(futures):  # type: ignore[no-untyped-call]
            if future.status == "error":
                index = position[future.key]
                exc = future.exception()
                raise BatchTaskError(label, index, items[index], exc) from exc
            done += 1
            if on_progress is not None:
                on_progress(done, len(items))
        results: list[R] = client.gather(futures)  # type: ignore[no-untyped-call]
        return results
    finally:
        client.cancel(futures)  # type: ignore[no-untyped-call]
