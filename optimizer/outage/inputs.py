"""The frozen input of outage planning: shelters, their series, batteries, the EV fleet and travel.

Units: kW (power, per 30-min slot average), kWh (energy), km, h. Slot k covers
[start + k·slot_hours, start + (k+1)·slot_hours); `start` is tz-aware. Series are numpy float arrays of
length n_slots. Site index convention: sites 0..S-1 are the shelters (same order as `shelters`), sites
S.. are the other places cars start from (their home facilities).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

MAX_SLOTS = 144


class OutageInputError(ValueError):
    """The outage input is inconsistent; the message names the field and the fix."""


@dataclass(frozen=True)
class StationaryBattery:
    """A shelter's stationary battery(ies) aggregated: energies in kWh, powers in kW, fractions 0..1."""

    capacity_kwh: float
    charge_kw: float
    discharge_kw: float
    charge_efficiency: float = 0.95
    discharge_efficiency: float = 0.95
    soc_start: float = 0.5
    soc_min: float = 0.1
    soc_max: float = 0.95

    @property
    def start_kwh(self) -> float:
        """Stored energy at the outage start in kWh."""
        return self.soc_start * self.capacity_kwh

    @property
    def floor_kwh(self) -> float:
        """Lowest stored energy in kWh (the start energy if that is already below soc_min)."""
        return min(self.soc_min * self.capacity_kwh, self.start_kwh)

    @property
    def ceiling_kwh(self) -> float:
        """Highest stored energy in kWh (the start energy if that is already above soc_max)."""
        return max(self.soc_max * self.capacity_kwh, self.start_kwh)


@dataclass(frozen=True)
class OutageShelter:
    """An islanded shelter: critical load and PV in kW per slot, priority weight per kWh served.

    Charger and outlet physics: `v2h_chargers` bidirectional chargers (used only if bidirectional_charger),
    each serving one car at a time at most `v2h_charger_kw` (None = the car's own V2H rating). A car's V2L
    outlet feeds the critical circuit on its own: unless `v2l_parallel` (the site's wiring lets outlets be
    summed with each other and with the building supply), at most one V2L outlet serves in a slot and then
    PV, battery and V2H serve nothing in that slot. PV serves the islanded shelter only with a battery or
    another grid-forming source (`grid_forming`); otherwise at most `pv_outlet_kw`, the PCS's
    self-sustained outlet (自立運転出力, kW; 0 = none). Service tiers: `tier1_kw` of critical_kw is tier 1;
    `comfort_kw` (kW per slot, None = none) is tier 3, a load on top of critical_kw served after tiers 1 and 2
    and never at their expense (the MILPs: a last lexicographic stage; the rule: only PV that would be
    curtailed, as in the survival analysis); it is on the building circuit, so a lone V2L outlet does not feed it.
    """

    id: str
    critical_kw: np.ndarray
    pv_kw: np.ndarray
    priority: float = 1.0
    battery: StationaryBattery | None = None
    bidirectional_charger: bool = False
    v2h_chargers: int = 1
    v2h_charger_kw: float | None = None
    v2l_parallel: bool = False
    grid_forming: bool = False
    pv_outlet_kw: float = 0.0
    tier1_kw: np.ndarray | None = None
    comfort_kw: np.ndarray | None = None

    @property
    def tier1(self) -> np.ndarray:
        """Tier-1 load in kW per slot (lighting, communications, medical devices, phone charging), served
        first; the rest of critical_kw is tier 2. None = all of the critical load is tier 1."""
        if self.tier1_kw is None:
            return self.critical_kw
        return np.asarray(np.minimum(self.tier1_kw, self.critical_kw), dtype=float)

    @property
    def comfort(self) -> np.ndarray:
        """Comfort-tier (tier 3) load in kW per slot, zeros if none."""
        if self.comfort_kw is None:
            return np.zeros_like(self.critical_kw)
        return np.asarray(self.comfort_kw, dtype=float)

    @property
    def chargers(self) -> int:
        """Number of V2H chargers usable in the outage (0 without a bidirectional charger)."""
        return self.v2h_chargers if self.bidirectional_charger else 0

    @property
    def usable_pv_kw(self) -> np.ndarray:
        """PV in kW per slot the islanded shelter can use (limited to the self-sustained outlet without a
        battery or grid-forming source)."""
        if self.battery is not None or self.grid_forming:
            return self.pv_kw
        return np.asarray(np.minimum(self.pv_kw, self.pv_outlet_kw), dtype=float)


@dataclass(frozen=True)
class ChargePoint:
    """A place with power during the outage where cars recharge (the waste-to-energy plant, a facility
    outside the outage area): `site` indexes site_ids (not a shelter), `chargers` cars at a time (per
    relocation block), each at most `charger_kw` kW (AC, into the car)."""

    id: str
    site: int
    chargers: int
    charger_kw: float


@dataclass(frozen=True)
class OutageEV:
    """A car usable in the outage. Energies kWh, powers kW, SoC fractions 0..1.

    At a shelter with a bidirectional charger the car delivers at most v2h_kw (and at most the charger's
    rating), elsewhere at most v2l_kw (its AC outlet). `site` is the index of the site where it stands at the
    outage start; it cannot leave before slot `available_from_slot` (official use, a booking, finding a
    driver, a dealer car on its way), so it delivers nowhere before that slot plus the travel time.

    A PHEV's engine (`engine_kw` > 0) adds up to engine_kw kW at the same outlet (the car's total stays within
    power_at) from `fuel_kwh`, the electric kWh at the outlet its fuel makes (tank L x level x kWh/L); the
    battery alone pays for driving.
    """

    id: str
    site: int
    capacity_kwh: float
    soc_start: float
    soc_floor: float
    v2h_kw: float
    v2l_kw: float
    consumption_kwh_per_km: float
    discharge_efficiency: float = 0.92
    available: bool = True
    available_from_slot: int = 0
    charge_kw: float = 6.0
    charge_efficiency: float = 0.92
    engine_kw: float = 0.0
    fuel_kwh: float = 0.0

    @property
    def engine_kwh(self) -> float:
        """Electric kWh the engine can make over the outage (0 without an engine or fuel)."""
        return self.fuel_kwh if self.engine_kw > 0 else 0.0

    @property
    def ceiling_kwh(self) -> float:
        """Most it can store after recharging, kWh (its capacity, or the start energy if higher)."""
        return max(self.capacity_kwh, self.start_kwh)

    @property
    def start_kwh(self) -> float:
        """Stored energy at the outage start in kWh."""
        return self.soc_start * self.capacity_kwh

    @property
    def floor_kwh(self) -> float:
        """Lowest stored energy in kWh; a car at or below it delivers nothing (start energy if lower)."""
        return min(self.soc_floor * self.capacity_kwh, self.start_kwh)

    def uses_v2h(self, shelter: OutageShelter) -> bool:
        """True if the car discharges through one of the shelter's V2H chargers (else its V2L outlet)."""
        return shelter.chargers > 0 and self.v2h_kw > 0

    def power_at(self, shelter: OutageShelter) -> float:
        """Highest discharge in kW (AC, delivered) at that shelter."""
        if self.uses_v2h(shelter):
            limit = shelter.v2h_charger_kw
            return self.v2h_kw if limit is None else min(self.v2h_kw, limit)
        return self.v2l_kw


@dataclass(frozen=True)
class OutageInput:
    """Everything the outage planners need; validated by `check_outage_input`.

    distance_km[i, j] is the road distance between sites i and j; travel_slots[i, j] the whole slots a
    move takes (ceil of hours / slot_hours; 0 only for i == j). move_penalty: objective kWh-equivalent per
    deployment or relocation. early_weight: a kWh served in slot t counts 1 + early_weight·(1 - t/n_slots):
    energy served sooner is worth a little more (the outage may end early), which spreads cars over dark
    shelters instead of queueing them at one; 0.1 outweighs the ~0.1 kWh travel-energy differences between
    nearby shelters. Served kWh are reported unweighted.
    """

    start: pd.Timestamp
    shelters: tuple[OutageShelter, ...]
    evs: tuple[OutageEV, ...]
    site_ids: tuple[str, ...]
    distance_km: np.ndarray
    travel_slots: np.ndarray
    n_slots: int = MAX_SLOTS
    slot_hours: float = 0.5
    block_slots: int = 8
    move_penalty: float = 0.05
    early_weight: float = 0.1
    candidate_shelters: int = 21
    charge_points: tuple[ChargePoint, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    def charge_point_at(self, site: int) -> ChargePoint | None:
        """The charge point at a site index, or None."""
        return next((c for c in self.charge_points if c.site == site), None)

    def site_name(self, site: int) -> str:
        """Id of a site index (shelter, charge point or start site)."""
        return self.site_ids[site]

    @property
    def index(self) -> pd.DatetimeIndex:
        """Slot starts of the outage (tz-aware)."""
        return pd.date_range(self.start, periods=self.n_slots, freq=pd.Timedelta(hours=self.slot_hours))

    @property
    def n_blocks(self) -> int:
        """Number of relocation blocks (the last may be shorter)."""
        return -(-self.n_slots // self.block_slots)

    @property
    def usable_evs(self) -> tuple[OutageEV, ...]:
        """Cars that are available and above their floor or with engine fuel (a PHEV)."""
        return tuple(e for e in self.evs if e.available and (e.start_kwh > e.floor_kwh + 1e-9 or e.engine_kwh > 1e-9))

    @property
    def slot_weights(self) -> np.ndarray:
        """Objective weight of a kWh served in each slot (from 1 + early_weight down towards 1)."""
        return 1.0 + self.early_weight * (1.0 - np.arange(self.n_slots) / self.n_slots)

    def block_of(self, slot: int) -> int:
        """Relocation block containing a slot."""
        return slot // self.block_slots

    def candidates(self, ev: OutageEV) -> list[int]:
        """Shelter indices the car may serve: the `candidate_shelters` nearest to where it starts, among those
        it reaches within one block (a move must end inside the block it starts; longer trips are not planned)."""
        reach = [s for s in range(len(self.shelters)) if self.travel_slots[ev.site, s] <= self.block_slots]
        order = sorted(reach, key=lambda s: (self.travel_slots[ev.site, s], s))
        return order[: self.candidate_shelters]

    def first_block(self, ev: OutageEV, s: int) -> int:
        """First block in which the car, leaving its start site at max(block start, available_from_slot),
        arrives at shelter s by the block's end (n_blocks if never)."""
        steps = int(self.travel_slots[ev.site, s])
        b = ev.available_from_slot // self.block_slots
        if max(b * self.block_slots, ev.available_from_slot) + steps > (b + 1) * self.block_slots:
            b += 1
        return min(b, self.n_blocks)

    def reachable(self, a: int, b: int) -> bool:
        """True if a move from site a to site b fits in one relocation block."""
        return bool(self.travel_slots[a, b] <= self.block_slots)

    def critical_matrix(self) -> np.ndarray:
        """Critical load in kW, shape (n_slots, shelters)."""
        return np.column_stack([s.critical_kw for s in self.shelters])

    def tier1_matrix(self) -> np.ndarray:
        """Tier-1 load in kW, shape (n_slots, shelters)."""
        return np.column_stack([s.tier1 for s in self.shelters])

    def comfort_matrix(self) -> np.ndarray:
        """Comfort-tier (tier 3) load in kW, shape (n_slots, shelters), zeros where a shelter states none."""
        return np.column_stack([s.comfort for s in self.shelters])

    @property
    def has_comfort(self) -> bool:
        """True if any shelter has a comfort tier to serve."""
        return bool(self.comfort_matrix().sum() > 0)

    def pv_matrix(self) -> np.ndarray:
        """PV usable in the islanded shelter in kW, shape (n_slots, shelters) (see OutageShelter.usable_pv_kw)."""
        return np.column_stack([s.usable_pv_kw for s in self.shelters])


def check_outage_input(data: OutageInput) -> None:  # noqa: PLR0912 - one branch per checked field
    """Raise OutageInputError naming the field and the fix if the input is inconsistent."""
    if data.start.tzinfo is None:
        raise OutageInputError("start: the outage start has no timezone; give e.g. '2024-09-01T14:00+09:00'")
    if not 1 <= data.n_slots <= MAX_SLOTS:
        raise OutageInputError(f"n_slots: {data.n_slots} is outside 1..{MAX_SLOTS} (72 h of 30-min slots)")
    if not 1 <= data.block_slots <= data.n_slots:
        raise OutageInputError(f"block_slots: {data.block_slots} must be in 1..n_slots (4..8 = 2..4 h)")
    if not 0 <= data.early_weight <= 1:
        raise OutageInputError(f"early_weight: {data.early_weight} must be in 0..1 (0 = all slots equal)")
    if not data.shelters:
        raise OutageInputError("shelters: no islanded shelter given; add at least one")
    n_sites = len(data.site_ids)
    for name, matrix in (("distance_km", data.distance_km), ("travel_slots", data.travel_slots)):
        if matrix.shape != (n_sites, n_sites):
            raise OutageInputError(f"{name}: shape {matrix.shape} must be ({n_sites}, {n_sites}) for site_ids")
    for s in data.shelters:
        tier1 = () if s.tier1_kw is None else (("tier1_kw", s.tier1_kw),)
        comfort = () if s.comfort_kw is None else (("comfort_kw", s.comfort_kw),)
        for name, series in (("critical_kw", s.critical_kw), ("pv_kw", s.pv_kw), *tier1, *comfort):
            if series.shape != (data.n_slots,):
                raise OutageInputError(f"shelter {s.id}: {name} has {series.shape} values, need {data.n_slots}")
            if not np.all(np.isfinite(series)) or np.any(series < 0):
                raise OutageInputError(f"shelter {s.id}: {name} must be finite and >= 0 kW")
    for s in data.shelters:
        if s.v2h_chargers < 0 or (s.v2h_charger_kw is not None and s.v2h_charger_kw <= 0):
            raise OutageInputError(f"shelter {s.id}: v2h_chargers must be >= 0 and v2h_charger_kw > 0 kW")
        if s.pv_outlet_kw < 0:
            raise OutageInputError(f"shelter {s.id}: pv_outlet_kw must be >= 0 kW (0 = no self-sustained outlet)")
    for c in data.charge_points:
        if not len(data.shelters) <= c.site < n_sites or c.chargers < 1 or c.charger_kw <= 0:
            raise OutageInputError(
                f"charge point {c.id}: site must index a non-shelter site of site_ids, chargers >= 1, charger_kw > 0"
            )
    for e in data.evs:
        if not 0 <= e.available_from_slot <= data.n_slots:
            raise OutageInputError(f"ev {e.id}: available_from_slot {e.available_from_slot} is outside 0..n_slots")
        if not 0 <= e.site < n_sites:
            raise OutageInputError(f"ev {e.id}: site {e.site} is not an index of site_ids")
        if e.v2h_kw <= 0 and e.v2l_kw <= 0:
            raise OutageInputError(f"ev {e.id}: needs v2h_kw or v2l_kw > 0 to supply a shelter")
        if e.engine_kw < 0 or e.fuel_kwh < 0:
            raise OutageInputError(f"ev {e.id}: engine_kw and fuel_kwh must be >= 0 (0 = no engine or no fuel)")
