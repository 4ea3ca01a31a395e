"""/api/v1/events: events and alarms; operators acknowledge them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from api.routers.deps import ERRORS, IdPath, OperatorDep, PrincipalDep, ServiceDep, check_facility
from api.schemas.journal import EventOut
from runtime.store import journal

router = APIRouter(prefix="/events", tags=["events"])


@router.get("", response_model=list[EventOut], responses=ERRORS)
def list_events(
    svc: ServiceDep,
    principal: PrincipalDep,
    facility_id: str | None = None,
    kind: Annotated[str | None, Query(max_length=48)] = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 100,
) -> list[EventOut]:
    """Newest events first; facility managers get their facility's events only."""
    if principal.role == "facility_manager":
        facility_id = facility_id or principal.facility_id
    if facility_id is not None:
        check_facility(svc, principal, facility_id)
    rows = journal.list_events(svc.store, limit, facility_id, kind)
    return [EventOut.model_validate(e) for e in rows]


@router.post("/{event_id}/ack", response_model=EventOut, responses=ERRORS)
def acknowledge(event_id: IdPath, svc: ServiceDep, principal: OperatorDep) -> EventOut:
    """Acknowledge an event (operators)."""
    row = journal.acknowledge_event(svc.store, event_id, principal.username)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"event_id: no event {event_id}")
    svc.outbox.event(  # stored now, or kept and written once storage returns
        svc.store,
        "event_acknowledged",
        f"{principal.username} acknowledged event {row.id} ({row.kind})",
        severity="info",
        facility_id=row.facility_id,
    )
    return EventOut.model_validate(row)
