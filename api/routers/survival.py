"""/api/v1/outage/survival: survival hours per shelter over outage starts at every slot of a period, without and
with the EV fleet (runtime.facades.outage_planning.survival); JSON or CSV. Disaster office and operators."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
from fastapi import APIRouter, HTTPException, status
from fastapi.responses import Response

from api.routers.deps import ERRORS, ServiceDep, require
from api.schemas.outage import ShelterSurvival, SurvivalOut, SurvivalRequest, SurvivalStats
from runtime.facades import outage_planning as outage
from runtime.facades import outage_survival
from runtime.facades.outage_survival import SurvivalResult
from runtime.security import Principal
from scenarios.timegrid import SLOT_FREQ

router = APIRouter(prefix="/outage", tags=["outage"])
DisasterDep = Annotated[Principal, require("operator", "disaster_office")]
MAX_PERIOD_DAYS = 366


def _period(body: SurvivalRequest) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end) in JST from the inclusive dates; 422 naming the field when reversed or too long."""
    if body.period_end < body.period_start:
        raise HTTPException(422, f"period_end: {body.period_end} is before period_start {body.period_start}")
    days = (body.period_end - body.period_start).days + 1
    if days > MAX_PERIOD_DAYS:
        raise HTTPException(422, f"period_end: the period has {days} days; at most {MAX_PERIOD_DAYS}")
    start, _ = outage.outage_start(pd.Timestamp(body.period_start))
    end, _ = outage.outage_start(pd.Timestamp(body.period_end) + pd.Timedelta(days=1))
    return start, end


def _result(svc: ServiceDep, body: SurvivalRequest) -> tuple[SurvivalResult, pd.Timestamp, pd.Timestamp]:
    if not svc.scenario.shelters:
        raise HTTPException(422, "scenario: it has no shelters to analyse")
    start, end = _period(body)
    try:
        data = outage_survival.survival_data(
            svc.scenario,
            start,
            end,
            body.hours,
            pv_factor=body.pv_factor,
            battery_soc=body.battery_soc,
            start_soc=body.start_soc,
            calendar=body.fleet_calendar,
        )
        result = outage_survival.analyse(data, body.by_hours)
    except ValueError:
        raise
    except Exception as exc:  # a failed analysis is an answer, not a crash
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"survival analysis failed: {exc}") from None
    return result, start, end


def _table(svc: ServiceDep, body: SurvivalRequest) -> tuple[pd.DataFrame, pd.Timestamp, pd.Timestamp]:
    result, start, end = _result(svc, body)
    return result.table, start, end


def _stats(row: pd.Series) -> SurvivalStats:
    return SurvivalStats(**{str(k): (None if pd.isna(v) else float(v)) for k, v in row.items()})


@router.post("/survival", response_model=SurvivalOut, responses={**ERRORS, 422: {}, 503: {}})
def survival(body: SurvivalRequest, svc: ServiceDep, principal: DisasterDep) -> SurvivalOut:
    """Per shelter: min/mean/max hours until the first shortfall, mean hours fully served and P(survive
    24/48/72 h), without EVs (PV + battery) and with the fleet (the plan's greedy allotment, the fleet
    calendar), each battery from its normal-operation SoC at each start; P(survive by_hours) by start month
    and hour."""
    result, start, end = _result(svc, body)
    table = result.table
    added = float(table[("ev", "served_mean_h")].sum() - table[("no_ev", "served_mean_h")].sum())
    month, hour = result.by_month["ev"], result.by_hour["ev"]
    shelters = [
        ShelterSurvival(
            facility_id=str(sid),
            no_ev=_stats(table.loc[sid, "no_ev"]),
            ev=_stats(table.loc[sid, "ev"]),
            p_by_month={int(k): float(v) for k, v in month.loc[sid].items()},
            p_by_hour={int(k): float(v) for k, v in hour.loc[sid].items()},
        )
        for sid in table.index
    ]
    starts = len(pd.date_range(start, end, freq=SLOT_FREQ, inclusive="left"))
    return SurvivalOut(
        period_start=start.to_pydatetime(),
        period_end=end.to_pydatetime(),
        hours=body.hours,
        starts=starts,
        fleet_added_shelter_hours=added,
        shelters=shelters,
    )


@router.post(
    "/survival.csv", response_class=Response, responses={**ERRORS, 422: {}, 503: {}, 200: {"content": {"text/csv": {}}}}
)
def survival_csv(body: SurvivalRequest, svc: ServiceDep, principal: DisasterDep) -> Response:
    """The survival table as CSV: one row per shelter, columns no_ev_* and ev_* (hours, probabilities)."""
    table, _, _ = _table(svc, body)
    flat = table.copy()
    flat.columns = ["_".join(map(str, c)) for c in flat.columns]
    return Response(
        flat.to_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="outage-survival.csv"'},
    )
