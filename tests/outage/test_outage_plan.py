"""Outage planning on hand-checkable cases: where the car goes, energy conservation, travel and floors,
V2L limits, MILP never worse than greedy."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from outage_cases import START, car, ideal_battery, two_shelters

from optimizer.outage import OutageInput, OutageShelter, greedy_plan, plan_outage, simulate
from optimizer.outage.bound import perfect_relocation_bound
from optimizer.outage.inputs import OutageInputError, check_outage_input
from optimizer.outage.result import OutagePlan


def test_greedy_sends_the_car_to_the_shelter_that_runs_out_first() -> None:
    data = two_shelters()
    plan = greedy_plan(data)
    assert plan.assignment[0].tolist() == [0, 0, 0, 0]  # shelter A for all four 2-h blocks
    # A: battery 0-2 h, car 2-8 h (it holds 9 kWh after the 1 kWh trip) -> 8 kWh; B: battery 0-6 h -> 6 kWh.
    assert plan.served_kw[:, 0].sum() * 0.5 == pytest.approx(8.0)
    assert plan.served_kw[:, 1].sum() * 0.5 == pytest.approx(6.0)
    table = plan.shelter_table()
    assert table.loc["B", "hours_until_dark"] == pytest.approx(6.0)
    assert table["dark_at"].isna().tolist() == [True, False]
    move = plan.moves[0]
    assert (move.car, move.from_site, move.to_shelter) == ("ev1", "depot", "A")
    assert (move.depart, move.arrive) == (START, START + pd.Timedelta(minutes=30))
    assert move.delivered_kwh == pytest.approx(6.0)


def test_milp_keeps_a_shelter_fully_served_rather_than_relocating_for_more_kwh() -> None:
    data = two_shelters()
    plan = plan_outage(data, time_limit_s=30)
    # Relocating serves more: car at A from 0.5 h to 6 h (5.5 kWh), on the road 6-6.5 h, B 6.5-8 h (1.5 kWh);
    # A's battery covers 0-0.5 h and 1.5 of its last 2 h; B's covers 0-6 h: 16 - 0.5 - 0.5 = 15 kWh, but
    # neither shelter is fully served. Staying at A serves A all 8 h (battery 2 + car 6 kWh) and B 6 h from
    # its battery: 14 kWh with one shelter fully served, which ranks first (all the load is tier 1 here).
    assert plan.method == "milp"
    assert plan.tier1_full.tolist() == [True, False]
    assert plan.served_kwh == pytest.approx(14.0, abs=1e-4)
    assert plan.score[0] == 1
    assert plan.score[1] == pytest.approx(14.0, abs=1e-4)
    assert plan.score >= greedy_plan(data).score
    assert perfect_relocation_bound(data, slot_weighted=False) >= plan.weighted_served_kwh - 1e-6


def test_milp_keeps_the_car_at_the_shelter_that_runs_out_first_when_moving_costs_too_much() -> None:
    data = two_shelters()
    far = data.travel_slots.copy()
    far[0, 1] = far[1, 0] = 4  # A-B takes a whole 2-h block: relocating loses more than it gains
    plan = plan_outage(replace(data, travel_slots=far), time_limit_s=30)
    assert plan.assignment[0].tolist() == [0, 0, 0, 0]
    assert plan.served_kwh == pytest.approx(14.0, abs=1e-4)


def test_car_delivers_nothing_while_travelling() -> None:
    data = two_shelters()
    for plan in (greedy_plan(data), plan_outage(data, time_limit_s=30)):
        delivered = plan.ev_kw[0].sum(axis=1)
        assert delivered[0] == 0.0  # on the road from the depot during the first slot
        for move in plan.moves:
            k = data.index.get_loc(move.depart)
            assert delivered[k] == pytest.approx(0.0, abs=1e-9)  # one travel slot per move here
            assert move.arrive == move.depart + pd.Timedelta(minutes=30)
        if len(plan.moves) == 2:
            first, second = plan.moves
            j = [s.id for s in data.shelters].index(first.to_shelter)
            after = data.index.get_loc(second.depart)
            assert plan.ev_kw[0, after:, j].sum() == pytest.approx(0.0, abs=1e-9)  # left the first shelter


def test_car_never_below_its_floor() -> None:
    # Floor at 60 % of 10 kWh: 4 kWh above it, 1 kWh for the trip -> at most 3 kWh delivered.
    data = two_shelters(evs=(car(floor=0.6),))
    for plan in (greedy_plan(data), plan_outage(data, time_limit_s=30)):
        assert plan.ev_kwh.min() >= 6.0 - 1e-6
        assert plan.ev_kw.sum() * 0.5 <= 3.0 + 1e-4
    # The MILP keeps B fully served (its 6 kWh battery and 2 kWh from the car): the car's last kWh stays in it.
    assert plan_outage(data, time_limit_s=30).tier1_full.tolist() == [False, True]
    at_floor = two_shelters(evs=(replace(car(floor=0.5), soc_start=0.5),))
    assert at_floor.usable_evs == ()
    assert plan_outage(at_floor, time_limit_s=10).ev_kw.size == 0


def _one_shelter(bidirectional: bool, load_kw: float = 5.0) -> OutageInput:
    n = 8
    shelter = OutageShelter("S", np.full(n, load_kw), np.zeros(n), bidirectional_charger=bidirectional)
    km, steps = np.array([[0.0]]), np.array([[0]])
    return OutageInput(
        start=START,
        shelters=(shelter,),
        evs=(car(site=0, kwh=60.0, v2l=1.5, v2h=6.0),),
        site_ids=("S",),
        distance_km=km,
        travel_slots=steps,
        n_slots=n,
        block_slots=4,
    )


@pytest.mark.parametrize(("bidirectional", "kw"), [(False, 1.5), (True, 5.0)])
def test_v2l_cars_limited_to_outlet_power(bidirectional: bool, kw: float) -> None:
    data = _one_shelter(bidirectional)
    for plan in (greedy_plan(data), plan_outage(data, time_limit_s=10)):
        assert plan.ev_kw[0, :, 0] == pytest.approx(np.full(8, kw), abs=1e-6)
        assert plan.shed_kw[:, 0] == pytest.approx(np.full(8, 5.0 - kw), abs=1e-6)


def _lossy_with_pv() -> OutageInput:
    base = two_shelters(evs=(car(eff=0.9),), n_slots=24)
    pv = np.zeros(24)
    pv[4:12] = 3.0  # midday surplus at B charges its battery
    a, b = base.shelters
    return replace(
        base,
        shelters=(
            replace(a, battery=ideal_battery(2.0, eff=0.9)),
            replace(b, pv_kw=pv, battery=replace(ideal_battery(6.0, eff=0.9), soc_start=0.5)),
        ),
    )


def _check_conservation(plan: OutagePlan) -> None:
    data, h = plan.data, plan.data.slot_hours
    pv = data.pv_matrix()
    assert np.all(plan.pv_used_kw <= pv + 1e-6)  # the rest is curtailed
    supply = plan.pv_used_kw + plan.battery_discharge_kw + plan.ev_delivered_kw
    balance = supply - plan.served_kw - plan.battery_charge_kw
    assert np.abs(balance).max() < 1e-5
    for j, s in enumerate(data.shelters):
        bat = s.battery
        assert bat is not None
        change = (
            h
            * (
                bat.charge_efficiency * plan.battery_charge_kw[:, j]
                - plan.battery_discharge_kw[:, j] / bat.discharge_efficiency
            ).sum()
        )
        assert plan.battery_kwh[-1, j] - plan.battery_kwh[0, j] == pytest.approx(change, abs=1e-5)
    ev = data.usable_evs[0]
    travel = sum(m.travel_kwh for m in plan.moves)
    drop = plan.ev_kwh[0, 0] - plan.ev_kwh[0, -1]
    assert drop == pytest.approx(plan.ev_kw[0].sum() * h / ev.discharge_efficiency + travel, abs=1e-5)
    sources = plan.pv_used_kw.sum() + plan.battery_discharge_kw.sum() + plan.ev_delivered_kw.sum()
    assert sources * h == pytest.approx(plan.served_kwh + plan.battery_charge_kw.sum() * h, abs=1e-5)


def test_energy_conserved_in_greedy_and_milp_plans() -> None:
    data = _lossy_with_pv()
    greedy = greedy_plan(data)
    milp = plan_outage(data, time_limit_s=30)
    _check_conservation(greedy)
    _check_conservation(milp)
    assert greedy.battery_charge_kw[:, 1].sum() > 0  # B's battery was charged from PV
    assert milp.served_kwh >= greedy.served_kwh - 1e-6


def _random_case(seed: int) -> OutageInput:
    rng = np.random.default_rng(seed)
    n, n_s = 48, 4
    hours = (np.arange(n) * 0.5 + 14) % 24
    pv_shape = np.clip(np.sin((hours - 6) / 12 * np.pi), 0, None)
    shelters = tuple(
        OutageShelter(
            f"s{j}",
            rng.uniform(0.8, 2.5) * np.where((hours >= 17) & (hours < 22), 1.3, 1.0),
            rng.choice([0.0, 8.0, 15.0]) * pv_shape,
            priority=float(rng.choice([1.0, 2.0])),
            battery=ideal_battery(float(rng.choice([4.0, 9.8]))) if rng.random() < 0.5 else None,
            bidirectional_charger=bool(rng.random() < 0.3),
        )
        for j in range(n_s)
    )
    coords = rng.uniform(0, 15, size=(n_s + 1, 2))
    km = np.linalg.norm(coords[:, None] - coords[None], axis=2) * 1.3
    steps = np.ceil(km / 30 / 0.5).astype(int)
    evs = tuple(
        replace(
            car(
                site=int(rng.integers(0, n_s + 1)),
                kwh=float(rng.choice([9.0, 20.0, 40.0])),
                v2l=1.5,
                v2h=6.0,
                floor=0.1,
                per_km=0.15,
                eff=0.92,
            ),
            id=f"ev{v}",
            soc_start=0.8,
        )
        for v in range(3)
    )
    return OutageInput(
        start=START,
        shelters=shelters,
        evs=evs,
        site_ids=(*(s.id for s in shelters), "depot"),
        distance_km=km,
        travel_slots=steps,
        n_slots=n,
        block_slots=8,
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_milp_never_serves_less_than_greedy(seed: int) -> None:
    data = _random_case(seed)
    check_outage_input(data)
    greedy = greedy_plan(data)
    milp = plan_outage(data, time_limit_s=20)
    assert milp.objective >= greedy.objective - 1e-6
    assert milp.value - data.move_penalty * len(milp.moves) == pytest.approx(milp.objective)
    assert perfect_relocation_bound(data) >= milp.value - 1e-5
    assert perfect_relocation_bound(data, slot_weighted=False) >= milp.weighted_served_kwh - 1e-5
    again = simulate(data, greedy.assignment)
    assert again.served_kwh == pytest.approx(greedy.served_kwh)


def test_bad_input_names_the_field() -> None:
    data = two_shelters()
    with pytest.raises(OutageInputError, match="shelter A: critical_kw"):
        check_outage_input(
            replace(data, shelters=(replace(data.shelters[0], critical_kw=np.ones(3)), data.shelters[1]))
        )
    with pytest.raises(OutageInputError, match="n_slots"):
        check_outage_input(replace(data, n_slots=200))


def test_slot_weights_spread_cars_instead_of_queueing_them() -> None:
    # Two dark shelters (1 kW for 12 h, nothing else), two 5 kWh V2L cars at the depot, all trips equal:
    # queueing both at one shelter or one car each serves the same kWh; served sooner wins with early_weight.
    base = two_shelters(evs=(car(kwh=5.0, car_id="ev1"), car(kwh=5.0, car_id="ev2")), n_slots=24, block_slots=8)
    dark = tuple(replace(s, battery=None) for s in base.shelters)
    data = replace(base, shelters=dark, early_weight=0.01)
    for plan in (greedy_plan(data), plan_outage(data, time_limit_s=20)):
        assert sorted(plan.assignment[:, 0].tolist()) == [0, 1]
        assert plan.served_kwh == pytest.approx(8.0)  # each car: 5 kWh less a 1 kWh trip
    assert data.slot_weights[0] == pytest.approx(1.01)
    assert data.slot_weights[-1] == pytest.approx(1 + 0.01 / 24)


def test_a_trip_longer_than_a_block_is_not_shortened() -> None:
    # B (2 kWh battery, dark at slot 4) is 5 slots from the depot; blocks are 4 slots. The earliest the car can
    # deliver at B is slot 5 (direct: 5 slots on the road; via A: A at slot 1, leave at the block start, slot 4,
    # arrive slot 5). Capping the 5-slot trip at one block would let it deliver at B from slot 4.
    data = two_shelters()
    steps = data.travel_slots.copy()
    steps[2, 1] = steps[1, 2] = 5
    a, b = data.shelters
    shelters = (replace(a, battery=ideal_battery(6.0)), replace(b, battery=ideal_battery(2.0)))
    far = replace(data, travel_slots=steps, shelters=shelters)
    for plan in (greedy_plan(far), plan_outage(far, time_limit_s=30)):
        assert plan.ev_kw[0, :5, 1].sum() == pytest.approx(0.0, abs=1e-9)
        assert all(not (m.from_site == "depot" and m.to_shelter == "B") for m in plan.moves)
