"""/api/v1/invest: the last investment plan (`ems invest` writes it to Settings.invest_dir), read-only, for the
disaster office and the utility's operators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException

from api.routers.deps import ERRORS, ServiceDep, require
from api.schemas.invest import InvestPlanOut
from runtime.facades.invest_files import read_last
from runtime.security import Principal

router = APIRouter(prefix="/invest", tags=["invest"])
ReaderDep = Annotated[Principal, require("operator", "disaster_office")]


@router.get("", response_model=InvestPlanOut, responses={**ERRORS, 404: {}})
def last_plan(svc: ServiceDep, principal: ReaderDep) -> InvestPlanOut:
    """Per shelter the recommended sizes, cars allotted and P(72 h) before -> after; finance and the curve."""
    del principal
    data = read_last(svc.settings.invest_dir)
    if data is None:
        raise HTTPException(404, f"no investment plan in {svc.settings.invest_dir}; run `ems invest` first")
    return InvestPlanOut.model_validate(data)
