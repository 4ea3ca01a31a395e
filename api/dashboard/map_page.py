"""Dashboard page /map: the city's facilities and shelters at their coordinates, as SVG drawn on the server from
the scenario and the municipal outline shipped in the package (base_map.py; works offline). `?mode=live`
(default) colours by live data quality; `?mode=autonomy` colours shelters by hours of autonomy in the newest
outage plan run stored in the database (from /outage or the API; it survives a restart; `?run=<id>` picks another
stored run; a run pruned since says so, naming EMS_OUTAGE_RUNS_KEPT) and draws its EV routes; a shelter's title
adds its tier-1 kWh served / needed, and the run's line links to its page on /outage/runs. Operators and the
disaster office."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.dashboard.access import MaybeUser, gate
from api.dashboard.base_map import outline, svg_path
from api.dashboard.i18n import catalogue
from api.dashboard.map_data import AUTONOMY_COLORS, QUALITY_COLORS, Projection, markers, projection
from api.dashboard.templating import page_lang, render
from api.routers.deps import ServiceDep
from runtime.store.outage_retention import run_pruned
from runtime.store.outage_runs import StoredOutageRun, get_run, latest_run
from runtime.store.status import city_status
from scenarios.model import Facility

router = APIRouter(include_in_schema=False)
RunQuery = Annotated[str | None, Query(max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]


def route_lines(run: StoredOutageRun, facilities: list[Facility], proj: Projection) -> list[dict[str, object]]:
    """The run's EV moves as lines from site to shelter (px), with car, depart (tz-aware) and kWh delivered (one
    per itinerary row; a car deployed where it stands is a point)."""
    where = {f.id: proj.xy(f.longitude, f.latitude) for f in facilities}
    lines: list[dict[str, object]] = []
    for m in run.moves:
        if m.from_site in where and m.to_shelter in where:
            (x1, y1), (x2, y2) = where[m.from_site], where[m.to_shelter]
            lines.append(
                {"car": m.car, "from": m.from_site, "to": m.to_shelter, "x1": x1, "y1": y1, "x2": x2, "y2": y2}
                | {"depart": m.depart, "kwh": m.delivered_kwh}
            )
    return lines


def _tier1(run: StoredOutageRun) -> dict[str, tuple[float, float]]:
    """Per shelter of a stored run: tier-1 kWh served and needed (none for runs stored before the tiers)."""
    return {
        k: (s.tier1_kwh, s.tier1_demand_kwh)
        for k, s in run.shelters.items()
        if s.tier1_kwh is not None and s.tier1_demand_kwh is not None
    }


@router.get("/map")
def city_map(request: Request, svc: ServiceDep, user: MaybeUser, mode: str = "live", run: RunQuery = None) -> Response:
    """The map in live or autonomy mode."""
    denied = gate(request, user)
    if denied is not None:
        return denied
    lang = page_lang(request)
    facilities = list(svc.scenario.facilities)
    shape = outline(svc.scenario.name)
    proj = projection([(f.longitude, f.latitude) for f in facilities] + (shape.points if shape else []))
    statuses = {s.facility_id: s for s in city_status(svc.store, svc.scenario, svc.clock())}
    autonomy_mode = mode == "autonomy"
    stored = (get_run(svc.store, run) if run else latest_run(svc.store)) if autonomy_mode else None
    autonomy = {k: s.hours_until_dark for k, s in stored.shelters.items()} if stored else None
    tier1 = _tier1(stored) if stored else None
    plan_hours = stored.hours if stored else 0.0
    context = {
        "title": catalogue(lang).t("map.title"),
        "mode": "autonomy" if autonomy_mode else "live",
        "proj": proj,
        "outline": shape,
        "outline_d": svg_path(proj, shape) if shape else "",
        "markers": markers(proj, facilities, statuses, lang, autonomy, plan_hours, tier1),
        "routes": route_lines(stored, facilities, proj) if stored else [],
        "has_run": stored is not None,
        "missing": _missing_text(svc, run) if autonomy_mode and stored is None else "",
        "run": stored,
        "plan_hours": plan_hours,
        "legend": AUTONOMY_COLORS if autonomy_mode else QUALITY_COLORS,
    }
    return render(request, "map.html", user, context, refresh_s=None if autonomy_mode else 60)


def _missing_text(svc: ServiceDep, run: str | None) -> str:
    """The banner's message key when autonomy mode has no run to show: none stored yet, the asked-for run
    pruned since (only the most recent are kept), or no such run."""
    if run is None:
        return "map.no_run"
    return "outage.run_pruned" if run_pruned(svc.store, run) else "outage.run_not_found"
