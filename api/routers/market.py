"""/api/v1/market: the market day's files, read-only (operators: bids and positions are commercial)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, HTTPException, status

from api.routers.deps import ERRORS, OperatorDep, ServiceDep
from api.schemas.market import MarketDayOut
from runtime.market.files import MarketFiles
from runtime.market.view import market_day_view

router = APIRouter(prefix="/market", tags=["market"])


@router.get("/days", response_model=list[dt.date], responses=ERRORS)
def market_days(svc: ServiceDep, _principal: OperatorDep) -> list[dt.date]:
    """Delivery days with a bid, oldest first."""
    return MarketFiles(svc.settings.market_dir).days()


@router.get("/days/{day}", response_model=MarketDayOut, responses=ERRORS)
def market_day(day: dt.date, svc: ServiceDep, _principal: OperatorDep) -> MarketDayOut:
    """A delivery day's bid, fill, 需要調達計画 and intraday trades (404 before its bid)."""
    files = MarketFiles(svc.settings.market_dir)
    if not files.path("bid", day).exists():
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"day: no market bid for {day}")
    return MarketDayOut.model_validate(market_day_view(files, day, svc.scenario.market.operations))
