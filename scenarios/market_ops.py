"""Configuration of the balancing group's market day: JEPX bid units and price limits, the 計画値 file, imbalance
scarcity pricing and the weights of the forecast quantiles (a field of :class:`scenarios.model.Market`).

Sources (see docs in /work/shared/reference, section c): JEPX spot bid unit 0.1 MW x 30 min = 50 kWh (solarjournal
2021; older sources say 1 MW: verify against JEPX's 取引ガイド); intraday unit 0.1 MW; the day-ahead bid closes at
10:00 and the 需要調達計画 is due at 12:00 the day before delivery; gate closure 1 h before each slot (in
``Market.gate_closure_min``). Scarcity-adjusted imbalance price (kW需給ひっ迫時補正インバランス料金): rises as the
wide-area reserve margin (広域予備率) falls, up to C at the lowest breakpoint; the breakpoints here are configurable
defaults to verify against the METI 電力・ガス取引監視等委員会 documents.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from scenarios.assets import Strict

__all__ = ["MarketOperations", "QuantileWeights", "ScarcityPoint"]


class ScarcityPoint(Strict):
    """One breakpoint of the scarcity price curve: at ``reserve_margin`` (fraction, 0.08 = 8 %) the price is
    ``price_jpy_per_kwh``; None means the cap C of the day (200 JPY/kWh, 300 from 2026-10)."""

    reserve_margin: float = Field(ge=0, le=1, description="Wide-area reserve margin (広域予備率), fraction 0..1.")
    price_jpy_per_kwh: float | None = Field(None, ge=0, description="Scarcity price there, JPY/kWh (None: C).")


def _default_curve() -> list[ScarcityPoint]:
    return [ScarcityPoint(reserve_margin=0.03), ScarcityPoint(reserve_margin=0.08, price_jpy_per_kwh=45.0)]


class QuantileWeights(Strict):
    """Probabilities given to the P10, P50 and P90 scenarios of a forecast (Swanson's rule 0.3/0.4/0.3)."""

    p10: float = Field(0.3, gt=0, lt=1, description="Weight of the P10 scenario.")
    p50: float = Field(0.4, gt=0, lt=1, description="Weight of the P50 scenario.")
    p90: float = Field(0.3, gt=0, lt=1, description="Weight of the P90 scenario.")

    @model_validator(mode="after")
    def _sum_to_one(self) -> QuantileWeights:
        total = self.p10 + self.p50 + self.p90
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"quantile_weights: p10 + p50 + p90 must be 1, not {total:g}")
        return self

    def as_tuple(self) -> tuple[float, float, float]:
        """(p10, p50, p90) weights."""
        return (self.p10, self.p50, self.p90)


class MarketOperations(Strict):
    """How the balancing group bids, plans and trades (units in each description)."""

    balancing_group_code: str = Field(
        "YGE0001", pattern=r"^[A-Za-z0-9_-]{1,20}$", description="Balancing group (需要BG) code on the 計画値 file."
    )
    bid_unit_kwh: float = Field(50.0, gt=0, description="JEPX spot bid unit per slot, kWh (0.1 MW x 30 min).")
    intraday_unit_kwh: float = Field(50.0, gt=0, description="JEPX intraday order unit per slot, kWh (0.1 MW).")
    min_bid_price_jpy_per_kwh: float = Field(
        0.01, ge=0, description="Lowest JEPX bid price, JPY/kWh: a sale at it is a price-taker sale."
    )
    max_bid_price_jpy_per_kwh: float = Field(
        999.0,
        gt=0,
        description="Highest bid price, JPY/kWh: a purchase at it is a price-taker purchase (999 assumed; "
        "verify against JEPX's 取引規程細則).",
    )
    bid_deadline: str = Field(
        "10:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="Spot bid deadline, JST, day before."
    )
    plan_deadline: str = Field(
        "12:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="計画値 due, JST, day before delivery."
    )
    bilateral_kw: float = Field(0.0, ge=0, description="Flat bilateral (相対) purchase in every slot, kW.")
    scarcity_curve: list[ScarcityPoint] = Field(
        default_factory=_default_curve,
        description="Scarcity price by reserve margin, linear between breakpoints, none above the highest.",
    )
    assumed_reserve_margin: float = Field(
        0.15, ge=0, le=1, description="Reserve margin assumed where none is given (fraction; 0.15: no scarcity)."
    )
    need_error_fraction: float = Field(
        0.05,
        ge=0,
        lt=1,
        description="P10/P90 of the group's net need as -/+ this fraction of its forecast load (assumed until the "
        "service has measured errors of its own forecasts).",
    )
    quantile_weights: QuantileWeights = Field(
        default_factory=QuantileWeights, description="Probabilities of the P10/P50/P90 scenarios."
    )

    @model_validator(mode="after")
    def _check(self) -> MarketOperations:
        if self.min_bid_price_jpy_per_kwh >= self.max_bid_price_jpy_per_kwh:
            raise ValueError("min_bid_price_jpy_per_kwh: must be below max_bid_price_jpy_per_kwh")
        margins = [p.reserve_margin for p in self.scarcity_curve]
        if margins != sorted(set(margins)):
            raise ValueError("scarcity_curve: breakpoints must have strictly increasing reserve_margin")
        return self
