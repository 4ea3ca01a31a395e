"""/api/v1/overrides: manual set-points. Operators send them (sent at the next dispatch, held to the end of that
slot); facility managers request them for their own facility (an operator approves); the disaster office
may not."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from api.routers.deps import ERRORS, IdPath, OperatorDep, PrincipalDep, ServiceDep, check_facility
from api.schemas.journal import OverrideIn, OverrideOut
from api.schemas.plans import DecisionRequest
from runtime.store import journal

router = APIRouter(prefix="/overrides", tags=["overrides"])


def _limit_kw(svc: ServiceDep, facility_id: str, device_id: str) -> tuple[float, float]:
    facility = svc.scenario.facility(facility_id)
    for b in facility.batteries:
        if b.id == device_id:
            return -b.charge_kw, b.discharge_kw
    for c in facility.ev_chargers:
        if c.id == device_id:
            return -c.discharge_kw, c.power_kw
    raise HTTPException(422, f"device_id: '{device_id}' is not a battery or EV charger of '{facility_id}'")


@router.post("", response_model=OverrideOut, status_code=201, responses={**ERRORS, 422: {}})
def create_override(body: OverrideIn, svc: ServiceDep, principal: PrincipalDep) -> OverrideOut:
    """Send (operator) or request (facility manager) a set-point in kW within the device's limits."""
    if principal.role == "disaster_office":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "role 'disaster_office' may not send set-points")
    check_facility(svc, principal, body.facility_id)
    low, high = _limit_kw(svc, body.facility_id, body.device_id)
    if not low <= body.value_kw <= high:
        raise HTTPException(
            422,
            f"value_kw: {body.value_kw:g} kW is outside [{low:g}, {high:g}] kW of {body.facility_id}/{body.device_id}",
        )
    state = "approved" if principal.role == "operator" else "requested"
    row = journal.add_override(
        svc.store,
        body.facility_id,
        body.device_id,
        "setpoint_kw",
        body.value_kw,
        principal.username,
        state,
        body.reason,
    )
    svc.outbox.event(  # stored now, or kept and written once storage returns
        svc.store,
        f"override_{state}",
        f"{principal.username}: {body.facility_id}/{body.device_id} {body.value_kw:g} kW ({state})",
        severity="info",
        facility_id=body.facility_id,
    )
    return OverrideOut.model_validate(row)


@router.get("", response_model=list[OverrideOut], responses=ERRORS)
def list_overrides(svc: ServiceDep, principal: PrincipalDep) -> list[OverrideOut]:
    """Override requests; facility managers see their facility's."""
    only = principal.facility_id if principal.role == "facility_manager" else None
    return [OverrideOut.model_validate(o) for o in journal.list_overrides(svc.store, facility_id=only)]


@router.post("/{override_id}/decision", response_model=OverrideOut, responses={**ERRORS, 409: {}})
def decide(override_id: IdPath, body: DecisionRequest, svc: ServiceDep, principal: OperatorDep) -> OverrideOut:
    """Approve or reject a requested override (operators)."""
    current = [o for o in journal.list_overrides(svc.store) if o.id == override_id]
    if not current:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"override_id: no override {override_id}")
    if current[0].status != "requested":
        raise HTTPException(status.HTTP_409_CONFLICT, f"override_id: already {current[0].status}")
    row = journal.decide_override(svc.store, override_id, body.decision, principal.username)
    o = current[0]
    svc.outbox.event(
        svc.store,
        f"override_{body.decision}",
        f"{principal.username}: {o.facility_id}/{o.device_id} {o.value:g} kW ({body.decision})",
        severity="info",
        facility_id=o.facility_id,
    )
    return OverrideOut.model_validate(row)
