"""Typed result of the sizing MILP: sizes per shelter, the fleet and its allotment, the cost by term.

Units: kWp, kWh, kW, chargers, cars; JPY/yr for the cost terms (annualised capex net of subsidy + O&M, and a
year of operation on the weighted representative days); JPY for upfront capex; seconds of wall time.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SiteSizes:
    """What the plan adds at one shelter (on top of what is there)."""

    site: str
    pv_kwp: float
    battery_kwh: float
    battery_kw: float
    v2h_chargers: int


@dataclass(frozen=True)
class InvestDesign:
    """A sizing solve. status: 'optimal', HiGHS's termination, or 'no solution'; sizes empty without one.

    allotment: car id -> shelter id (cars holding a V2H charger there in v2h_holds); cars_bought: candidate car
    ids bought. costs: JPY/yr by term (COST_TERMS); capex_jpy: upfront capex after subsidy; survived: per
    shelter the share of its modelled windows survived (1.0 in least-cost mode).
    """

    status: str
    objective_jpy: float | None
    gap: float | None
    sizes: tuple[SiteSizes, ...] = ()
    cars_bought: tuple[str, ...] = ()
    allotment: dict[str, str] = field(default_factory=dict)
    v2h_holds: tuple[str, ...] = ()
    costs: dict[str, float] = field(default_factory=dict)
    capex_jpy: float = 0.0
    survived: dict[str, float] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    windows: int = 0

    @property
    def ok(self) -> bool:
        """True if the solve gave a design."""
        return bool(self.sizes)

    @property
    def annual_cost_jpy(self) -> float:
        """Sum of the cost terms, JPY/yr."""
        return float(sum(self.costs.values()))

    def size(self, site: str) -> SiteSizes:
        """The sizes at `site` (KeyError naming it if absent)."""
        for s in self.sizes:
            if s.site == site:
                return s
        raise KeyError(f"no sizes for site '{site}' in this design")
