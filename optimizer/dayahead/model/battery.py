"""add_battery: stationary batteries, continuous (no charge/discharge exclusivity binary).

Losses (efficiency < 1) and the throughput cost make simultaneous charge and discharge never pay while
prices are >= 0 and PV can be curtailed, so the LP keeps them apart (reference note: LP within 0.0003 %).
"""

from __future__ import annotations

import pyomo.environ as pyo

from optimizer.dayahead.inputs import PlanInputs
from optimizer.dayahead.model.params import ParamValues, declare
from optimizer.dayahead.model.sets import slot_hours


def battery_params(inputs: PlanInputs) -> ParamValues:
    """bat_soc0, bat_lo, bat_hi (kWh) per battery."""
    bats = inputs.batteries
    return {
        "bat_soc0": {b.key: b.initial_kwh for b in bats},
        "bat_lo": {b.key: b.lower_kwh for b in bats},
        "bat_hi": {b.key: b.upper_kwh for b in bats},
    }


def add_battery(m: pyo.ConcreteModel, inputs: PlanInputs) -> None:
    """bat_charge/bat_discharge (kW, bounded by power; 0 for an out-of-service battery), bat_soc (kWh at slot
    end, bounded by the SoC window) and bat_soc_dynamics[b,t]: soc = prev + h (eta_c charge - discharge / eta_d),
    written as one flat sum with the initial energy (a Param) alone on the right, the cheapest form to compile."""
    values = battery_params(inputs)
    spec = {b.key: b for b in inputs.batteries}
    declare(m, "bat_soc0", (m.B,), values["bat_soc0"], "initial stored energy kWh")
    declare(m, "bat_lo", (m.B,), values["bat_lo"], "lowest stored energy kWh")
    declare(m, "bat_hi", (m.B,), values["bat_hi"], "highest stored energy kWh")
    avail = {b: 1.0 if spec[b].available else 0.0 for b in spec}  # part of the structure key
    m.bat_charge = pyo.Var(m.B, m.T, bounds=lambda m, b, t: (0, spec[b].charge_kw * avail[b]), doc="kW")
    m.bat_discharge = pyo.Var(m.B, m.T, bounds=lambda m, b, t: (0, spec[b].discharge_kw * avail[b]), doc="kW")
    m.bat_soc = pyo.Var(m.B, m.T, bounds=lambda m, b, t: (m.bat_lo[b], m.bat_hi[b]), doc="kWh at slot end")

    def dynamics(m: pyo.ConcreteModel, b: str, t: int) -> pyo.Expression:
        # soc - prev - h eta_c charge + (h / eta_d) discharge = 0 (slot 0: = initial energy), one flat sum
        s, h = spec[b], slot_hours(m, t)
        terms = [m.bat_soc[b, t], -(h * s.charge_efficiency) * m.bat_charge[b, t]]
        terms.append((h / s.discharge_efficiency) * m.bat_discharge[b, t])
        if t == 0:
            return pyo.quicksum(terms) == m.bat_soc0[b]
        return pyo.quicksum([*terms, -m.bat_soc[b, t - 1]]) == 0

    m.bat_soc_dynamics = pyo.Constraint(m.B, m.T, rule=dynamics)
