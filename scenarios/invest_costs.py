"""Investment-planning configuration as typed data: candidate technologies with capital cost, O&M, lifetime
and subsidy share, the finance terms and the grid emission factor (shipped in ``data/invest_costs.yaml``).

Units: JPY (capex per kWp, kWh, kW, unit or car; O&M per unit and year), years, fractions 0..1, kg-CO2/kWh.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, model_validator

from scenarios.assets import Strict
from scenarios.checks import ScenarioError
from scenarios.loader import problems_from_validation

DEFAULT_FILE = Path(__file__).parent / "data" / "invest_costs.yaml"


class TechCost(Strict):
    """Cost terms of one candidate technology, per its unit (kWp, kWh, kW, unit or car)."""

    capex_jpy: float = Field(ge=0, description="Capital cost in JPY per unit, installed, before subsidy.")
    om_jpy_per_year: float = Field(ge=0, description="Operation and maintenance in JPY per unit and year.")
    lifetime_years: int = Field(ge=1, le=60, description="Economic lifetime in years (annuity period).")
    subsidy_share: float = Field(ge=0, lt=1, description="Share of the capex a subsidy pays (fraction).")
    source: str = Field(min_length=1, description="Where the figures come from; 'assumed' marks estimates.")

    def annualised_jpy(self, discount_rate: float) -> float:
        """JPY per unit and year: capex net of subsidy × capital recovery factor + O&M."""
        return self.net_capex_jpy * capital_recovery_factor(discount_rate, self.lifetime_years) + self.om_jpy_per_year

    @property
    def net_capex_jpy(self) -> float:
        """Capex the city pays per unit after the subsidy, JPY."""
        return self.capex_jpy * (1.0 - self.subsidy_share)


class FleetCar(Strict):
    """The car model the city would add to the shared fleet."""

    capacity_kwh: float = Field(gt=0, le=300, description="Usable battery capacity in kWh.")
    v2h_kw: float = Field(ge=0, le=50, description="Discharge through a V2H unit in kW.")
    v2l_kw: float = Field(ge=0, le=10, description="On-board AC outlet power in kW.")
    soc_floor: float = Field(ge=0, lt=1, description="Lowest SoC for discharge (fraction).")
    outage_start_soc: float = Field(gt=0, le=1, description="SoC when an outage starts (fraction).")
    consumption_kwh_per_km: float = Field(gt=0, le=1, description="Driving consumption in kWh/km.")


class NewBattery(Strict):
    """Parameters of a battery the plan adds (and the limit per facility)."""

    charge_efficiency: float = Field(0.95, gt=0, le=1, description="AC-to-stored efficiency (fraction).")
    discharge_efficiency: float = Field(0.95, gt=0, le=1, description="Stored-to-AC efficiency (fraction).")
    soc_min: float = Field(0.1, ge=0, lt=1, description="Lowest SoC (fraction).")
    soc_max: float = Field(0.95, gt=0, le=1, description="Highest SoC (fraction).")
    max_kwh: float = Field(300.0, gt=0, description="Most kWh the plan may add at one facility.")
    wear_jpy_per_kwh: float = Field(2.0, ge=0, description="Throughput cost in JPY per kWh charged or discharged.")


class InvestCosts(Strict):
    """Everything the sizing model needs besides the scenario and the series."""

    discount_rate: float = Field(ge=0, lt=1, description="Real discount rate per year (fraction).")
    grid_emission_kg_per_kwh: float = Field(ge=0, le=2, description="Grid emission factor, kg-CO2/kWh.")
    grid_emission_source: str = Field(min_length=1, description="Where the emission factor comes from.")
    pv_forecast_nmae: float = Field(ge=0, le=1, description="PV forecast MAE / PV energy: the imbalanced share.")
    default_roof_pv_limit_kwp: float = Field(ge=0, description="Roof limit in kWp where the scenario has none.")
    pv: TechCost = Field(description="PV per kWp.")
    battery_energy: TechCost = Field(description="Battery energy per kWh.")
    battery_power: TechCost = Field(description="Battery power conversion per kW.")
    v2h_charger: TechCost = Field(description="V2H charger per unit at a shelter.")
    fleet_ev: TechCost = Field(description="Fleet EV per car.")
    fleet_car: FleetCar = Field(description="The car model added to the fleet.")
    fleet_bases: list[str] = Field(default_factory=list, description="Facility ids where new cars may be based.")
    max_new_evs_per_base: int = Field(0, ge=0, le=50, description="Most new cars per base.")
    max_v2h_per_shelter: int = Field(1, ge=0, le=10, description="Most V2H chargers at one shelter.")
    new_battery: NewBattery = Field(default_factory=NewBattery, description="Batteries the plan adds.")
    outage_start_soc: float = Field(
        0.9, gt=0, le=1, description="SoC every shelter battery is held at for disasters (fraction)."
    )

    @model_validator(mode="after")
    def _soc_order(self) -> InvestCosts:
        b = self.new_battery
        if not b.soc_min < self.outage_start_soc <= b.soc_max:
            raise ValueError(
                f"outage_start_soc ({self.outage_start_soc}) must lie in (new_battery.soc_min, new_battery.soc_max]"
            )
        return self


def capital_recovery_factor(rate: float, years: int) -> float:
    """Annuity per JPY of capex over `years` at `rate` (1/years if the rate is 0)."""
    if rate == 0:
        return 1.0 / years
    return rate / (1.0 - (1.0 + rate) ** -years)


def parse_invest_costs(data: Any, source: str = "invest_costs") -> InvestCosts:
    """Validate a mapping into InvestCosts; ScenarioError with located problems if it is wrong."""
    try:
        return InvestCosts.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation(exc), source) from exc


def load_invest_costs(path: str | Path | None = None) -> InvestCosts:
    """The configuration from `path` (YAML), or the shipped one when None."""
    file = Path(path) if path is not None else DEFAULT_FILE
    with file.open(encoding="utf-8") as handle:
        return parse_invest_costs(yaml.safe_load(handle), str(file))
