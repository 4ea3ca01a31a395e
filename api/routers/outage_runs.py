"""Recent outage plans kept in memory (per app process) so their tables can be downloaded as CSV/JSON after
the run that made them: the dashboard shows a plan and links to exactly that plan, not a re-solve.

A run is named by a random id; the oldest runs are dropped beyond `MAX_RUNS`. A restart forgets them
(downloads then answer 404 and the user runs the plan again); what the map and the outage page show of each run
(shelter autonomy, EV itinerary) is also kept in the database (runtime.store.outage_runs) and survives it.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections import OrderedDict

from fastapi import HTTPException, Request, status

from runtime.facades.outage_planning import OutagePlan
from runtime.store.db import Store
from runtime.store.outage_runs import save_run

logger = logging.getLogger(__name__)

MAX_RUNS = 16


class OutageRuns:
    """A small thread-safe LRU of outage plans by run id."""

    def __init__(self, max_runs: int = MAX_RUNS, store: Store | None = None) -> None:
        self.max_runs = max_runs
        self.store = store
        self._runs: OrderedDict[str, OutagePlan] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, plan: OutagePlan, owner: str = "") -> str:
        """Keep `plan` (in memory, and what the pages show of it in the store); return its new run id (URL-safe)."""
        run_id = secrets.token_urlsafe(9)
        if self.store is not None:
            try:
                save_run(self.store, run_id, plan, owner)
            except Exception:  # the plan is still answered and kept in memory
                logger.exception("outage run %s: not stored in the database", run_id)
        with self._lock:
            self._runs[run_id] = plan
            while len(self._runs) > self.max_runs:
                self._runs.popitem(last=False)
        return run_id

    def latest(self) -> tuple[str, OutagePlan] | None:
        """The newest run (id, plan), or None before the first run."""
        with self._lock:
            if not self._runs:
                return None
            run_id = next(reversed(self._runs))
            return run_id, self._runs[run_id]

    def get(self, run_id: str) -> OutagePlan:
        """The plan of `run_id`; 404 naming the field if unknown or expired."""
        with self._lock:
            plan = self._runs.get(run_id)
        if plan is None:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND,
                f"run_id: no outage plan '{run_id}' (only the last "
                f"{self.max_runs} runs are kept in memory; run the plan again)",
            )
        return plan


_create_lock = threading.Lock()


def runs_of(request: Request) -> OutageRuns:
    """The app's run store (created on first use)."""
    state = request.app.state
    with _create_lock:
        if getattr(state, "outage_runs", None) is None:
            service = getattr(state, "service", None)
            state.outage_runs = OutageRuns(store=getattr(service, "store", None))
    runs: OutageRuns = state.outage_runs
    return runs
