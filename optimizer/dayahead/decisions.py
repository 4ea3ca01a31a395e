"""A plan as plain arrays (what the optimiser or the baseline decided), independent of Pyomo.

Shapes: per facility (F, T), per battery (B, T), per EV (E, T), per link (L, T), group series (T,), in the
order of ``PlanInputs``. Powers in kW (slot means), energies in kWh at slot end. Link powers are what is sent
at the sending end (a link delivers (1 - loss) of it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo

from optimizer.dayahead.inputs import PlanInputs


@dataclass(frozen=True)
class Dispatch:
    """Decisions for every slot; trip_short_kwh is energy a car lacked for its trip (a soft-target miss);
    plant_self_kw is the part of plant_kw used behind the plant facility's meter (so it never reaches the grid:
    the group balance is plant - plant_self + buy - sell = sum(import - export))."""

    plant_kw: np.ndarray
    buy_kw: np.ndarray
    sell_kw: np.ndarray
    import_kw: np.ndarray
    export_kw: np.ndarray
    pv_used_kw: np.ndarray
    bat_charge_kw: np.ndarray
    bat_discharge_kw: np.ndarray
    bat_soc_kwh: np.ndarray
    ev_charge_kw: np.ndarray
    ev_discharge_kw: np.ndarray
    ev_soc_kwh: np.ndarray
    ev_trip_short_kwh: np.ndarray
    link_ab_kw: np.ndarray
    link_ba_kw: np.ndarray
    plant_self_kw: np.ndarray

    @property
    def link_kw(self) -> np.ndarray:
        """Net power sent over each link from its 'a' end (kW, + = a -> b; (L, T)), before losses."""
        return np.asarray(self.link_ab_kw - self.link_ba_kw)

    def shifted(self, slots: int) -> Dispatch:
        """The plan moved `slots` earlier; the tail repeats the last slot (the 'last plan shifted' fallback)."""

        def move(a: np.ndarray) -> np.ndarray:
            if a.shape[-1] == 0 or slots == 0:
                return a.copy()
            tail = np.repeat(a[..., -1:], slots, axis=-1)
            return np.concatenate([a[..., slots:], tail], axis=-1)[..., : a.shape[-1]]

        return Dispatch(**{k: move(v) for k, v in self.__dict__.items()})


def dispatch_from_model(
    m: pyo.ConcreteModel, inputs: PlanInputs, solution: Mapping[str, np.ndarray] | None = None
) -> Dispatch:
    """A Dispatch from a solved plan model: from `solution` (values per Var component name in index order, as
    ``optimizer.solver.HighsModel.values`` returns them) or else from the Pyomo variables' values."""
    n, nf, nb, ne = inputs.n_slots, len(inputs.facilities), len(inputs.batteries), len(inputs.evs)

    def _values(var: pyo.Var, rows: int, cols: int) -> np.ndarray:
        if rows == 0:
            return np.zeros((0, cols))
        if solution is not None:
            return np.asarray(solution[var.local_name], dtype=float).reshape(rows, cols)
        flat = np.fromiter(
            (v.value if v.value is not None else 0.0 for v in var.values()), dtype=float, count=rows * cols
        )
        return flat.reshape(rows, cols)

    plant = _values(m.plant_out, 1, n)[0] if hasattr(m, "plant_out") else np.zeros(n)
    plant_self = _values(m.plant_self, 1, n)[0] if hasattr(m, "plant_self") else np.zeros(n)
    pv_rows = [j for j, f in enumerate(inputs.facilities) if f.has_pv]
    pv_used = np.zeros((nf, n))
    pv_used[pv_rows] = _values(m.fac_pv_used, len(pv_rows), n)
    return Dispatch(
        plant_kw=plant,
        buy_kw=_values(m.market_buy, 1, n)[0],
        sell_kw=_values(m.market_sell, 1, n)[0],
        import_kw=_values(m.fac_import, nf, n),
        export_kw=_values(m.fac_export, nf, n),
        pv_used_kw=pv_used,
        bat_charge_kw=_values(m.bat_charge, nb, n),
        bat_discharge_kw=_values(m.bat_discharge, nb, n),
        bat_soc_kwh=_values(m.bat_soc, nb, n),
        ev_charge_kw=_values(m.ev_charge, ne, n),
        ev_discharge_kw=_values(m.ev_discharge, ne, n),
        ev_soc_kwh=_values(m.ev_soc, ne, n),
        ev_trip_short_kwh=_values(m.ev_trip_short, ne, n),
        link_ab_kw=_values(m.link_ab, len(inputs.links), n),
        link_ba_kw=_values(m.link_ba, len(inputs.links), n),
        plant_self_kw=plant_self,
    )
