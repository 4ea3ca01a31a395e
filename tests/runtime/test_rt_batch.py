"""runtime.batch: tasks on a real Dask LocalCluster, on an existing scheduler, and in-process.

The task functions are mostly the standard library's (``math.factorial``, ``int``), which the worker processes import
wherever they start; ``int("x")`` is the task that fails.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator

import pytest
from distributed import Client, LocalCluster

from runtime.batch import BatchSettings, BatchTaskError, run_tasks
from runtime.settings import Settings

ITEMS = [5, 0, 3, 7, 1, 4]
EXPECTED = [120, 1, 6, 5040, 1, 24]


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    """An existing two-worker cluster, started by the test (as an operator would run ``dask scheduler``)."""
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=logging.WARNING
    ) as c:
        yield c


def _worker_pid(_: int) -> int:
    return os.getpid()


def test_the_local_cluster_runs_tasks_in_worker_processes() -> None:
    pids = run_tasks(_worker_pid, list(range(8)), label="pids", settings=BatchSettings(workers=2))
    assert os.getpid() not in pids
    assert 1 <= len(set(pids)) <= 2


def test_local_cluster_keeps_the_order_of_the_items_and_reports_progress() -> None:
    seen: list[tuple[int, int]] = []
    results = run_tasks(
        math.factorial,
        ITEMS,
        label="factorials",
        on_progress=lambda done, total: seen.append((done, total)),
        settings=BatchSettings(workers=2),
    )
    assert results == EXPECTED
    assert seen == [(i, len(ITEMS)) for i in range(len(ITEMS) + 1)]


def test_a_failing_task_is_re_raised_naming_the_item_and_the_local_cluster_is_closed() -> None:
    from distributed import default_client

    with pytest.raises(BatchTaskError, match=r"parse: task 2 failed on item 'x': ValueError") as caught:
        run_tasks(int, ["1", "2", "x", "4"], label="parse", settings=BatchSettings(workers=1))
    assert (caught.value.index, caught.value.item) == (2, "x")
    assert isinstance(caught.value.__cause__, ValueError)
    with pytest.raises(ValueError, match="No clients found"):
        default_client()  # the batch's client (and its cluster) are gone


def test_an_existing_scheduler_from_the_setting_runs_the_tasks_and_stays_up(
    cluster: LocalCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMS_DASK_SCHEDULER", cluster.scheduler_address)
    settings = BatchSettings.from_settings(Settings())
    assert settings.scheduler == cluster.scheduler_address
    scheduler = cluster.scheduler  # it runs in this process
    assert scheduler is not None
    before = set(scheduler.clients)
    assert run_tasks(math.factorial, ITEMS, label="remote", settings=settings) == EXPECTED
    with Client(cluster) as watcher:
        assert len(watcher.scheduler_info()["workers"]) == 2  # the cluster is still up
    assert set(scheduler.clients) == before  # the batch's own client disconnected


def test_an_existing_scheduler_names_the_failing_item(cluster: LocalCluster) -> None:
    settings = BatchSettings(scheduler=cluster.scheduler_address)
    with pytest.raises(BatchTaskError, match=r"task 1 failed on item 'seven'"):
        run_tasks(int, ["6", "seven", "8"], label="remote-parse", settings=settings)


def test_zero_workers_runs_in_process_serially() -> None:
    calls: list[int] = []

    def record(n: int) -> int:  # a local closure: only possible in-process, which is the point
        calls.append(n)
        return n * n

    assert run_tasks(record, [3, 1, 2], label="serial", settings=BatchSettings(workers=0)) == [9, 1, 4]
    assert calls == [3, 1, 2]
    with pytest.raises(BatchTaskError, match=r"serial: task 0 failed on item 'a'"):
        run_tasks(int, ["a"], label="serial", settings=BatchSettings(workers=0))


def test_no_items_start_no_cluster_and_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[int, int]] = []
    assert run_tasks(int, [], label="empty", on_progress=lambda d, t: seen.append((d, t))) == []
    assert seen == [(0, 0)]
    monkeypatch.setenv("EMS_DASK_WORKERS", "0")
    assert BatchSettings.from_settings(Settings()).local_workers == 0
    assert BatchSettings.from_settings(Settings(), workers=3).local_workers == 3
    assert 1 <= BatchSettings().local_workers <= 2


def test_bad_settings_name_the_field() -> None:
    with pytest.raises(ValueError, match="EMS_DASK_SCHEDULER"):
        Settings(dask_scheduler="my laptop")
    with pytest.raises(ValueError, match="dask_workers"):
        Settings(dask_workers=-1)
    with pytest.raises(ValueError, match=r"BatchSettings.workers"):
        BatchSettings(workers=-2)
