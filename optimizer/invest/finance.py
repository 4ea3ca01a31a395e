"""Money and CO2 of a verified plan: upfront capex after subsidy, annual saving, simple payback, NPV, CO2 avoided.

Saving (JPY/yr) = the year of operation before - after (verification's energy + wheeling + demand), less the
added O&M. NPV (JPY) over `horizon_years` at the configured discount rate: -capex + the discounted savings
(replacements of shorter-lived parts are not counted). CO2 avoided (t/yr) = grid kWh avoided × the factor.
"""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.invest.plan import InvestPlan
from optimizer.invest.verify import SiteVerdict
from scenarios.invest_costs import InvestCosts


@dataclass(frozen=True)
class Finance:
    """capex_jpy (after subsidy), om_jpy_per_year, saving_jpy_per_year (net of O&M), payback_years (None if
    no saving), npv_jpy, co2_t_per_year avoided, annual_cost_jpy (the MILP's objective terms, JPY/yr)."""

    capex_jpy: float
    om_jpy_per_year: float
    saving_jpy_per_year: float
    payback_years: float | None
    npv_jpy: float
    co2_t_per_year: float
    annual_cost_jpy: float


def added_om(plan: InvestPlan, costs: InvestCosts) -> float:
    """O&M of what the plan adds, JPY/yr."""
    d = plan.design
    om = sum(
        costs.pv.om_jpy_per_year * s.pv_kwp
        + costs.battery_energy.om_jpy_per_year * s.battery_kwh
        + costs.battery_power.om_jpy_per_year * s.battery_kw
        + costs.v2h_charger.om_jpy_per_year * s.v2h_chargers
        for s in d.sizes
    )
    return om + costs.fleet_ev.om_jpy_per_year * len(d.cars_bought)


def finance(plan: InvestPlan, costs: InvestCosts, horizon_years: int = 20) -> Finance:
    """The money and CO2 figures of `plan` (see the module docstring)."""

    def operating(verdicts: tuple[SiteVerdict, ...]) -> float:
        return sum(v.energy_jpy + v.demand_jpy for v in verdicts)

    om = added_om(plan, costs)
    saving = operating(plan.before) - operating(plan.after) - om
    capex = plan.design.capex_jpy
    r = costs.discount_rate
    annuity = sum((1 + r) ** -t for t in range(1, horizon_years + 1))
    kwh = sum(v.grid_kwh for v in plan.before) - sum(v.grid_kwh for v in plan.after)
    return Finance(
        capex_jpy=capex,
        om_jpy_per_year=om,
        saving_jpy_per_year=saving,
        payback_years=capex / saving if saving > 0 else None,
        npv_jpy=-capex + saving * annuity,
        co2_t_per_year=kwh * costs.grid_emission_kg_per_kwh / 1000.0,
        annual_cost_jpy=plan.design.annual_cost_jpy,
    )
