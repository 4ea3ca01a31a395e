"""Outage plan runs: recent plans kept in memory (per app process), and every run kept in the database with its
downloads (runtime.store.outage_runs, runtime.store.outage_files), so the CSV/JSON of a run answer the same bytes
after a restart: the dashboard shows a plan and links to exactly that plan, not a re-solve.

A run is named by a random id; the oldest runs are dropped from memory beyond `MAX_RUNS` (the stored copy stays).
The store keeps the most recent `kept` runs (Settings.outage_runs_kept, EMS_OUTAGE_RUNS_KEPT): storing a run prunes
the older ones (runtime.store.outage_retention), from memory too. A download is rendered from the plan in memory,
or read from the store; a run stored before downloads were kept (migration 0703) answers 404 saying so, a pruned
run 404 naming the setting, an unknown run 404 naming the id.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections import OrderedDict

from fastapi import HTTPException, Request, status

from runtime.facades.outage_planning import OutagePlan
from runtime.store.db import Store
from runtime.store.outage_files import PlanFile, load_file, render_file
from runtime.store.outage_retention import SETTING, prune_runs, run_pruned
from runtime.store.outage_runs import get_run, save_run

logger = logging.getLogger(__name__)

MAX_RUNS = 16
KEPT_RUNS = 500
"""Stored runs kept without a service (the default of Settings.outage_runs_kept)."""


def pruned_text(run_id: str, kept: int) -> str:
    """Why run `run_id` is gone: pruned, naming the retention setting and its value."""
    return (
        f"run_id: outage plan '{run_id}' was pruned: only the {kept} most recent outage runs are kept "
        f"({SETTING}={kept}); run the plan again"
    )


class OutageRuns:
    """A small thread-safe LRU of outage plans by run id."""

    def __init__(self, max_runs: int = MAX_RUNS, store: Store | None = None, kept: int = KEPT_RUNS) -> None:
        self.max_runs = max_runs
        self.store = store
        self.kept = kept
        self._runs: OrderedDict[str, OutagePlan] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, plan: OutagePlan, owner: str = "") -> str:
        """Keep `plan` (in memory, and what the pages show of it in the store); return its new run id (URL-safe)."""
        return self.keep(plan, owner)[0]

    def keep(self, plan: OutagePlan, owner: str = "") -> tuple[str, bool]:
        """As :meth:`add`; (the new run id, True if the store took the run and its downloads)."""
        run_id = secrets.token_urlsafe(9)
        stored = False
        if self.store is not None:
            try:
                save_run(self.store, run_id, plan, owner)
                stored = True
            except Exception:  # the plan is still answered and kept in memory
                logger.exception("outage run %s: not stored in the database", run_id)
        pruned = self._prune(self.store) if stored and self.store is not None else []
        with self._lock:
            self._runs[run_id] = plan
            for old in pruned:
                self._runs.pop(old, None)
            while len(self._runs) > self.max_runs:
                self._runs.popitem(last=False)
        return run_id, stored

    def _prune(self, store: Store) -> list[str]:
        """Delete the stored runs beyond the `kept` most recent; their ids (none if the store fails: the new run
        stays stored, and the next one prunes)."""
        try:
            return prune_runs(store, self.kept)
        except Exception:
            logger.exception("outage runs: not pruned beyond the %d most recent (%s)", self.kept, SETTING)
            return []

    def pruned(self, run_id: str) -> str | None:
        """Why run `run_id` is gone if it was stored and pruned since (neither memory nor the store has it), naming
        the setting; None otherwise (kept, or never stored: those answer as before)."""
        with self._lock:
            if run_id in self._runs:
                return None
        if self.store is None or not run_pruned(self.store, run_id):
            return None
        return pruned_text(run_id, self.kept)

    def missing(self, run_id: str) -> HTTPException:
        """The 404 for a run neither memory nor the store holds: pruned (naming the setting) or unknown."""
        if self.store is not None and run_pruned(self.store, run_id):
            return HTTPException(status.HTTP_404_NOT_FOUND, pruned_text(run_id, self.kept))
        return HTTPException(status.HTTP_404_NOT_FOUND, f"run_id: no outage plan '{run_id}'; run the plan again")

    def latest(self) -> tuple[str, OutagePlan] | None:
        """The newest run (id, plan), or None before the first run."""
        with self._lock:
            if not self._runs:
                return None
            run_id = next(reversed(self._runs))
            return run_id, self._runs[run_id]

    def get(self, run_id: str) -> OutagePlan:
        """The plan of `run_id` in memory; 404 naming the field if unknown or expired."""
        with self._lock:
            plan = self._runs.get(run_id)
        if plan is None:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND,
                f"run_id: no outage plan '{run_id}' (only the last "
                f"{self.max_runs} runs are kept in memory; run the plan again)",
            )
        return plan

    def download(self, run_id: str, name: str) -> PlanFile:
        """The download `name` (a key of runtime.store.outage_files.PLAN_FILES) of run `run_id`: rendered from the
        plan in memory, else read from the store (the same bytes); 404 naming run_id when neither has it (and the
        setting if the run was pruned)."""
        with self._lock:
            plan = self._runs.get(run_id)
        if plan is not None:
            return render_file(plan, name)
        if self.store is None:
            raise self.missing(run_id)
        stored = load_file(self.store, run_id, name)
        if stored is not None:
            return stored
        run = get_run(self.store, run_id)
        if run is None:
            raise self.missing(run_id)
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"run_id: outage plan '{run_id}' ({run.created_at:%Y-%m-%d %H:%M} UTC) predates stored plans: only its "
            "shelter outcomes and itinerary were kept, not its downloads; run the plan again to download them",
        )


_create_lock = threading.Lock()


def runs_of(request: Request) -> OutageRuns:
    """The app's run store (created on first use)."""
    state = request.app.state
    with _create_lock:
        if getattr(state, "outage_runs", None) is None:
            service = getattr(state, "service", None)
            settings = getattr(service, "settings", None)
            kept = getattr(settings, "outage_runs_kept", KEPT_RUNS)
            state.outage_runs = OutageRuns(store=getattr(service, "store", None), kept=kept)
    runs: OutageRuns = state.outage_runs
    return runs
