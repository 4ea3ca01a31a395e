"""Investment-plan schemas (kWp, kWh, kW, JPY, JPY/yr, t-CO2/yr, fractions 0..1): the last `ems invest` run."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import Schema


class InvestShelterOut(Schema):
    """What the plan adds at one shelter and its P(72 h) before and after."""

    shelter: str
    pv_kwp: float = Field(description="PV added, kWp.")
    battery_kwh: float = Field(description="Battery energy added, kWh.")
    battery_kw: float = Field(description="Battery power added, kW.")
    v2h_chargers: int = Field(description="V2H chargers added.")
    cars: str = Field(description="Cars allotted to the shelter in every outage (space-separated ids).")
    p72_before: float = Field(description="P(survive 72 h) over the year's starts today (no car plan).")
    p72_after_fleet: float = Field(description="P(survive 72 h) after, with the cars allotted.")
    p72_after_alone: float = Field(description="P(survive 72 h) after, without any car.")
    min_h_after: float = Field(description="Fewest hours survived after, over the year's starts (with the cars).")
    operating_jpy_before: float = Field(description="A year of energy, wheeling and demand charges today, JPY.")
    operating_jpy_after: float = Field(description="The same after the additions, JPY.")


class InvestFinanceOut(Schema):
    """Money and CO2 of the plan."""

    capex_jpy: float = Field(description="Capital cost after subsidy, JPY.")
    om_jpy_per_year: float = Field(description="O&M of the additions, JPY/yr.")
    saving_jpy_per_year: float = Field(description="Operating saving net of O&M, JPY/yr.")
    payback_years: float | None = Field(description="capex / saving (None without a saving).")
    npv_jpy: float = Field(description="Net present value over 20 years, JPY.")
    co2_t_per_year: float = Field(description="CO2 avoided, t/yr (grid kWh avoided × the Chugoku factor).")
    annual_cost_jpy: float = Field(description="The sizing objective: annualised capex + O&M + operation, JPY/yr.")


class InvestCurvePoint(Schema):
    """One point of the cost vs resilience curve."""

    target: float
    annual_cost_jpy: float
    capex_jpy: float
    worst_p72: float
    verified: bool


class InvestBudgetPick(Schema):
    """Budget mode's pick at one shelter."""

    shelter: str
    planned_for: float = Field(description="Target P(72 h) its plan was sized for; 0 = nothing added.")
    p: float = Field(
        description="P(72 h) of that plan from the year verification (ladder: own cars; city-wide: the cars allotted)."
    )
    capex_jpy: float = Field(description="Capex after subsidy, JPY.")


class InvestBudgetOut(Schema):
    """Budget mode's answer: how many shelters the budget brings to the target, and the pick per shelter."""

    path: str = Field(
        "ladder",
        description="Which answered: 'city-wide' (the least-cost plan at the target with the shared fleet, when it "
        "verifies and fits the budget) or 'ladder' (one-shelter plans and the pick).",
    )
    reason: str = Field("", description="Why that path answered, in words.")
    city_capex_jpy: float | None = Field(
        None, description="Capex after subsidy of the city-wide least-cost plan at the target, JPY (None: not run)."
    )
    met: int = Field(description="Shelters at or above the target.")
    shelters: int
    capex_jpy: float = Field(description="Capex after subsidy of the pick, JPY (at most the budget).")
    status: str
    complete: bool = Field(description="False if the deadline stopped the ladder of plans early.")
    rungs_built: int = Field(description="One-shelter plans made (year-verified) to choose from.")
    ladder_s: float = Field(description="Seconds to build them.")
    chosen: list[InvestBudgetPick]


class InvestPlanOut(Schema):
    """The last investment run (from Settings.invest_dir)."""

    scenario: str
    weather: str
    mode: str = Field(description="'least_cost' (target) or 'budget'.")
    budget_jpy: float | None
    target: float
    hours: float
    with_fleet: bool
    verified: bool = Field(description="True if every shelter reached the target over the year's starts.")
    status: str
    cars_bought: list[str]
    allotment: dict[str, str] = Field(description="Car id -> shelter id in every outage.")
    annual_cost_jpy: dict[str, float] = Field(description="Sizing objective by term, JPY/yr.")
    finance: InvestFinanceOut
    shelters: list[InvestShelterOut]
    curve: list[InvestCurvePoint] = Field(default_factory=list)
    budget: InvestBudgetOut | None = Field(None, description="Budget mode's pick (None in least-cost mode).")
    links_in_outage: list[str] = Field(
        default_factory=list, description="How each interchange link is treated in an outage (grid-tied: unused)."
    )
