"""A Yamaguchi day (37 facilities x 48 slots, forecasts from the forecasts package, real JEPX prices):
physics holds in every slot, the solver's objective equals the shared cost function, and the optimised plan
never costs more than the rule-based baseline on the same inputs."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from opt_helpers import solved

from optimizer.dayahead.costs import cost_breakdown
from optimizer.dayahead.inputs import PlanInputs
from optimizer.dayahead.result import PlanResult
from optimizer.dayahead.solve import baseline
from runtime.facades.dayahead_planning import day_index, plan_inputs
from scenarios.loader import load_builtin

TOL = 1e-5


@pytest.fixture(scope="module")
def day() -> tuple[PlanInputs, PlanResult]:
    inputs = plan_inputs(load_builtin("yamaguchi"), day_index(dt.date(2024, 8, 1), 48))
    return inputs, solved(inputs)


def test_energy_balance_every_facility_and_slot(day: tuple[PlanInputs, PlanResult]) -> None:
    inputs, result = day
    d = result.dispatch
    assert result.status == "optimal"
    for j, f in enumerate(inputs.facilities):
        supply = d.pv_used_kw[j] + d.import_kw[j]
        for i, b in enumerate(inputs.batteries):
            if b.facility == f.id:
                supply = supply + d.bat_discharge_kw[i] - d.bat_charge_kw[i]
        for i, e in enumerate(inputs.evs):
            if e.facility == f.id:
                supply = supply + d.ev_discharge_kw[i] - d.ev_charge_kw[i]
        for k, link in enumerate(inputs.links):  # what arrives is (1 - loss) x what the other end sends
            kept, ab, ba = 1 - link.loss_fraction, d.link_ab_kw[k], d.link_ba_kw[k]
            supply = supply + (kept * ab - ba if link.b == f.id else 0) + (kept * ba - ab if link.a == f.id else 0)
        if inputs.plant is not None and f.id == inputs.plant.facility:
            supply = supply + d.plant_self_kw  # the plant's output used behind the cleaning plant's meter
        np.testing.assert_allclose(supply, f.load_kw + d.export_kw[j], atol=TOL, err_msg=f.id)
        assert (d.pv_used_kw[j] <= f.pv_kw + TOL).all()
    # the group's supply: the plant's output less what its own facility uses behind the meter, plus JEPX
    group = d.plant_kw - d.plant_self_kw + d.buy_kw - d.sell_kw
    np.testing.assert_allclose(group, d.import_kw.sum(axis=0) - d.export_kw.sum(axis=0), atol=1e-4)
    assert inputs.plant is not None
    assert inputs.plant.facility == "cleaning-plant"
    assert (d.plant_kw >= inputs.plant.min_kw - TOL).all()
    assert (d.plant_kw <= inputs.plant.forecast_kw + TOL).all()
    assert (d.plant_self_kw <= d.plant_kw + TOL).all()
    plant_site = inputs.facility_ids.index("cleaning-plant")
    assert d.import_kw[plant_site].max() < TOL  # its load is served by the plant: no wheeling on it
    assert inputs.plant.ramp_up_kw is not None
    assert inputs.plant.ramp_down_kw is not None
    step = np.diff(np.concatenate([[inputs.plant.initial_kw], d.plant_kw]))
    assert (step <= inputs.plant.ramp_up_kw + TOL).all()
    assert (-step <= inputs.plant.ramp_down_kw + TOL).all()
    for k, link in enumerate(inputs.links):
        assert link.loss_fraction > 0
        assert (d.link_ab_kw[k] <= link.limit_kw + TOL).all()
        assert (d.link_ba_kw[k] <= link.limit_kw + TOL).all()
        assert (np.minimum(d.link_ab_kw[k], d.link_ba_kw[k]) <= TOL).all(), "a link sends both ways at once"


def test_battery_soc_and_power_limits_every_slot(day: tuple[PlanInputs, PlanResult]) -> None:
    inputs, result = day
    d = result.dispatch
    assert inputs.batteries
    for i, b in enumerate(inputs.batteries):
        assert (d.bat_charge_kw[i] >= -TOL).all()
        assert (d.bat_charge_kw[i] <= b.charge_kw + TOL).all()
        assert (d.bat_discharge_kw[i] >= -TOL).all()
        assert (d.bat_discharge_kw[i] <= b.discharge_kw + TOL).all()
        assert (d.bat_soc_kwh[i] >= b.lower_kwh - TOL).all()
        assert (d.bat_soc_kwh[i] <= b.upper_kwh + TOL).all()
        prev = np.concatenate([[b.initial_kwh], d.bat_soc_kwh[i, :-1]])
        eta_c, eta_d = b.charge_efficiency, b.discharge_efficiency
        flow = inputs.hours * (eta_c * d.bat_charge_kw[i] - d.bat_discharge_kw[i] / eta_d)
        np.testing.assert_allclose(d.bat_soc_kwh[i], prev + flow, atol=TOL, err_msg=b.key)
        assert (np.minimum(d.bat_charge_kw[i], d.bat_discharge_kw[i]) <= TOL).all(), "charge and discharge at once"


def test_ev_limits_every_slot(day: tuple[PlanInputs, PlanResult]) -> None:
    inputs, result = day
    d = result.dispatch
    assert inputs.binary_evs == ["cpod-1"]  # the 1.4 kW-minimum AC charger at city hall
    for i, e in enumerate(inputs.evs):
        assert (d.ev_charge_kw[i] <= e.charge_kw * e.plugged + TOL).all()
        assert (d.ev_discharge_kw[i] <= e.discharge_kw * e.plugged + TOL).all()
        on = d.ev_charge_kw[i] > TOL
        assert (d.ev_charge_kw[i][on] >= e.min_charge_kw - TOL).all()
        assert (d.ev_soc_kwh[i] <= e.capacity_kwh + TOL).all()
        assert (d.ev_soc_kwh[i] >= e.lower_kwh - TOL).all()
        prev = np.concatenate([[e.initial_kwh], d.ev_soc_kwh[i, :-1]])
        flow = inputs.hours * (e.efficiency * d.ev_charge_kw[i] - d.ev_discharge_kw[i] / e.efficiency)
        expected = prev + flow - e.trip_kwh + d.ev_trip_short_kwh[i]
        np.testing.assert_allclose(d.ev_soc_kwh[i], expected, atol=TOL, err_msg=e.id)
    assert not [m for m in result.missed if m.kind in ("ev_departure", "ev_trip")]


def test_solver_objective_is_the_shared_cost_function(day: tuple[PlanInputs, PlanResult]) -> None:
    inputs, result = day
    assert result.solver_objective_jpy == pytest.approx(result.objective_jpy, rel=1e-9, abs=1e-3)
    assert sum(cost_breakdown(inputs, result.dispatch).values()) == pytest.approx(result.objective_jpy)
    proc = result.procurement
    assert len(proc) == 48
    assert (proc["interchange_kwh"] >= 0).all()
    assert result.interchange["kwh"].sum() == pytest.approx(proc["interchange_kwh"].sum(), rel=1e-9)
    tidy = result.schedule
    assert set(tidy.columns) == {"slot", "facility", "device", "variable", "value"}
    wide = result.wide("city-hall")
    assert "bat1.soc_kwh" in wide.columns
    assert len(wide) == 48


def test_optimised_never_costs_more_than_baseline(day: tuple[PlanInputs, PlanResult]) -> None:
    inputs, result = day
    rules = baseline(inputs)
    assert rules.status == "baseline"
    assert result.objective_jpy <= rules.objective_jpy + 1e-6
    # the baseline is a feasible plan of the same model: its own physics holds too
    d = rules.dispatch
    group = d.plant_kw - d.plant_self_kw + d.buy_kw - d.sell_kw
    np.testing.assert_allclose(group, d.import_kw.sum(axis=0) - d.export_kw.sum(axis=0), atol=1e-6)
    for i, b in enumerate(inputs.batteries):
        assert (d.bat_soc_kwh[i] >= b.lower_kwh - TOL).all()
        assert (d.bat_soc_kwh[i] <= b.upper_kwh + TOL).all()
