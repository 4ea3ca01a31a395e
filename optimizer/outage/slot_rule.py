"""The load-following rule for one shelter and one 30-min slot, shared by the rule-based simulation and the
greedy planner, with the charger and outlet physics of `OutageShelter`.

Order: usable PV to the load (surplus charges the battery, the rest is curtailed), then the battery, then
the cars on V2H chargers (at most `shelter.chargers` at a time, in the order given, skipping cars at their
floor: cars take turns on a charger as each empties). V2L outlets: summed with the building supply only
with `v2l_parallel` wiring; otherwise one outlet feeds the critical circuit alone, chosen when it serves
more than the building supply (PV then only charges the battery). A PHEV gives from its battery first,
then its engine adds up to engine_kw (within the outlet's kW) from its fuel. The comfort tier (tier 3) is
served only in a slot whose critical load is fully served by the building supply, from the PV the battery
cannot take (it would be curtailed): never from storage or the cars, so never at the expense of tiers 1 and
2 later (the survival analysis's rule). Powers kW, energies kWh.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from optimizer.outage.inputs import OutageEV, OutageShelter


@dataclass
class SlotCar:
    """A car present (arrived) at the shelter in this slot: its index, itself, its stored kWh and the electric
    kWh its engine can still make from its fuel."""

    index: int
    car: OutageEV
    kwh: float
    fuel: float = 0.0


@dataclass
class SlotOutcome:
    """What one slot at one shelter does: kW of critical load served, PV used, battery charge/discharge, kW
    per car index (total delivered) and of it kW from the engine, kW of the comfort tier served."""

    served: float = 0.0
    pv_used: float = 0.0
    charge: float = 0.0
    discharge: float = 0.0
    gives: dict[int, float] = field(default_factory=dict)
    engine: dict[int, float] = field(default_factory=dict)
    comfort: float = 0.0


def _car_kw(shelter: OutageShelter, c: SlotCar, need: float, h: float) -> tuple[float, float]:
    """(total kW, of it engine kW) the car can give towards `need` in the slot: its battery (rating and energy
    above its floor) first, then its engine (engine_kw, the rest of the rating, its fuel)."""
    power = c.car.power_at(shelter)
    room = max(c.kwh - c.car.floor_kwh, 0.0) * c.car.discharge_efficiency / h
    battery = max(min(need, power, room), 0.0)
    if c.car.engine_kw <= 0:
        return battery, 0.0
    engine = max(min(need - battery, power - battery, c.car.engine_kw, c.fuel / h), 0.0)
    return battery + engine, engine


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


def _give_in_turn(
    shelter: OutageShelter, cars: list[SlotCar], need: float, limit: int, h: float
) -> tuple[dict[int, float], dict[int, float]]:
    """(kW, engine kW) per car index from up to `limit` cars at a time (cars at their floor and out of fuel
    leave the outlet)."""
    gives: dict[int, float] = {}
    engine: dict[int, float] = {}
    for c in cars:
        if need <= 1e-12 or len(gives) >= limit:
            break
        give, fuel = _car_kw(shelter, c, need, h)
        if give > 1e-12:
            gives[c.index] = give
            if fuel > 0:
                engine[c.index] = fuel
            need -= give
    return gives, engine


def building_supply(
    shelter: OutageShelter, load: float, pv: float, level: float, cars: list[SlotCar], h: float
) -> SlotOutcome:
    """PV, battery, V2H cars and (with parallel wiring) V2L outlets serving the load together."""
    pv_load = min(pv, load)
    charge, discharge = _battery(shelter, level, pv - pv_load, load - pv_load, h)
    need = load - pv_load - discharge
    v2h = [c for c in cars if c.car.uses_v2h(shelter)]
    gives, engine = _give_in_turn(shelter, v2h, need, shelter.chargers, h)
    need -= sum(gives.values())
    if shelter.v2l_parallel:
        v2l = [c for c in cars if not c.car.uses_v2h(shelter)]
        more, more_engine = _give_in_turn(shelter, v2l, need, len(v2l), h)
        gives.update(more)
        engine.update(more_engine)
        need -= sum(more.values())
    return SlotOutcome(load - need, pv_load + charge, charge, discharge, gives, engine)


def with_comfort(out: SlotOutcome, load: float, pv: float, comfort: float) -> SlotOutcome:
    """The outcome with the comfort tier served from spare PV (what neither the load nor the battery takes),
    only if the critical `load` is fully served (kW)."""
    if comfort <= 0 or out.served < load - 1e-9:
        return out
    out.comfort = max(min(comfort, pv - out.pv_used), 0.0)
    out.pv_used += out.comfort
    return out


def dispatch_slot(
    shelter: OutageShelter, load: float, pv: float, level: float, cars: list[SlotCar], h: float, comfort: float = 0.0
) -> SlotOutcome:
    """The rule's outcome for one slot: `load` (critical) and usable `pv` in kW, battery at `level` kWh, cars
    present, `comfort` kW of tier 3 (served only from spare PV, and not while a lone V2L outlet feeds)."""
    bus = building_supply(shelter, load, pv, level, cars, h)
    if shelter.v2l_parallel or bus.served >= load - 1e-9:
        return with_comfort(bus, load, pv, comfort)
    v2l = [c for c in cars if not c.car.uses_v2h(shelter)]
    one, engine = _give_in_turn(shelter, v2l, load, 1, h)
    alone = sum(one.values())
    if alone <= bus.served + 1e-9:
        return bus
    charge, _ = _battery(shelter, level, pv, 0.0, h)
    return SlotOutcome(alone, charge, charge, 0.0, one, engine)
