"""/api/v1/facilities: the scenario's facilities and their live status (facility managers see their own)."""

from __future__ import annotations

from fastapi import APIRouter

from api.routers.deps import ERRORS, PrincipalDep, ServiceDep, check_facility
from api.schemas.facilities import FacilityOut, StatusOut
from runtime.store.status import city_status
from scenarios.model import Facility

router = APIRouter(prefix="/facilities", tags=["facilities"])


def facility_out(f: Facility) -> FacilityOut:
    """Schema of a scenario facility."""
    return FacilityOut(
        id=f.id,
        name_ja=f.name_ja,
        name_en=f.name_en,
        kind=f.kind.value,
        shelter=f.is_shelter,
        supplied=f.supplied,
        latitude=f.latitude,
        longitude=f.longitude,
        pv_kwp=f.pv_kwp,
        battery_kwh=f.battery_kwh,
        battery_kw=f.battery_kw,
        chargers=len(f.ev_chargers),
        grid_contract_kw=f.grid_contract_kw,
    )


@router.get("", response_model=list[FacilityOut], responses=ERRORS)
def list_facilities(svc: ServiceDep, principal: PrincipalDep) -> list[FacilityOut]:
    """Facilities the caller may see."""
    return [facility_out(f) for f in svc.scenario.facilities if principal.may_read(f.id)]


@router.get("/status", response_model=list[StatusOut], responses=ERRORS)
def all_status(svc: ServiceDep, principal: PrincipalDep) -> list[StatusOut]:
    """Live status of every facility the caller may see."""
    only = principal.facility_id if principal.role == "facility_manager" else None
    return [StatusOut.model_validate(s) for s in city_status(svc.store, svc.scenario, svc.clock(), only)]


@router.get("/{facility_id}", response_model=FacilityOut, responses=ERRORS)
def get_facility(facility_id: str, svc: ServiceDep, principal: PrincipalDep) -> FacilityOut:
    """One facility."""
    check_facility(svc, principal, facility_id)
    return facility_out(svc.scenario.facility(facility_id))


@router.get("/{facility_id}/status", response_model=StatusOut, responses=ERRORS)
def facility_status(facility_id: str, svc: ServiceDep, principal: PrincipalDep) -> StatusOut:
    """Live values, age and quality of one facility."""
    check_facility(svc, principal, facility_id)
    return StatusOut.model_validate(city_status(svc.store, svc.scenario, svc.clock(), facility_id)[0])
