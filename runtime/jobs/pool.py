"""A bounded pool of heavy jobs (outage MILPs, what-if plans) in worker processes, with a job table.

Solves run in separate processes (``ProcessPoolExecutor``, 'forkserver' start method: workers fork from a clean
single-threaded server that imported the solvers once, never from the service's threaded process), so a MILP
holds neither the event loop nor the GIL the poll step and the read endpoints need.
At most `workers` jobs run at once and `queue` more wait; past that :meth:`HeavyJobs.submit` raises
:class:`JobsFullError` (HTTP 429 with Retry-After). Finished jobs stay in the table (newest `keep`) for
polling; each job's status is also recorded in the database (``runtime.jobs.journal``), so after a restart a
job that could not finish reads 'lost on restart'. Times tz-aware UTC, durations in seconds.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from runtime.jobs.journal import JobJournal
from scenarios.timegrid import utcnow

log = logging.getLogger(__name__)
WORKER_NICE = 10
"""Workers run at a lower CPU priority than the service, so solves yield to the loop and the reads."""
PRELOAD = ("runtime.facades.outage_planning", "runtime.loop.build")
"""Modules the fork server imports once, so each new worker starts with them loaded (Pyomo, pandas, HiGHS)."""


class JobsFullError(RuntimeError):
    """Every worker is busy and the queue is full; the message says how many and when to retry."""


@dataclass
class Job:
    """One heavy job: id, kind ('outage', 'whatif'), who asked, its future and times (UTC)."""

    id: str
    kind: str
    owner: str
    future: Future[Any]
    submitted_at: dt.datetime
    finished_at: dt.datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    """What the caller records on the job once done (e.g. the outage run id)."""

    @property
    def status(self) -> str:
        """queued | running | done | failed ('running' from when the pool hands it to a worker's call queue)."""
        if not self.future.done():
            return "running" if self.future.running() else "queued"
        return "failed" if self.future.exception() is not None else "done"

    @property
    def error(self) -> str | None:
        """The failure, one line, if it failed."""
        if not self.future.done() or self.future.exception() is None:
            return None
        exc = self.future.exception()
        return f"{type(exc).__name__}: {exc}"


class HeavyJobs:
    """The service's heavy-job pool (created on first use) and job table; thread-safe."""

    def __init__(self, workers: int = 2, queue: int = 4, keep: int = 64, journal: JobJournal | None = None) -> None:
        """`journal`: where each job's status is recorded (the database's job table), None = memory only."""
        self.workers, self.queue, self.keep, self.journal = workers, queue, keep, journal
        self._pool: ProcessPoolExecutor | None = None
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(list(PRELOAD))
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=context, initializer=os.nice, initargs=(WORKER_NICE,)
            )
        return self._pool

    def active(self) -> int:
        """Jobs queued or running."""
        with self._lock:
            return sum(1 for j in self._jobs.values() if not j.future.done())

    def submit(self, kind: str, owner: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Job:
        """Run `fn(*args, **kwargs)` in a worker process (`fn` and its arguments must pickle); the new job.
        Raises JobsFullError past `workers` + `queue` unfinished jobs."""
        with self._lock:
            busy = sum(1 for j in self._jobs.values() if not j.future.done())
            if busy >= self.workers + self.queue:
                raise JobsFullError(
                    f"{busy} heavy jobs queued or running (at most {self.workers} at once + {self.queue} queued); "
                    "retry when one finishes"
                )
            job = Job(secrets.token_urlsafe(9), kind, owner, self._executor().submit(fn, *args, **kwargs), utcnow())
            self._jobs[job.id] = job
            while len(self._jobs) > self.keep:
                oldest = next(iter(self._jobs.values()))
                if not oldest.future.done():
                    break
                self._jobs.popitem(last=False)
        if self.journal is not None:
            self.journal.submitted(job.id, kind, owner, job.submitted_at)
        job.future.add_done_callback(lambda _f: self._finished(job))
        log.info("heavy job %s (%s) submitted by %s", job.id, kind, owner)
        return job

    def _finished(self, job: Job) -> None:
        job.finished_at = utcnow()
        if self.journal is not None and not job.future.cancelled():
            self.journal.finished(job.id, job.status, job.finished_at, job.error)

    def get(self, job_id: str) -> Job | None:
        """The job with that id, or None (unknown, or dropped from the table)."""
        with self._lock:
            return self._jobs.get(job_id)

    def warm(self) -> None:
        """Start the worker processes now (their first job then does not pay for the start-up)."""
        pool = self._executor()
        for f in [pool.submit(_noop) for _ in range(self.workers)]:
            f.result()

    def shutdown(self) -> None:
        """Stop the workers: queued jobs are cancelled and running ones end with their processes (terminated, so
        a stopping service does not wait for a solve's time limit)."""
        if self._pool is not None:
            workers = list(getattr(self._pool, "_processes", {}).values())  # the executor's own processes
            self._pool.shutdown(wait=False, cancel_futures=True)
            for process in workers:
                if process.is_alive():
                    process.terminate()
            self._pool = None


def _noop() -> None:
    """A job doing nothing (warms a worker)."""
