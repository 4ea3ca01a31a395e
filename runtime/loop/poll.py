"""The poll step: read every device, store good values, substitute last good ones for stale devices.

While storage fails, rows, events and the job mark wait in the service's outbox (``runtime.store.outbox``)
and are written once it returns. A device that does not answer (quality other than 'good') gets its last good
values restated at `now` with quality 'substituted' and one 'stale_readings' event until it answers again
('readings_recovered'). Values in the units of ``devices.capabilities`` (kW, kWh, SoC fraction).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time

from runtime.loop.service import Sample, Service
from runtime.store import readings
from runtime.store.readings import ReadingIn
from runtime.store.records import EventDetails


def _rows(sample: Sample, ts: dt.datetime, values: dict[str, float], quality: str) -> list[ReadingIn]:
    return [ReadingIn(ts, sample.facility_id, sample.device_id, k, v, quality) for k, v in values.items()]


def _substitute(svc: Service, sample: Sample, now: dt.datetime) -> list[ReadingIn]:
    key = (sample.facility_id, sample.device_id)
    if key not in svc.stale_devices:
        svc.stale_devices.add(key)
        svc.outbox.event(
            svc.store,
            "stale_readings",
            f"{sample.key}: {sample.quality}; using last good values",
            facility_id=key[0],
            details=EventDetails(device=key[1], quality=sample.quality),
            ts=now,
        )
    if key not in svc.last_good:
        return []
    _, values = svc.last_good[key]
    return _rows(sample, now, values, readings.SUBSTITUTED)


async def poll(svc: Service, now: dt.datetime) -> int:
    """Read every device, store good values, substitute last good ones for stale devices; returns rows stored."""
    started, rows = time.perf_counter(), []
    if svc.telemetry is None:
        return 0
    for sample in await svc.telemetry.poll(now):
        values = {k: float(v) for k, v in sample.values.items() if v is not None}
        key = (sample.facility_id, sample.device_id)
        if sample.quality == "good" and values:
            ts = sample.measured_at or now
            svc.last_good[key] = (ts, values)
            if key in svc.stale_devices:
                svc.stale_devices.discard(key)
                svc.outbox.event(
                    svc.store,
                    "readings_recovered",
                    f"{sample.key} answers again",
                    severity="info",
                    facility_id=key[0],
                    ts=now,
                )
            rows.extend(_rows(sample, ts, values, "good"))
        else:
            rows.extend(_substitute(svc, sample, now))
    # in a worker thread: the event loop keeps answering requests while the rows are written
    stored = await asyncio.to_thread(svc.outbox.write_readings, svc.store, rows, now)  # buffered while storage fails
    note = f"{len(rows)} rows ({stored} stored now)"
    await asyncio.to_thread(svc.outbox.mark_job, svc.store, "poll", now, True, note)
    svc.timed("poll", started, True)
    return len(rows)
