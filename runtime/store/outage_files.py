"""The downloads of an outage plan run, rendered once and kept with the run (table `outage_run_files`), so a
download answers byte for byte the same after a restart as from the process that made the plan.

Files (`PLAN_FILES`): `shelters.csv` (OutagePlan.shelter_table, kWh and h per shelter and tier), `itinerary.csv`
(the EV moves with arrival SoC, outlet, until and empty-at; times ISO 8601 with the outage's offset),
`cars.csv` (per car and 30-min slot, named by its start: where it is, kWh, SoC as a fraction, kW delivered) and
`plan.json` (summary, shelter table, itinerary, cars and shed kW per slot and shelter). Bodies are UTF-8 and are
stored gzip-compressed: a Yamaguchi 72 h run (21 shelters, 20 cars, 144 slots) takes 37 kB instead of 677 kB.
Runs stored before migration 0703 have no files (`run_files_kept` is False for them).
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from optimizer.outage.result import OutagePlan
from runtime.store.db import Store
from runtime.store.models import OutageRunFile

__all__ = [
    "PLAN_FILES",
    "PlanFile",
    "file_rows",
    "load_file",
    "render_file",
    "render_files",
    "run_files_kept",
]

CSV = "text/csv; charset=utf-8"
JSON_TYPE = "application/json"


@dataclass(frozen=True)
class PlanFile:
    """One download: file name, content type and its bytes (UTF-8 text)."""

    name: str
    media_type: str
    body: bytes


def _shelters(plan: OutagePlan) -> str:
    return plan.shelter_table().to_csv(index=True)


def _itinerary(plan: OutagePlan) -> str:
    return plan.itinerary_table().to_csv(index=False)


def _cars(plan: OutagePlan) -> str:
    return plan.car_table().to_csv(index=False)


def _plan(plan: OutagePlan) -> str:
    return plan.to_json()


PLAN_FILES: dict[str, tuple[str, Callable[[OutagePlan], str]]] = {
    "shelters.csv": (CSV, _shelters),
    "itinerary.csv": (CSV, _itinerary),
    "cars.csv": (CSV, _cars),
    "plan.json": (JSON_TYPE, _plan),
}
"""File name -> (content type, how it is rendered from the plan)."""


def render_file(plan: OutagePlan, name: str) -> PlanFile:
    """The download `name` of `plan` (KeyError for a name not in PLAN_FILES)."""
    media_type, render = PLAN_FILES[name]
    return PlanFile(name, media_type, render(plan).encode("utf-8"))


def render_files(plan: OutagePlan) -> list[PlanFile]:
    """Every download of `plan`, in PLAN_FILES order."""
    return [render_file(plan, name) for name in PLAN_FILES]


def file_rows(run_id: str, files: list[PlanFile]) -> list[OutageRunFile]:
    """The rows keeping `files` under `run_id` (bodies gzip-compressed; mtime 0, so the same bytes each time)."""
    return [
        OutageRunFile(
            run_id=run_id,
            name=f.name,
            media_type=f.media_type,
            size_bytes=len(f.body),
            body_gz=gzip.compress(f.body, compresslevel=6, mtime=0),
        )
        for f in files
    ]


def load_file(store: Store, run_id: str, name: str) -> PlanFile | None:
    """The stored download `name` of run `run_id`, None if it is not kept (unknown run, or stored before 0703)."""
    with store.session() as session:
        row = session.get(OutageRunFile, (run_id, name))
        if row is None:
            return None
        return PlanFile(row.name, row.media_type, gzip.decompress(row.body_gz))


def run_files_kept(session: Session, run_id: str) -> bool:
    """True if run `run_id` has its downloads stored."""
    found = session.scalars(select(OutageRunFile.name).where(OutageRunFile.run_id == run_id).limit(1)).first()
    return found is not None
