"""The city map drawn from the facilities' coordinates alone (no tile server, no network: an operations room in a
disaster may be offline): an equirectangular projection of the scenario's latitudes and longitudes scaled to an
SVG box, the facilities coloured by live data quality or, for shelters, by hours of autonomy in the newest outage
plan, and that plan's EV routes as lines from site to shelter.

Distances on the map are true to scale (x is shrunk by cos(latitude) at the map's centre); a 1 km scale bar is
drawn from the same factor (1 degree of latitude = 111.32 km).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from runtime.store.status import FacilityStatus
from scenarios.model import Facility

WIDTH = 900.0
PAD = 40.0
KM_PER_DEG_LAT = 111.32
QUALITY_COLORS = {"good": "#16a34a", "substituted": "#f59e0b", "stale": "#f59e0b", "none": "#9ca3af"}
BAD_COLOR = "#dc2626"
AUTONOMY_COLORS = {"full": "#16a34a", "day": "#f59e0b", "short": "#dc2626", "none": "#9ca3af"}


@dataclass(frozen=True)
class Projection:
    """lon/lat (degrees) to SVG x/y (px); y grows southwards."""

    lon0: float
    lat1: float
    kx: float
    ky: float
    width: float
    height: float

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        """SVG coordinates of a point."""
        return PAD + (lon - self.lon0) * self.kx, PAD + (self.lat1 - lat) * self.ky

    @property
    def px_per_km(self) -> float:
        """Pixels per kilometre (both axes)."""
        return self.ky / KM_PER_DEG_LAT


def projection(points: Iterable[tuple[float, float]]) -> Projection:
    """The projection that fits every (lon, lat) point into WIDTH px with PAD px margins; ValueError if empty."""
    pts = list(points)
    if not pts:
        raise ValueError("map: no facility coordinates to draw")
    lons, lats = [p[0] for p in pts], [p[1] for p in pts]
    shrink = math.cos(math.radians((min(lats) + max(lats)) / 2))
    span_x = max((max(lons) - min(lons)) * shrink, 1e-3)
    span_y = max(max(lats) - min(lats), 1e-3)
    k = (WIDTH - 2 * PAD) / span_x
    return Projection(min(lons), max(lats), k * shrink, k, WIDTH, span_y * k + 2 * PAD)


@dataclass(frozen=True)
class Marker:
    """One facility on the map: position (px), colour, and what the tooltip and legend say."""

    facility_id: str
    name: str
    x: float
    y: float
    color: str
    shelter: bool
    state: str
    detail: str


def live_color(quality: str) -> str:
    """Colour of a facility's live data quality."""
    return QUALITY_COLORS.get(quality, BAD_COLOR)


def autonomy_state(hours_until_dark: float | None, plan_hours: float) -> str:
    """'full' if the shelter never goes dark in the plan, 'day' if it holds 24 h or more, 'short' if less,
    'none' if it is not in the plan."""
    if hours_until_dark is None:
        return "none"
    if hours_until_dark >= plan_hours - 1e-9:
        return "full"
    return "day" if hours_until_dark >= 24 else "short"


def markers(
    proj: Projection,
    facilities: Iterable[Facility],
    statuses: Mapping[str, FacilityStatus],
    lang: str,
    autonomy_h: Mapping[str, float] | None = None,
    plan_hours: float = 0.0,
    tier1_kwh: Mapping[str, tuple[float, float]] | None = None,
) -> list[Marker]:
    """One marker per facility: coloured by live quality, or (with `autonomy_h`, hours until dark) shelters by
    autonomy, their detail adding tier-1 kWh served / needed where `tier1_kwh` has them."""
    out = []
    for f in facilities:
        x, y = proj.xy(f.longitude, f.latitude)
        name = f.name_ja if lang == "ja" else f.name_en
        if autonomy_h is None:
            status = statuses.get(f.id)
            state = status.quality if status else "none"
            color, detail = (
                live_color(state),
                "" if status is None or status.meter_kw is None else f"{status.meter_kw:,.1f} kW",
            )
        else:
            hours = autonomy_h.get(f.id)
            state = autonomy_state(hours, plan_hours) if f.is_shelter else "none"
            color, detail = AUTONOMY_COLORS[state], "" if hours is None else f"{hours:g} h"
            if tier1_kwh and f.id in tier1_kwh:
                served, needed = tier1_kwh[f.id]
                detail += f" · T1 {served:,.1f}/{needed:,.1f} kWh"
        out.append(Marker(f.id, name, round(x, 1), round(y, 1), color, f.is_shelter, state, detail))
    return out
