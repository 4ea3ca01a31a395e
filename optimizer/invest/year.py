"""A year of series for investment planning, per shelter, and the outage windows cut from it.

index: the year's 30-min slots (tz-aware, named by their start; 365 local days). load_kw and price are on the
year; critical_kw, pv_existing_kw and pv_per_kwp (kW, AC output of 1 kWp of new PV) run `duration - 1` slots
past its end, wrapped around to the year's first slots (so an outage may start at every slot of the year).
Arrays are (slots, shelters) in `shelter_ids` order. source: what the series were made from (weather year,
outage load), for reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.invest.inputs import OutageWindow


@dataclass(frozen=True)
class YearSeries:
    """See the module docstring; units kW and JPY/kWh."""

    index: pd.DatetimeIndex
    shelter_ids: tuple[str, ...]
    load_kw: np.ndarray
    critical_kw: np.ndarray
    pv_existing_kw: np.ndarray
    pv_per_kwp: np.ndarray
    price_jpy_per_kwh: np.ndarray
    duration_slots: int = 144
    source: str = ""

    @property
    def n_slots(self) -> int:
        """Slots of the year (also the number of outage starts)."""
        return len(self.index)

    def column(self, site: str) -> int:
        """Column of a shelter (KeyError naming it)."""
        if site not in self.shelter_ids:
            raise KeyError(f"no shelter '{site}' in the year series")
        return self.shelter_ids.index(site)

    def window(self, site: str, start: int) -> OutageWindow:
        """The outage window of `site` starting at slot `start` of the year."""
        j, end = self.column(site), start + self.duration_slots
        return OutageWindow(
            self.index[start].isoformat(),
            self.critical_kw[start:end, j].copy(),
            self.pv_existing_kw[start:end, j].copy(),
            self.pv_per_kwp[start:end, j].copy(),
        )

    def day_profiles(self, name: str, days: tuple[int, ...], j: int) -> np.ndarray:
        """(days, 48) of series `name` at shelter column j on the given days of the year."""
        series: np.ndarray = getattr(self, name)
        return np.asarray(series[: self.n_slots, j].reshape(-1, 48)[list(days)], dtype=float)


def wrap(values: np.ndarray, duration: int) -> np.ndarray:
    """The year's (slots, n) values followed by its first duration - 1 rows (an outage may start at any slot)."""
    return np.concatenate([values, values[: duration - 1]], axis=0)


def initial_starts(year: YearSeries, target: float) -> dict[str, list[int]]:
    """First window per shelter: the start whose 72-h energy need (critical - existing PV - new PV per kWp, each
    floored at 0 per slot) is at the `target` quantile of the year's starts, i.e. harder than a share `target`."""
    out: dict[str, list[int]] = {}
    d, n = year.duration_slots, year.n_slots
    for j, site in enumerate(year.shelter_ids):
        short = np.maximum(year.critical_kw[:, j] - year.pv_existing_kw[:, j] - year.pv_per_kwp[:, j], 0.0)
        need = np.convolve(short, np.ones(d), mode="valid")[:n]
        order = np.argsort(need, kind="stable")
        out[site] = [int(order[min(int(np.ceil(target * n)) - 1, n - 1)])]
    return out
