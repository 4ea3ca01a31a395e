"""Measured 30-minute demand from the stored meter aggregates (SQL, so a year of slots stays in the database).

A facility's 30-min demand in a slot is the sum of the means of its grid meters' ``power_kw`` (+ = import) in
that slot, counted from 0 (an exporting slot has no demand). The group's demand in a slot is the sum of its
facilities' demands. Times are tz-aware (stored UTC); kW.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import Select, case, func, select, tuple_

from runtime.store.db import Store
from runtime.store.models import Aggregate


def _facility_slots(meters: Collection[tuple[str, str]], start: dt.datetime, end: dt.datetime) -> Select[tuple]:  # type: ignore[type-arg]
    """(facility_id, slot_start, demand_kw) of every slot in [start, end) with grid-meter aggregates."""
    total = func.sum(Aggregate.mean)
    return (
        select(
            Aggregate.facility_id.label("facility_id"),
            Aggregate.slot_start.label("slot_start"),
            case((total > 0, total), else_=0.0).label("demand_kw"),
        )
        .where(
            Aggregate.point == "power_kw",
            Aggregate.slot_start >= start,
            Aggregate.slot_start < end,
            tuple_(Aggregate.facility_id, Aggregate.device_id).in_(list(meters)),
        )
        .group_by(Aggregate.facility_id, Aggregate.slot_start)
    )


def facility_peaks_kw(
    store: Store, meters: Collection[tuple[str, str]], start: dt.datetime, end: dt.datetime
) -> dict[str, float]:
    """Highest 30-min demand (kW) per facility over the slots in [start, end); facilities without data absent.
    `meters`: the (facility id, meter id) of the grid meters."""
    if not meters:
        return {}
    slots = _facility_slots(meters, start, end).subquery()
    stmt = select(slots.c.facility_id, func.max(slots.c.demand_kw)).group_by(slots.c.facility_id)
    with store.engine.connect() as conn:
        return {str(fid): float(kw) for fid, kw in conn.execute(stmt)}


def group_peak_kw(
    store: Store, meters: Collection[tuple[str, str]], start: dt.datetime, end: dt.datetime
) -> float | None:
    """Highest 30-min sum of the facilities' demands (kW) over the slots in [start, end); None without data."""
    if not meters:
        return None
    slots = _facility_slots(meters, start, end).subquery()
    per_slot = select(func.sum(slots.c.demand_kw).label("group_kw")).group_by(slots.c.slot_start).subquery()
    with store.engine.connect() as conn:
        value = conn.execute(select(func.max(per_slot.c.group_kw))).scalar()
    return None if value is None else float(value)
