"""Dashboard page /map: the city's facilities and shelters at their coordinates, as SVG drawn on the server from
the scenario alone (works offline). `?mode=live` (default) colours by live data quality; `?mode=autonomy` colours
shelters by hours of autonomy in the newest outage plan run on this server (from /outage) and draws its EV
routes. Operators and the disaster office."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.dashboard.access import MaybeUser, gate
from api.dashboard.i18n import catalogue
from api.dashboard.map_data import AUTONOMY_COLORS, QUALITY_COLORS, markers, projection
from api.dashboard.templating import page_lang, render
from api.routers.deps import ServiceDep
from api.routers.outage_runs import runs_of
from runtime.store.status import city_status

router = APIRouter(include_in_schema=False)


@router.get("/map")
def city_map(request: Request, svc: ServiceDep, user: MaybeUser, mode: str = "live") -> Response:
    """The map in live or autonomy mode."""
    denied = gate(request, user)
    if denied is not None:
        return denied
    lang = page_lang(request)
    facilities = svc.scenario.facilities
    proj = projection((f.longitude, f.latitude) for f in facilities)
    statuses = {s.facility_id: s for s in city_status(svc.store, svc.scenario, svc.clock())}
    latest = runs_of(request).latest() if mode == "autonomy" else None
    routes: list[dict[str, object]] = []
    autonomy = None
    plan_hours = 0.0
    if latest is not None:
        _run_id, plan = latest
        table = plan.shelter_table()
        autonomy = {str(k): float(v) for k, v in table["hours_until_dark"].items()}
        plan_hours = plan.data.n_slots * plan.h
        where = {f.id: proj.xy(f.longitude, f.latitude) for f in facilities}
        for m in plan.moves:
            if m.from_site in where and m.to_shelter in where:
                (x1, y1), (x2, y2) = where[m.from_site], where[m.to_shelter]
                routes.append(
                    {
                        "car": m.car,
                        "from": m.from_site,
                        "to": m.to_shelter,
                        "x1": x1,
                        "y1": y1,
                        "x2": x2,
                        "y2": y2,
                        "depart": m.depart,
                        "kwh": m.delivered_kwh,
                    }
                )
    drawn = markers(proj, facilities, statuses, lang, autonomy, plan_hours)
    context = {
        "title": catalogue(lang).t("map.title"),
        "mode": "autonomy" if mode == "autonomy" else "live",
        "proj": proj,
        "markers": drawn,
        "routes": routes,
        "has_run": latest is not None,
        "run_id": latest[0] if latest else None,
        "plan_hours": plan_hours,
        "legend": AUTONOMY_COLORS if mode == "autonomy" else QUALITY_COLORS,
    }
    return render(request, "map.html", user, context, refresh_s=60 if mode == "live" else None)
