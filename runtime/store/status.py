"""Live status of facilities and the city from the latest stored values (age in seconds, worst quality).

Device points follow the devices package: ``power_kw`` (PV + generation, battery + discharge, EV + charging,
meter + import), ``soc`` (fraction). Each point carries its device's kind
(:class:`~scenarios.device_identity.DeviceKind`, None for a device the scenario no longer has). A facility's age
is that of its least fresh live point (``LIVE_POINTS``, read every poll cycle); slow points (energy counters,
status, ratings, read every few cycles with their own read time) keep their own age in ``points``, so their
longer cadence does not make a facility look stale.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from runtime.store.db import Store
from runtime.store.readings import LatestPoint, latest_values
from scenarios.device_identity import DeviceKind, asset_kinds
from scenarios.model import Facility, Scenario

LIVE_POINTS = frozenset({"power_kw", "soc"})
QUALITY_ORDER = ("good", "substituted", "stale", "missing", "error", "bad", "none")


@dataclass(frozen=True)
class PointValue:
    """One device point's newest value."""

    device_id: str
    kind: DeviceKind | None
    point: str
    value: float
    ts: dt.datetime
    age_s: float
    quality: str


@dataclass
class FacilityStatus:
    """Live values of one facility in kW (soc as fraction); None where no device reports."""

    facility_id: str
    name_ja: str
    name_en: str
    shelter: bool
    supplied: bool
    pv_kw: float | None = None
    battery_kw: float | None = None
    battery_soc: float | None = None
    ev_kw: float | None = None
    meter_kw: float | None = None
    age_s: float | None = None
    quality: str = "none"
    points: list[PointValue] = field(default_factory=list)


def _worst(qualities: list[str]) -> str:
    ranked = [QUALITY_ORDER.index(q) if q in QUALITY_ORDER else len(QUALITY_ORDER) - 2 for q in qualities]
    return QUALITY_ORDER[max(ranked)] if ranked else "none"


def _sum(points: list[PointValue], kind: DeviceKind, name: str) -> float | None:
    values = [p.value for p in points if p.kind == kind and p.point == name]
    return float(sum(values)) if values else None


def _age(points: list[PointValue]) -> float | None:
    """Age (s) of the least fresh live point; of the least fresh point if the facility has no live point."""
    live = [p.age_s for p in points if p.point in LIVE_POINTS]
    return max(live or [p.age_s for p in points], default=None)


def facility_status(facility: Facility, rows: list[LatestPoint], now: dt.datetime) -> FacilityStatus:
    """Status of one facility from its latest values."""
    kinds = asset_kinds(facility)
    points = [
        PointValue(
            r.device_id,
            kinds.get(r.device_id),
            r.point,
            r.value,
            r.ts,
            max(0.0, (now - r.ts).total_seconds()),
            r.quality,
        )
        for r in rows
    ]
    socs = [p.value for p in points if p.kind is DeviceKind.BATTERY and p.point == "soc"]
    return FacilityStatus(
        facility_id=facility.id,
        name_ja=facility.name_ja,
        name_en=facility.name_en,
        shelter=facility.is_shelter,
        supplied=facility.supplied,
        pv_kw=_sum(points, DeviceKind.PV, "power_kw"),
        battery_kw=_sum(points, DeviceKind.BATTERY, "power_kw"),
        battery_soc=sum(socs) / len(socs) if socs else None,
        ev_kw=_sum(points, DeviceKind.EV, "power_kw"),
        meter_kw=_sum(points, DeviceKind.METER, "power_kw"),
        age_s=_age(points),
        quality=_worst([p.quality for p in points]),
        points=points,
    )


def city_status(
    store: Store, scenario: Scenario, now: dt.datetime, facility_id: str | None = None
) -> list[FacilityStatus]:
    """Status of every facility (or one) of the scenario, in scenario order."""
    by_facility: dict[str, list[LatestPoint]] = {}
    for row in latest_values(store, facility_id):
        by_facility.setdefault(row.facility_id, []).append(row)
    facilities = [scenario.facility(facility_id)] if facility_id else scenario.facilities
    return [facility_status(f, by_facility.get(f.id, []), now) for f in facilities]


@dataclass(frozen=True)
class CitySummary:
    """City totals in kW over facilities that report (soc is the capacity-weighted mean fraction)."""

    facilities: int
    reporting: int
    stale: int
    shelters: int
    pv_kw: float
    battery_kw: float
    battery_soc: float | None
    ev_kw: float
    grid_kw: float
    oldest_age_s: float | None


def summarise(scenario: Scenario, statuses: list[FacilityStatus], stale_after_s: float) -> CitySummary:
    """Totals of the city from facility statuses."""
    reporting = [s for s in statuses if s.age_s is not None]
    capacity = {f.id: f.battery_kwh for f in scenario.facilities}
    soc_pairs = [(s.battery_soc, capacity.get(s.facility_id, 0.0)) for s in statuses if s.battery_soc is not None]
    weight = sum(w for _, w in soc_pairs)
    return CitySummary(
        facilities=len(statuses),
        reporting=len(reporting),
        stale=sum(1 for s in reporting if (s.age_s or 0) > stale_after_s or s.quality not in ("good", "none")),
        shelters=sum(1 for s in statuses if s.shelter),
        pv_kw=sum(s.pv_kw or 0.0 for s in statuses),
        battery_kw=sum(s.battery_kw or 0.0 for s in statuses),
        battery_soc=sum(v * w for v, w in soc_pairs) / weight if weight > 0 else None,
        ev_kw=sum(s.ev_kw or 0.0 for s in statuses),
        grid_kw=sum(s.meter_kw or 0.0 for s in statuses),
        oldest_age_s=max((s.age_s for s in reporting if s.age_s is not None), default=None),
    )
