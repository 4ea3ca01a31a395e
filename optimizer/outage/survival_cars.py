"""The cars' part of one slot of the survival simulation, vectorised over outage starts, with the plan's
charger and outlet physics (optimizer/outage/slot_rule.py, the same order and limits):

- after PV and the battery, cars on V2H chargers give in turn, at most `chargers` of them at a time, in
  allotment order, a car at its floor leaving the charger;
- V2L outlets are summed with the building supply only where the wiring allows (`v2l_parallel`); otherwise
  one outlet feeds the critical circuit alone, chosen when it serves more than PV + battery + V2H, and PV
  then only charges the battery;
- a PHEV gives from its battery first, then its engine adds up to engine_kw (within the outlet's kW) from
  the fuel's electric kWh.

Arrays are (starts,) per car; powers kW, energies kWh, slot of `slot_hours`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from optimizer.outage.survival import CarSupport, SurvivalInput

EPS = 1e-12
NO_LIMIT = 10**6


@dataclass
class FleetState:
    """Stored kWh (above the floor) and fuel kWh per car and start, and the shelters' charger/outlet rules."""

    cars: tuple[CarSupport, ...]
    energy: list[np.ndarray]
    fuel: list[np.ndarray]
    limits: list[int]
    parallel: list[bool]
    h: float
    delays: list[np.ndarray | None]
    first: list[int]
    last: list[int]
    drained: list[bool]
    k: int = 0

    @classmethod
    def of(cls, data: SurvivalInput, n: int) -> FleetState:
        """Every car full of its usable energy and fuel at each of the n starts."""
        n_s = len(data.shelter_ids)
        limits = list(data.chargers) if data.chargers is not None else [NO_LIMIT] * n_s
        parallel = list(data.v2l_parallel) if data.v2l_parallel is not None else [True] * n_s
        delays = [None if c.delay_by_start is None else np.asarray(c.delay_by_start) for c in data.cars]
        return cls(
            data.cars,
            [np.full(n, c.usable_kwh) for c in data.cars],
            [np.full(n, c.fuel_kwh) for c in data.cars],
            limits,
            parallel,
            data.slot_hours,
            delays,
            [c.delay_slots if d is None else int(d.min()) for c, d in zip(data.cars, delays, strict=True)],
            [c.delay_slots if d is None else int(d.max()) for c, d in zip(data.cars, delays, strict=True)],
            [c.usable_kwh <= EPS and c.fuel_kwh <= EPS for c in data.cars],
        )

    def _offer(self, i: int, want: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(kW from the battery, kW from the engine) car i can give towards `want`, not committed (0 at the
        starts where it has not arrived yet)."""
        c, h = self.cars[i], self.h
        battery = np.minimum(np.minimum(want, c.power_kw), self.energy[i] * c.efficiency / h)
        battery = np.maximum(battery, 0.0)
        delay = self.delays[i]
        if delay is not None and self.k < self.last[i]:
            battery[self.k < delay] = 0.0
        if c.engine_kw <= 0:
            return battery, np.zeros_like(battery)
        room = np.minimum(want - battery, c.power_kw - battery)
        engine = np.maximum(np.minimum(np.minimum(room, c.engine_kw), self.fuel[i] / h), 0.0)
        if delay is not None and self.k < self.last[i]:
            engine[self.k < delay] = 0.0
        return battery, engine

    def _commit(self, i: int, battery: np.ndarray, engine: np.ndarray) -> None:
        c, h = self.cars[i], self.h
        self.energy[i] -= battery * h / c.efficiency
        if c.engine_kw > 0:
            self.fuel[i] -= engine * h
        self.drained[i] = self.energy[i].max() <= EPS and (c.engine_kw <= 0 or self.fuel[i].max() <= EPS)

    def _in_turn(self, idx: list[int], rest: np.ndarray, limit: int) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """Offers of cars `idx` in order towards `rest` (reduced in place), at most `limit` giving at a time."""
        used = np.zeros(len(rest), dtype=np.int64)
        offers = []
        for n, i in enumerate(idx):
            battery, engine = self._offer(i, rest)
            if n >= limit:  # the first `limit` cars always find a free charger or outlet
                blocked = used >= limit
                battery[blocked], engine[blocked] = 0.0, 0.0
            give = battery + engine
            rest -= give
            if len(idx) > limit:
                used += give > EPS
            offers.append((i, battery, engine))
        return offers

    def step(
        self,
        k: int,
        need: np.ndarray,
        critical: np.ndarray,
        cols: list[int],
        charge: np.ndarray,
        dis: np.ndarray,
        pv: np.ndarray,
        bat: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None,
    ) -> None:
        """Slot k: reduce `need` (starts, shelters, kW after PV) by the battery's `dis` and the cars present;
        where one V2L outlet alone serves more, the battery's `charge`/`dis` columns are rewritten in place
        (no discharge, PV charges it). bat = (ceiling kWh and level kWh (starts, batteries), charge kW limit,
        charge efficiency) per battery."""
        self.k = k
        col_of = {j: c for c, j in enumerate(cols)}
        present: dict[int, list[int]] = {}
        for i, car in enumerate(self.cars):
            first = car.delay_slots if self.delays[i] is None else self.first[i]
            if k >= first and not self.drained[i]:
                present.setdefault(car.shelter, []).append(i)
        for s, col in col_of.items():
            if s not in present:
                need[:, s] -= dis[:, col]
        for s, idx in present.items():
            c = col_of.get(s)
            rest = need[:, s] - (dis[:, c] if c is not None else 0.0)
            v2h = [i for i in idx if self.cars[i].v2h]
            v2l = [i for i in idx if not self.cars[i].v2h]
            offers = self._in_turn(v2h, rest, self.limits[s])
            if self.parallel[s] or not v2l:
                offers += self._in_turn(v2l, rest, NO_LIMIT)
                for offer in offers:
                    self._commit(*offer)
                need[:, s] = rest
                continue
            alone = self._in_turn(v2l, critical[:, s].copy(), 1)
            alone_kw = sum((b + e for _, b, e in alone), np.zeros(len(rest)))
            switch = (rest > EPS) & (alone_kw > critical[:, s] - rest + 1e-9)
            for i, battery, engine in offers:
                self._commit(i, np.where(switch, 0.0, battery), np.where(switch, 0.0, engine))
            for i, battery, engine in alone:
                self._commit(i, np.where(switch, battery, 0.0), np.where(switch, engine, 0.0))
            need[:, s] = np.where(switch, critical[:, s] - alone_kw, rest)
            if c is not None and bat is not None:
                hi, level, p_ch, eta_c = bat
                room = np.maximum(hi[:, c] - level[:, c], 0.0) / (eta_c[c] * self.h)
                pv_charge = np.minimum(np.minimum(pv[:, s], p_ch[c]), room)
                charge[:, c] = np.where(switch, pv_charge, charge[:, c])
                dis[:, c] = np.where(switch, 0.0, dis[:, c])
