"""/api/v1/facilities: the scenario's facilities and their live status (facility managers see their own)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import TypeAdapter

from api.prepared import prepared
from api.routers.deps import ERRORS, PrincipalDep, ServiceDep, check_facility
from api.schemas.facilities import FacilityOut, StatusOut
from runtime.loop.service import Service
from runtime.store.status import city_status
from scenarios.model import Facility

router = APIRouter(prefix="/facilities", tags=["facilities"])
STATUS_LIST: TypeAdapter[list[StatusOut]] = TypeAdapter(list[StatusOut])


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


def status_body(svc: Service, only: str | None = None) -> bytes:
    """JSON of the live status of every facility (or only one), ages as of now (s)."""
    rows = city_status(svc.store, svc.scenario, svc.clock(), only)
    return STATUS_LIST.dump_json([StatusOut.model_validate(s) for s in rows])


def one_status_body(svc: Service, facility_id: str) -> bytes:
    """JSON of one facility's live status."""
    row = city_status(svc.store, svc.scenario, svc.clock(), facility_id)[0]
    return StatusOut.model_validate(row).model_dump_json().encode()


@router.get("/status", response_model=list[StatusOut], responses=ERRORS)
async def all_status(request: Request, svc: ServiceDep, principal: PrincipalDep) -> Response:
    """Live status of every facility the caller may see (from the read model: ages at most
    ``EMS_READ_CACHE_MAX_AGE_S`` old; ETag)."""
    only = principal.facility_id if principal.role == "facility_manager" else None
    return await prepared(request, svc, f"status:{only or '*'}", lambda: status_body(svc, only))


@router.get("/{facility_id}", response_model=FacilityOut, responses=ERRORS)
def get_facility(facility_id: str, svc: ServiceDep, principal: PrincipalDep) -> FacilityOut:
    """One facility."""
    check_facility(svc, principal, facility_id)
    return facility_out(svc.scenario.facility(facility_id))


@router.get("/{facility_id}/status", response_model=StatusOut, responses=ERRORS)
async def facility_status(request: Request, facility_id: str, svc: ServiceDep, principal: PrincipalDep) -> Response:
    """Live values, age and quality of one facility (from the read model, as ``/facilities/status``)."""
    check_facility(svc, principal, facility_id)
    return await prepared(request, svc, f"status1:{facility_id}", lambda: one_status_body(svc, facility_id))
