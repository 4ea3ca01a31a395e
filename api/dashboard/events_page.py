"""Dashboard page /events: alarms and events, newest first, with the count of alarms not yet acknowledged and an
acknowledge button for operators (it calls POST /api/v1/events/{id}/ack). Facility managers see their facility's
events only and cannot acknowledge. `?severity=alarm|warning|info` filters the list."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.dashboard.access import MaybeUser, to_login
from api.dashboard.i18n import catalogue
from api.dashboard.templating import page_lang, render
from api.routers.deps import ServiceDep
from runtime.store import journal
from runtime.store.journal import SEVERITIES

router = APIRouter(include_in_schema=False)
LIMIT = 200


@router.get("/events")
def events(request: Request, svc: ServiceDep, user: MaybeUser, severity: str | None = None) -> Response:
    """The newest events (at most 200), optionally of one severity."""
    if user is None:
        return to_login()
    only = user.facility_id if user.role == "facility_manager" else None
    rows = journal.list_events(svc.store, LIMIT, only)
    chosen = severity if severity in SEVERITIES else None
    shown = [e for e in rows if chosen is None or e.severity == chosen]
    counts = {s: sum(1 for e in rows if e.severity == s) for s in SEVERITIES}
    context = {
        "title": catalogue(page_lang(request)).t("events.title"),
        "events": shown,
        "counts": counts,
        "severity": chosen,
        "severities": SEVERITIES,
        "open_alarms": journal.count_open_alarms(svc.store) if only is None else None,
        "unacknowledged": sum(1 for e in rows if e.acknowledged_by is None),
        "may_ack": user.role == "operator",
    }
    return render(request, "events.html", user, context, refresh_s=30)
