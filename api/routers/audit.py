"""/api/v1/audit: the set-point audit log (facility managers see their facility only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.routers.deps import ERRORS, PrincipalDep, ServiceDep, check_facility
from api.schemas.journal import AuditOut
from runtime.store import journal

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=list[AuditOut], responses=ERRORS)
def audit_log(
    svc: ServiceDep,
    principal: PrincipalDep,
    facility_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 200,
) -> list[AuditOut]:
    """Newest set-point writes first."""
    if principal.role == "facility_manager":
        facility_id = facility_id or principal.facility_id
    if facility_id is not None:
        check_facility(svc, principal, facility_id)
    return [AuditOut.model_validate(a) for a in journal.list_audit(svc.store, limit, facility_id)]
