"""The value of energy still stored at the end of a plan's horizon, per facility (JPY/kWh, pure).

Rule: a kWh left in storage at facility f is worth what discharging it would earn or save in a typical slot
of the horizon's last day (the median over its last 48 slots, the nearest prices to what follows). In slot t
that is the JEPX price, less the sale fee where the balancing group sells (the kWh is sold) rather than buys
(the kWh is bought less), plus the wheeling charge where the facility imports (the kWh serves its own load
behind the meter instead of an import). "Sells/imports" are judged without storage, from the forecasts: the
group's net position is the facilities' load - PV less the plant's forecast; the plant's own facility counts
the plant's output behind its meter. So a group that sells in every slot values a stored kWh at price - fee
(+ wheeling where the facility still imports), not at the old median price + wheeling, which assumed every
stored kWh displaced a purchase and its wheeling.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from optimizer.dayahead.inputs import FacilityInput

LAST_DAY_SLOTS = 48


def terminal_prices(
    facilities: Sequence[FacilityInput],
    price_jpy_per_kwh: np.ndarray,
    wheeling_jpy_per_kwh: float,
    sale_discount_jpy_per_kwh: float,
    plant_kw: np.ndarray | None = None,
    plant_facility: str | None = None,
) -> dict[str, float]:
    """JPY per kWh stored at each facility at the horizon end (>= 0), by the module's rule."""
    price = np.asarray(price_jpy_per_kwh, dtype=float)
    n = len(price)
    last = slice(max(0, n - LAST_DAY_SLOTS), n)
    plant = np.zeros(n) if plant_kw is None else np.asarray(plant_kw, dtype=float)
    net = {f.id: np.asarray(f.load_kw, dtype=float) - np.asarray(f.pv_kw, dtype=float) for f in facilities}
    group_buys = sum(net.values(), np.zeros(n)) - plant > 0
    if plant_facility in net:
        net[plant_facility] = net[plant_facility] - plant
    energy = np.where(group_buys, price, price - sale_discount_jpy_per_kwh)
    out = {}
    for fid, f_net in net.items():
        value = energy + np.where(f_net > 0, wheeling_jpy_per_kwh, 0.0)
        out[fid] = max(0.0, float(np.median(value[last])))
    return out
