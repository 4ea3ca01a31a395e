"""The load-following rule for one shelter and one 30-min slot, shared by the rule-based simulation and the
greedy planner, with the charger and outlet physics of `OutageShelter`.

Order: usable PV to the load (surplus charges the battery, the rest is curtailed), then the battery, then
the cars on V2H chargers (at most `shelter.chargers` at a time, in the order given, skipping cars at their
floor: cars take turns on a charger as each empties). V2L outlets: summed with the building supply only
with `v2l_parallel` wiring; otherwise one outlet feeds the critical circuit alone, chosen when it serves
more than the building supply (PV then only charges the battery). Powers kW, energies kWh.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from optimizer.outage.inputs import OutageEV, OutageShelter


@dataclass
class SlotCar:
    """A car present (arrived) at the shelter in this slot: its index, itself and its stored kWh."""

    index: int
    car: OutageEV
    kwh: float


@dataclass
class SlotOutcome:
    """What one slot at one shelter does: kW served, PV used, battery charge/discharge, kW per car index."""

    served: float = 0.0
    pv_used: float = 0.0
    charge: float = 0.0
    discharge: float = 0.0
    gives: dict[int, float] = field(default_factory=dict)


def _car_kw(shelter: OutageShelter, c: SlotCar, need: float, h: float) -> float:
    """kW the car can give towards `need` in the slot (rating and energy above its floor)."""
    room = max(c.kwh - c.car.floor_kwh, 0.0) * c.car.discharge_efficiency / h
    return max(min(need, c.car.power_at(shelter), room), 0.0)


def _battery(shelter: OutageShelter, level: float, surplus: float, need: float, h: float) -> tuple[float, float]:
    """(charge kW, discharge kW) of the shelter's battery at stored `level` kWh."""
    bat = shelter.battery
    if bat is None:
        return 0.0, 0.0
    room = max(bat.ceiling_kwh - level, 0.0)
    charge = max(min(surplus, bat.charge_kw, room / (bat.charge_efficiency * h)), 0.0)
    if charge > 0:
        return charge, 0.0
    avail = max(level - bat.floor_kwh, 0.0) * bat.discharge_efficiency / h
    return 0.0, max(min(need, bat.discharge_kw, avail), 0.0)


def _give_in_turn(shelter: OutageShelter, cars: list[SlotCar], need: float, limit: int, h: float) -> dict[int, float]:
    """kW per car index from up to `limit` cars at a time (cars at their floor leave the outlet)."""
    gives: dict[int, float] = {}
    for c in cars:
        if need <= 1e-12 or len(gives) >= limit:
            break
        give = _car_kw(shelter, c, need, h)
        if give > 1e-12:
            gives[c.index] = give
            need -= give
    return gives


def building_supply(
    shelter: OutageShelter, load: float, pv: float, level: float, cars: list[SlotCar], h: float
) -> SlotOutcome:
    """PV, battery, V2H cars and (with parallel wiring) V2L outlets serving the load together."""
    pv_load = min(pv, load)
    charge, discharge = _battery(shelter, level, pv - pv_load, load - pv_load, h)
    need = load - pv_load - discharge
    v2h = [c for c in cars if c.car.uses_v2h(shelter)]
    gives = _give_in_turn(shelter, v2h, need, shelter.chargers, h)
    need -= sum(gives.values())
    if shelter.v2l_parallel:
        v2l = [c for c in cars if not c.car.uses_v2h(shelter)]
        more = _give_in_turn(shelter, v2l, need, len(v2l), h)
        gives.update(more)
        need -= sum(more.values())
    return SlotOutcome(load - need, pv_load + charge, charge, discharge, gives)


def dispatch_slot(
    shelter: OutageShelter, load: float, pv: float, level: float, cars: list[SlotCar], h: float
) -> SlotOutcome:
    """The rule's outcome for one slot: `load` and usable `pv` in kW, battery at `level` kWh, cars present."""
    bus = building_supply(shelter, load, pv, level, cars, h)
    if shelter.v2l_parallel or bus.served >= load - 1e-9:
        return bus
    v2l = [c for c in cars if not c.car.uses_v2h(shelter)]
    one = _give_in_turn(shelter, v2l, load, 1, h)
    alone = sum(one.values())
    if alone <= bus.served + 1e-9:
        return bus
    charge, _ = _battery(shelter, level, pv, 0.0, h)
    return SlotOutcome(alone, charge, charge, 0.0, one)
