"""The shelters' uncertainty reserve in the loop, sized from P10/P50/P90 load bands learned from each facility's
own stored forecast-vs-measured pairs (``forecasts.bands``); on by default (``EMS_UNCERTAINTY_RESERVE=auto``).

A pair is one stored load forecast (kW, the forecast run's value for a 30-min slot named by its start, JST) and
the facility's measured load in that slot (grid meters + PV + battery discharge - EV charging, kW, from the
stored aggregates). Per shelter the bands come from its own pairs once it has ``MIN_FACILITY_PAIRS`` of them,
else from the city's pooled pairs, else from the shipped household model
(``runtime.facades.dayahead_planning.load_error_model``, P90 about +100 %). Modes:

- ``auto`` (default): learned bands only (own or pooled); a shelter without them gets no margin, so a new
  installation plans as before until a week of pairs exists;
- ``on``: every shelter gets a margin, the shipped bands where nothing is learned;
- ``off``: no margin.

Bands are learned once per JST day (the first plan of the day) and kept on the Service.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import pandas as pd

from forecasts.bands import (
    PAIRS_FRAME_COLUMNS,
    LearnedBands,
    learn_facility_bands,
    pairs_from_forecasts,
    shelter_reserve_margin_kwh,
)
from forecasts.uncertainty import ErrorQuantiles, constant_error_quantiles
from runtime.loop.service import Service
from runtime.loop.store_forecaster import device_history, facility_load_history
from runtime.store import journal
from scenarios.timegrid import TZ

log = logging.getLogger(__name__)

WINDOW_DAYS = 14
"""Days of pairs the bands are learned from (two weeks: both day types twice, and the season of now)."""
RUN_EVERY_H = 3.0
"""Hours between the stored forecast runs the pairs are taken from (the loop stores one every 30 min)."""
LEARNED = ("facility", "pooled")


@dataclass(frozen=True)
class ReserveMargin:
    """Extra reserve (kWh per shelter id) for load-forecast error, where each shelter's bands came from
    ('facility', 'pooled', 'fallback' or 'none' = no margin), and a one-line note for the plan."""

    extra_kwh: dict[str, float]
    sources: dict[str, str]
    note: str


def _shipped_model() -> ErrorQuantiles:
    from runtime.facades.dayahead_planning import load_error_model  # heavy (a year of pairs), and avoids a cycle

    return load_error_model()


def facility_pairs(
    svc: Service, now: dt.datetime, days: int = WINDOW_DAYS, every_h: float = RUN_EVERY_H
) -> dict[str, pd.DataFrame]:
    """Forecast-vs-measured load pairs (forecasts.bands pairs frames: target, lead_h = hours from the issue to the
    slot's end, forecast, actual, scale = the forecast, all kW) of every supplied shelter for targets in the
    ``days`` before ``now`` (one stored run per ``every_h`` hours); an empty frame for a shelter without stored
    forecasts or measured load."""
    shelters = [f for f in svc.scenario.supplied if f.shelter is not None]
    start = now - dt.timedelta(days=days)
    stored = journal.stored_forecasts_for_pairs(svc.store, [f.id for f in shelters], start, now, every_h=every_h)
    by_facility = dict(iter(stored.groupby("facility_id")))
    out: dict[str, pd.DataFrame] = {}
    for f in shelters:
        table = device_history(svc.store, f, now, days=days)
        measured = facility_load_history(f, table) if not table.empty else None
        forecasts = by_facility.get(f.id)
        if measured is None or forecasts is None:
            out[f.id] = pd.DataFrame(columns=PAIRS_FRAME_COLUMNS)
            continue
        actual = pd.Series(measured.to_numpy(dtype=float), index=pd.DatetimeIndex(measured.index).tz_convert(TZ))
        out[f.id] = pairs_from_forecasts(forecasts, actual)
    return out


def learned_load_bands(svc: Service, now: dt.datetime) -> dict[str, LearnedBands]:
    """Each shelter's load bands (own, pooled, or the fallback: the shipped bands in mode 'on', bands of no width
    in 'auto'), learned once per JST day and mode."""
    day = f"{pd.Timestamp(now).tz_convert(TZ).date().isoformat()}/{svc.settings.uncertainty_reserve}"
    cached = svc.bands_cache.get("load")
    if cached is not None and cached[0] == day:
        learned: dict[str, LearnedBands] = cached[1]
        return learned
    fallback = _shipped_model() if svc.settings.uncertainty_reserve == "on" else constant_error_quantiles()
    bands = learn_facility_bands(facility_pairs(svc, now), fallback)
    svc.bands_cache["load"] = (day, bands)
    counts = pd.Series([b.source for b in bands.values()]).value_counts().to_dict()
    log.info("load bands for %s: %s", day, counts)
    return bands


def reserve_margin(svc: Service, now: dt.datetime, index: pd.DatetimeIndex) -> ReserveMargin:
    """The uncertainty reserve of every supplied shelter on the plan ``index`` under the
    ``uncertainty_reserve`` setting (see the module docstring)."""
    mode = svc.settings.uncertainty_reserve
    if mode == "off":
        return ReserveMargin({}, {}, "uncertainty reserve off")
    bands = learned_load_bands(svc, now)
    extra, sources = {}, {}
    for f in svc.scenario.supplied:
        if f.shelter is None or f.id not in bands:
            continue
        learned = bands[f.id]
        if mode == "auto" and learned.source not in LEARNED:
            sources[f.id] = "none"
            continue
        extra[f.id], _ = shelter_reserve_margin_kwh(f, index, learned.quantiles)
        sources[f.id] = learned.source
    counts = pd.Series(list(sources.values()), dtype=object).value_counts().to_dict()
    described = ", ".join(f"{n} {src}" for src, n in sorted(counts.items()))
    note = f"uncertainty reserve ({mode}): +{sum(extra.values()):.1f} kWh over {len(extra)} shelters ({described})"
    return ReserveMargin(extra, sources, note)
