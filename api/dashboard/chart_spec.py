"""Chart descriptions for the vendored ECharts (`static/js/charts.js` draws them): plain JSON-ready dicts built by
pure functions, so tests check the numbers a page hands to its chart without a browser.

Time charts have one category per 30-min slot labelled by its start in JST ('MM/DD HH:MM'); values are kW, kWh,
JPY or JPY/kWh as the chart's `unit` says (None = no value in that slot: a gap, not a zero).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from scenarios.timegrid import TZ

SLOT_LABEL = "%m/%d %H:%M"


@dataclass(frozen=True)
class Series:
    """One series: name (already translated), 'bar' or 'line', colour, one value per slot; bars with the same
    `stack` pile up; `axis` 1 = the right-hand axis (`unit2`)."""

    name: str
    kind: str
    color: str
    data: Sequence[float | None]
    stack: str | None = None
    axis: int = 0
    dashed: bool = False


def slot_labels(index: Iterable[Any]) -> list[str]:
    """JST labels ('MM/DD HH:MM') of slot starts (tz-aware)."""
    return [pd.Timestamp(t).tz_convert(TZ).strftime(SLOT_LABEL) for t in index]


def _clean(v: float | None) -> float | None:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return None
    return round(float(v), 3)


def time_chart(labels: list[str], series: list[Series], unit: str, unit2: str | None = None) -> dict[str, Any]:
    """A slot chart: ValueError naming the series whose length is not one value per label."""
    for s in series:
        if len(s.data) != len(labels):
            raise ValueError(f"series '{s.name}': {len(s.data)} values for {len(labels)} slots")
        if s.kind not in ("bar", "line"):
            raise ValueError(f"series '{s.name}': kind '{s.kind}' is not 'bar' or 'line'")
    return {
        "kind": "time",
        "unit": unit,
        "unit2": unit2,
        "x": labels,
        "x_name": "JST",
        "series": [
            {
                "name": s.name,
                "type": s.kind,
                "color": s.color,
                "stack": s.stack,
                "axis": s.axis,
                "dashed": s.dashed,
                "data": [_clean(v) for v in s.data],
            }
            for s in series
        ],
    }


def sankey(links: list[tuple[str, str, float]], unit: str) -> dict[str, Any]:
    """An energy-flow diagram: (source, target, value) links, values below 0.05 dropped (a sankey cannot draw a
    zero or negative flow); the nodes are the ends of the links kept."""
    kept = [(a, b, round(v, 3)) for a, b, v in links if v >= 0.05]
    names: list[str] = []
    for a, b, _ in kept:
        names += [n for n in (a, b) if n not in names]
    return {
        "kind": "sankey",
        "unit": unit,
        "nodes": [{"name": n} for n in names],
        "links": [{"source": a, "target": b, "value": v} for a, b, v in kept],
    }
