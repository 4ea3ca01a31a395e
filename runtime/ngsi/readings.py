"""The live values the entities publish: each device's points read good, with the time each was measured.

Points the loop substituted (a device that stopped answering has its last good values restated at the poll time,
quality 'substituted') or flagged stale/missing/error are not published: their timestamp is the poll's, not the
measurement's, and the city platform would take them as fresh. A broker keeps the last good values it was sent
(the push merges attributes), each with its own observedAt. Units as ``devices.capabilities``: kW, kWh, SoC 0..1.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from runtime.store.status import FacilityStatus


@dataclass(frozen=True)
class DeviceReading:
    """One device's good points: value and measurement time (UTC) by point name."""

    values: dict[str, float] = field(default_factory=dict)
    times: dict[str, dt.datetime] = field(default_factory=dict)

    def get(self, point: str) -> tuple[float, dt.datetime] | None:
        """(value, measured at) of a point, None if it was not read good."""
        if point not in self.values:
            return None
        return self.values[point], self.times[point]

    @property
    def newest(self) -> dt.datetime | None:
        """When the device last reported a good value (None if never)."""
        return max(self.times.values(), default=None)


def device_readings(status: FacilityStatus | None) -> dict[str, DeviceReading]:
    """Good points of every device of a facility's status, by device id (devices with none are absent)."""
    readings: dict[str, DeviceReading] = {}
    if status is None:
        return readings
    for p in status.points:
        if p.quality != "good":
            continue
        reading = readings.setdefault(p.device_id, DeviceReading())
        reading.values[p.point] = p.value
        reading.times[p.point] = p.ts
    return readings
