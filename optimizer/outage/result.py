"""The typed result of outage planning: dispatch arrays, the EV itinerary and summary tables.

Arrays are per slot (30 min, named by start) in kW, shape (n_slots, shelters) unless stated; energies in
kWh. `assignment[v, b]` is the shelter index car v is stationed at in relocation block b (-1 = not
deployed, still at its start site).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from optimizer.outage.inputs import OutageEV, OutageInput

SHED_TOLERANCE_KW = 1e-4


@dataclass(frozen=True)
class Move:
    """One relocation: car from site to shelter, departing and arriving (tz-aware), energy in kWh, SoC on
    arrival (fraction), the outlet it feeds through (V2H charger or V2L; 'charge' at a charge point, where
    to_shelter names the charge point's site), when it leaves and when it is empty."""

    car: str
    from_site: str
    to_shelter: str
    depart: pd.Timestamp
    arrive: pd.Timestamp
    travel_kwh: float
    delivered_kwh: float
    arrival_soc: float = 0.0
    outlet: str = "V2L"
    until: pd.Timestamp | None = None
    empty_at: pd.Timestamp | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (ISO timestamps; until = end of the stay, empty_at = when the car reaches its floor
        there, None if it does not)."""
        return {
            "car": self.car,
            "from": self.from_site,
            "to": self.to_shelter,
            "depart": self.depart.isoformat(),
            "arrive": self.arrive.isoformat(),
            "travel_kwh": round(self.travel_kwh, 4),
            "energy_delivered_kwh": round(self.delivered_kwh, 4),
            "arrival_soc": round(self.arrival_soc, 4),
            "outlet": self.outlet,
            "until": None if self.until is None else self.until.isoformat(),
            "empty_at": None if self.empty_at is None else self.empty_at.isoformat(),
        }


@dataclass(frozen=True)
class OutagePlan:
    """Dispatch and relocations for one outage, with how it was found.

    objective: priority- and slot-weighted served kWh (see OutageInput.early_weight) minus move_penalty per
    move. bound: a proven upper bound on the objective (the tighter of the MILP dual bound, `solver_bound`, and
    the perfect-relocation bound) or None; gap = (bound - objective) / |bound|. timings: seconds per step
    (greedy, build, compile = Pyomo to matrices, handover = matrices into HiGHS and the solution back, highs,
    extract, bound). stages: per lexicographic stage the value reached and its proven bound (full: shelters with
    tier 1 fully served; tier1: kWh; final: the objective; comfort: comfort-tier kWh, solved last with the
    others kept); the two-phase planner gives the plan's own values with bounds over every shelter
    (fleet_bound.py), the exact MILP HiGHS's over its candidate stations. engine_kw: kW of each car's delivery
    (ev_kw) made by its engine (a PHEV), shape (cars, slots); comfort_kw: comfort tier (tier 3) served, kW
    (slots, shelters); None = none.
    """

    data: OutageInput
    method: str
    status: str
    assignment: np.ndarray
    served_kw: np.ndarray
    pv_used_kw: np.ndarray
    battery_charge_kw: np.ndarray
    battery_discharge_kw: np.ndarray
    battery_kwh: np.ndarray
    ev_kw: np.ndarray
    ev_kwh: np.ndarray
    objective: float
    bound: float | None = None
    gap: float | None = None
    solve_seconds: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)
    timings: dict[str, float] = field(default_factory=dict)
    solver_bound: float | None = None
    stages: dict[str, tuple[float, float | None]] = field(default_factory=dict)
    engine_kw: np.ndarray | None = None
    comfort_kw: np.ndarray | None = None

    @property
    def comfort_served_kw(self) -> np.ndarray:
        """Comfort tier (tier 3) served in kW (slots, shelters), zeros if none."""
        if self.comfort_kw is None:
            return np.zeros_like(self.served_kw)
        return np.asarray(self.comfort_kw, dtype=float)

    @property
    def engine_kwh(self) -> np.ndarray:
        """Electric kWh each car's engine delivered over the outage (cars,), zeros without an engine."""
        if self.engine_kw is None:
            return np.zeros(len(self.data.usable_evs))
        return np.asarray(self.engine_kw.sum(axis=1) * self.h, dtype=float)

    @property
    def h(self) -> float:
        """Slot length in hours."""
        return self.data.slot_hours

    @property
    def shed_kw(self) -> np.ndarray:
        """Critical load not served, kW per slot and shelter."""
        return np.asarray(np.maximum(self.data.critical_matrix() - self.served_kw, 0.0), dtype=float)

    @property
    def ev_delivered_kw(self) -> np.ndarray:
        """EV power delivered to each shelter, kW (slots, shelters)."""
        return np.asarray(self.ev_kw.sum(axis=0), dtype=float)

    @property
    def served_kwh(self) -> float:
        """Critical energy served, kWh (unweighted)."""
        return float(self.served_kw.sum() * self.h)

    @property
    def weighted_served_kwh(self) -> float:
        """Priority-weighted critical energy served, kWh."""
        prio = np.array([s.priority for s in self.data.shelters])
        return float((self.served_kw * prio).sum() * self.h)

    @property
    def value(self) -> float:
        """Priority- and slot-weighted served kWh (the objective before move penalties)."""
        prio = np.array([s.priority for s in self.data.shelters])
        return float((self.served_kw * prio).sum(axis=1) @ self.data.slot_weights * self.h)

    @property
    def tier1_served_kw(self) -> np.ndarray:
        """Tier-1 load served in kW (slots, shelters): the served load counts to tier 1 first."""
        return np.asarray(np.minimum(self.served_kw, self.data.tier1_matrix()), dtype=float)

    @property
    def tier1_full(self) -> np.ndarray:
        """Per shelter: True if its tier 1 is fully served in every slot of the outage."""
        short = self.data.tier1_matrix() - self.tier1_served_kw > SHED_TOLERANCE_KW
        return np.asarray(~short.any(axis=0), dtype=bool)

    @property
    def tier1_kwh(self) -> float:
        """Tier-1 energy served, kWh."""
        return float(self.tier1_served_kw.sum() * self.h)

    @property
    def score(self) -> tuple[int, float, float]:
        """What plans are ranked by, in order: shelters with tier 1 fully served for the whole outage, tier-1
        kWh served, the objective (slot-weighted served kWh less move penalties: tier 2 and timing)."""
        return int(self.tier1_full.sum()), round(self.tier1_kwh, 6), self.objective

    @property
    def moves(self) -> list[Move]:
        """The EV itinerary, ordered by departure."""
        return sorted(itinerary(self), key=lambda m: (m.depart, m.car))

    def shelter_table(self) -> pd.DataFrame:
        """Per shelter: critical kWh, served kWh, shed kWh, hours fully served, first dark slot, energy by source;
        per tier served kWh and hours (a slot counts only if the tier, and every tier before it, is fully
        served in it; comfort_hours is 0 where a shelter states no comfort tier) and whether tier 1 is fully
        served for the whole outage."""
        shed = self.shed_kw > SHED_TOLERANCE_KW
        comfort, demand = self.comfort_served_kw, self.data.comfort_matrix()
        comfort_ok = ~shed & (demand - comfort <= SHED_TOLERANCE_KW) & (demand.sum(axis=0) > 0)
        t1 = self.tier1_served_kw
        t1_short = self.data.tier1_matrix() - t1
        rows = []
        for j, s in enumerate(self.data.shelters):
            dark = np.flatnonzero(shed[:, j])
            rows.append(
                {
                    "shelter": s.id,
                    "priority": s.priority,
                    "critical_kwh": float(s.critical_kw.sum() * self.h),
                    "served_kwh": float(self.served_kw[:, j].sum() * self.h),
                    "shed_kwh": float(self.shed_kw[:, j].sum() * self.h),
                    "hours_served": float((~shed[:, j]).sum() * self.h),
                    "hours_until_dark": float((dark[0] if dark.size else self.data.n_slots) * self.h),
                    "dark_at": self.data.index[dark[0]].isoformat() if dark.size else None,
                    "pv_kwh": float(self.pv_used_kw[:, j].sum() * self.h),
                    "battery_kwh": float(
                        (self.battery_discharge_kw[:, j] - self.battery_charge_kw[:, j]).sum() * self.h
                    ),
                    "ev_kwh": float(self.ev_delivered_kw[:, j].sum() * self.h),
                    "tier1_full": bool(self.tier1_full[j]),
                    "tier1_kwh": float(t1[:, j].sum() * self.h),
                    "tier1_hours": float((t1_short[:, j] <= SHED_TOLERANCE_KW).sum() * self.h),
                    "tier2_kwh": float((self.served_kw[:, j] - t1[:, j]).sum() * self.h),
                    "tier2_hours": float((~shed[:, j]).sum() * self.h),
                    "comfort_kwh": float(comfort[:, j].sum() * self.h),
                    "comfort_hours": float(comfort_ok[:, j].sum() * self.h),
                }
            )
        return pd.DataFrame(rows).set_index("shelter")

    def itinerary_table(self) -> pd.DataFrame:
        """EV itinerary: car, from, to, depart, arrive, travel_kwh, energy_delivered_kwh, arrival_soc, outlet,
        until, empty_at."""
        columns = [
            "car",
            "from",
            "to",
            "depart",
            "arrive",
            "travel_kwh",
            "energy_delivered_kwh",
            "arrival_soc",
            "outlet",
            "until",
            "empty_at",
        ]
        return pd.DataFrame([m.to_dict() for m in self.moves], columns=columns)

    def car_table(self) -> pd.DataFrame:
        """Per car and slot: where it is, kWh and SoC, kW delivered (see `car_table`)."""
        return car_table(self)

    def shed_table(self) -> pd.DataFrame:
        """Shed critical load in kW per slot (rows, tz-aware) and shelter (columns)."""
        return pd.DataFrame(self.shed_kw, index=self.data.index, columns=[s.id for s in self.data.shelters])

    def stage_bound(self, stage: str) -> float | None:
        """The proven upper bound of a lexicographic stage ('full': shelters, 'tier1': kWh), None if none."""
        return self.stages.get(stage, (0.0, None))[1]

    def stage_gap(self, stage: str) -> float | None:
        """(bound - value) / bound of a stage (fraction), None without a bound; 'tier1' uses the plan's tier-1 kWh."""
        bound = self.stage_bound(stage)
        if bound is None or abs(bound) < 1e-9:
            return None
        value = self.tier1_kwh if stage == "tier1" else self.stages[stage][0]
        return max((bound - value) / abs(bound), 0.0)

    def summary(self) -> dict[str, Any]:
        """Headline figures (JSON-ready)."""
        return {
            "method": self.method,
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "solver_bound": self.solver_bound,
            "gap": self.gap,
            "stages": {k: {"value": v, "bound": b} for k, (v, b) in self.stages.items()},
            "full_bound": self.stage_bound("full"),
            "tier1_bound_kwh": self.stage_bound("tier1"),
            "tier1_gap": self.stage_gap("tier1"),
            "solve_seconds": self.solve_seconds,
            "timings_s": dict(self.timings),
            "served_kwh": self.served_kwh,
            "shelters_tier1_full": int(self.tier1_full.sum()),
            "tier1_kwh": self.tier1_kwh,
            "tier1_demand_kwh": float(self.data.tier1_matrix().sum() * self.h),
            "tier2_kwh": self.served_kwh - self.tier1_kwh,
            "weighted_served_kwh": self.weighted_served_kwh,
            "comfort_kwh": float(self.comfort_served_kw.sum() * self.h),
            "comfort_demand_kwh": float(self.data.comfort_matrix().sum() * self.h),
            "engine_kwh": float(self.engine_kwh.sum()),
            "critical_kwh": float(self.data.critical_matrix().sum() * self.h),
            "moves": len(self.moves),
            "start": self.data.start.isoformat(),
            "hours": self.data.n_slots * self.h,
            "notes": list(self.notes),
        }

    def to_dict(self) -> dict[str, Any]:
        """Summary, shelter table, itinerary and shed series as plain JSON-ready data."""
        shelters = self.shelter_table().reset_index().to_dict(orient="records")
        shed = self.shed_table()
        return {
            "summary": self.summary(),
            "shelters": shelters,
            "itinerary": [m.to_dict() for m in self.moves],
            "cars": self.car_table().to_dict(orient="records"),
            "shed_kw": {
                "index": [t.isoformat() for t in shed.index],
                **{c: [round(float(v), 4) for v in shed[c]] for c in shed.columns},
            },
        }

    def to_json(self) -> str:
        """`to_dict` as a JSON string."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1)


def itinerary(plan: OutagePlan) -> list[Move]:
    """Moves implied by the block assignment, with travel energy and energy delivered during each stay.

    A car first deployed at the shelter where it already stands appears once with from == to, no travel."""
    data, moves = plan.data, []
    evs = data.usable_evs
    for v, ev in enumerate(evs):
        site, deployed = ev.site, False
        for b in range(data.n_blocks):
            target = int(plan.assignment[v, b])
            if target < 0 or (target == site and deployed):
                continue
            depart_slot = b * data.block_slots if deployed else max(b * data.block_slots, ev.available_from_slot)
            deployed = True
            steps = int(data.travel_slots[site, target])
            stay_to = _stay_end(plan.assignment[v], b, target) * data.block_slots
            end = min(stay_to, data.n_slots)
            at_shelter = target < len(data.shelters)
            delivered = float(plan.ev_kw[v, depart_slot:end, target].sum() * data.slot_hours) if at_shelter else 0.0
            arrive_slot = min(depart_slot + steps, data.n_slots)
            empty = np.flatnonzero(plan.ev_kwh[v, arrive_slot + 1 : end + 1] <= ev.floor_kwh + 1e-6)
            moves.append(
                Move(
                    car=ev.id,
                    from_site=data.site_ids[site],
                    to_shelter=data.site_ids[target],
                    depart=data.index[depart_slot],
                    arrive=data.index[depart_slot] + pd.Timedelta(hours=steps * plan.h),
                    travel_kwh=float(data.distance_km[site, target] * ev.consumption_kwh_per_km),
                    delivered_kwh=delivered,
                    arrival_soc=float(plan.ev_kwh[v, arrive_slot] / ev.capacity_kwh),
                    outlet=_outlet(data, ev, target),
                    until=_stamp(data, end),
                    empty_at=_stamp(data, arrive_slot + 1 + int(empty[0])) if empty.size else None,
                )
            )
            site = target
    return moves


def _outlet(data: OutageInput, ev: OutageEV, target: int) -> str:
    """'V2H' or 'V2L' at a shelter, 'charge' at a charge point."""
    if target >= len(data.shelters):
        return "charge"
    return "V2H" if ev.uses_v2h(data.shelters[target]) else "V2L"


def _stamp(data: OutageInput, slot: int) -> pd.Timestamp:
    """Start of a slot (slot n_slots = the end of the outage), tz-aware."""
    return pd.Timestamp(data.start + pd.Timedelta(hours=slot * data.slot_hours))


def car_table(plan: OutagePlan) -> pd.DataFrame:
    """Per car and slot (slot start, tz-aware): where it is (site id, or 'to <shelter>' on the road, or
    'busy' before it is free), stored kWh and SoC (fraction) at the slot start, kW it delivers."""
    from optimizer.outage.arrivals import arrival_slots

    data = plan.data
    first = arrival_slots(data, plan.assignment)
    slot_starts = [t.isoformat() for t in data.index]  # once: data.index builds a date_range on each call
    rows = []
    for v, ev in enumerate(data.usable_evs):
        site = data.site_ids[ev.site]
        for t in range(data.n_slots):
            b = data.block_of(t)
            target = int(plan.assignment[v, b])
            if target >= 0 and t >= first[v, b]:
                site = data.site_ids[target]
            where = site if target < 0 or t >= first[v, b] else f"to {data.site_ids[target]}"
            if t < ev.available_from_slot and where == data.site_ids[ev.site]:
                where = "busy"
            rows.append(
                {
                    "car": ev.id,
                    "slot": slot_starts[t],
                    "where": where,
                    "kwh": round(float(plan.ev_kwh[v, t]), 4),
                    "soc": round(float(plan.ev_kwh[v, t] / ev.capacity_kwh), 4),
                    "delivered_kw": round(float(plan.ev_kw[v, t].sum()), 4),
                }
            )
    return pd.DataFrame(rows, columns=["car", "slot", "where", "kwh", "soc", "delivered_kw"])


def _stay_end(row: np.ndarray, b: int, target: int) -> int:
    """First block after b where the car is no longer at target."""
    end = b
    while end < len(row) and int(row[end]) == target:
        end += 1
    return end
