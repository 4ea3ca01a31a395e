"""The energy flow of the balancing group now (kW): what the plan procures in the current slot (plant, JEPX buy
and sell) and what the facilities' devices report (grid meters, PV, batteries, EVs).

Signs as the devices report them: battery + = discharge, EV + = charging, meter + = import from the grid.
"""

from __future__ import annotations

from dataclasses import dataclass

from runtime.store.models import PlanSlot
from runtime.store.status import CitySummary


@dataclass(frozen=True)
class Flow:
    """kW now: plan of the current slot (None without a plan) and live city totals."""

    plant_kw: float | None
    jepx_buy_kw: float | None
    jepx_sell_kw: float | None
    grid_kw: float
    pv_kw: float
    battery_kw: float
    ev_kw: float

    @property
    def planned_grid_kw(self) -> float | None:
        """The plan's metered demand of the group now: plant + JEPX buy - sell, kW."""
        if self.plant_kw is None or self.jepx_buy_kw is None or self.jepx_sell_kw is None:
            return None
        return self.plant_kw + self.jepx_buy_kw - self.jepx_sell_kw

    @property
    def deviation_kw(self) -> float | None:
        """Live grid draw minus the plan's, kW (+ = drawing more than planned: heading for a shortfall)."""
        planned = self.planned_grid_kw
        return None if planned is None else self.grid_kw - planned

    @property
    def facilities_kw(self) -> float:
        """What the facilities consume: grid draw + PV + battery discharge - EV charging, kW."""
        return self.grid_kw + self.pv_kw + self.battery_kw - self.ev_kw


def flow_now(slot: PlanSlot | None, summary: CitySummary) -> Flow:
    """The flow from the plan's current slot (or None) and the city's live totals."""
    return Flow(
        None if slot is None else slot.plant_kw,
        None if slot is None else slot.jepx_buy_kw,
        None if slot is None else slot.jepx_sell_kw,
        summary.grid_kw,
        summary.pv_kw,
        summary.battery_kw,
        summary.ev_kw,
    )


def flow_links(flow: Flow, names: dict[str, str]) -> list[tuple[str, str, float]]:
    """Sankey links (source, target, kW) with the node names `names[key]` for keys plant, jepx_buy, jepx_sell,
    group, grid, pv, bat_out, bat_in, facilities, ev."""
    n = names
    links = [
        (n["plant"], n["group"], flow.plant_kw or 0.0),
        (n["jepx_buy"], n["group"], flow.jepx_buy_kw or 0.0),
        (n["group"], n["jepx_sell"], flow.jepx_sell_kw or 0.0),
        (n["group"], n["facilities"], max(flow.grid_kw, 0.0)),
        (n["pv"], n["facilities"], flow.pv_kw),
        (n["bat_out"], n["facilities"], max(flow.battery_kw, 0.0)),
        (n["facilities"], n["bat_in"], max(-flow.battery_kw, 0.0)),
        (n["facilities"], n["ev"], max(flow.ev_kw, 0.0)),
    ]
    return links
