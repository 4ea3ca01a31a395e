"""The files `ems plan` writes, with every column's unit and meaning in one place (here).

Each CSV gets a sidecar ``<name>.csv-metadata.json`` in the W3C CSV-on-the-Web form (column names, titles,
descriptions and units), and the README's "Plan output files" section lists the same columns. Conventions:
timestamps ISO 8601 with the +09:00 offset (Asia/Tokyo), a slot named by its start (JEPX slot 1 = 00:00-00:30);
power in kW as the slot's mean, energy in kWh for the slot, stored energy at the END of the slot; kW and kWh
rounded to 0.001 (1 W, 1 Wh), prices to 0.01 JPY/kWh, money to 1 JPY; an empty cell is a quantity that does
not apply to the row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from optimizer.dayahead.frames import device_schedule
from optimizer.dayahead.result import PlanResult
from scenarios.timegrid import TZ, jepx_slot_number


@dataclass(frozen=True)
class Column:
    """One CSV column: name, unit ('' for none) and what it holds (sign conventions included)."""

    name: str
    unit: str
    description: str
    decimals: int | None = None


SLOT = Column("slot_start", "", "Slot start, ISO 8601 with +09:00 (Asia/Tokyo); the slot lasts 30 minutes.")
JEPX = Column("jepx_slot", "", "JEPX slot number of the day, 1-48 (1 = 00:00-00:30 JST).", 0)

SCHEDULE = (
    SLOT,
    JEPX,
    Column("facility", "", "Facility id (for a link row: the end this row is seen from)."),
    Column("kind", "", "'facility', 'battery', 'ev' or 'link'."),
    Column("device", "", "Battery id, EV id or link id; empty on the facility's own row."),
    Column("peer", "", "For a link row: the facility at the link's other end; else empty."),
    Column("load_kw", "kW", "Facility load forecast, slot mean.", 3),
    Column("pv_forecast_kw", "kW", "PV forecast, slot mean.", 3),
    Column("pv_used_kw", "kW", "PV used (the rest of the forecast is curtailed), slot mean.", 3),
    Column("import_kw", "kW", "Import at the facility's meter (>= 0), slot mean.", 3),
    Column("export_kw", "kW", "Export (reverse flow) at the facility's meter (>= 0), slot mean.", 3),
    Column("plant_used_kw", "kW", "Supply plant's output used behind this facility's meter (plant site only).", 3),
    Column("charge_kw", "kW", "Battery/EV charging power (>= 0), slot mean.", 3),
    Column("discharge_kw", "kW", "Battery/EV discharging power (>= 0; EV: V2H), slot mean.", 3),
    Column("link_in_kw", "kW", "Link power at this end: + received (after losses), - sent; slot mean.", 3),
    Column("soc_end_kwh", "kWh", "Stored energy at the END of the slot.", 3),
    Column("plugged", "", "EV at its charger for the whole slot: 1, else 0.", 0),
)

PROCUREMENT = (
    SLOT,
    JEPX,
    Column("slot_hours", "h", "Planned part of the slot (0.5, or less for a first slot that has begun).", 4),
    Column("price_jpy_per_kwh", "JPY/kWh", "JEPX price the plan used.", 2),
    Column("plant_kwh", "kWh", "Supply plant output (net of its own station use).", 3),
    Column("plant_used_on_site_kwh", "kWh", "Part of plant_kwh used behind the plant facility's meter.", 3),
    Column("plant_curtailed_kwh", "kWh", "Plant output given up below its forecast.", 3),
    Column("purchase_kwh", "kWh", "JEPX purchase of the balancing group.", 3),
    Column("sale_kwh", "kWh", "JEPX sale of the balancing group.", 3),
    Column("facilities_import_kwh", "kWh", "Sum of the facilities' meter imports (the group's demand).", 3),
    Column("facilities_export_kwh", "kWh", "Sum of the facilities' meter exports.", 3),
    Column("interchange_kwh", "kWh", "Energy facilities supplied each other (exports used by imports + links).", 3),
)

SLACK = (
    Column("kind", "", "'ev_departure', 'ev_trip', 'shelter_reserve', 'shelter_no_storage' or 'contract_peak'."),
    Column("subject", "", "EV or facility id."),
    Column("first_slot_start", "", "First slot missed, ISO 8601 with +09:00; empty when not slot-bound."),
    Column("shortfall_kwh", "kWh", "Energy short of the target (largest over the slots for a reserve).", 3),
    Column("excess_kw", "kW", "contract_peak: 30-min demand above the billing reference.", 3),
    Column("penalty_jpy", "JPY", "Penalty of the miss (soft-target price; not money).", 0),
    Column("demand_charge_jpy", "JPY", "contract_peak: the basic charge the new peak costs (money).", 0),
    Column("reason", "", "The binding limit that explains the miss."),
)

INTERCHANGE = (
    Column("from_facility", "", "Facility that supplied the energy."),
    Column("to_facility", "", "Facility that used it."),
    Column("kwh", "kWh", "Energy over the horizon (over a link: as received, after losses).", 3),
)

FILES: dict[str, tuple[Column, ...]] = {
    "schedule.csv": SCHEDULE,
    "procurement.csv": PROCUREMENT,
    "slack.csv": SLACK,
    "interchange.csv": INTERCHANGE,
}

ABOUT = {
    "schedule.csv": "The plan per slot, one row per facility, battery, EV and link end; one unit per column.",
    "procurement.csv": "The balancing group's procurement per slot: plant, JEPX purchase and sale, group totals.",
    "slack.csv": "Soft targets the plan misses (penalties) and new demand peaks (money), with the reason.",
    "interchange.csv": "Energy the facilities supplied each other over the horizon, largest first.",
}
CONVENTIONS = (
    "Timestamps ISO 8601 with +09:00 (Asia/Tokyo), a slot named by its start; kW = slot mean, kWh = the slot's "
    "energy, stored energy at the end of the slot; an empty cell does not apply to the row."
)


def _local_iso(ts: pd.Timestamp) -> str:
    return pd.Timestamp(ts).tz_convert(TZ).isoformat()


def _rounded(frame: pd.DataFrame, columns: tuple[Column, ...]) -> pd.DataFrame:
    """The documented columns in their order (absent ones empty), each rounded to its decimals."""
    out = frame.reindex(columns=[c.name for c in columns])
    for c in columns:
        if c.decimals is None:
            out[c.name] = out[c.name].fillna("")
    for c in columns:
        if c.decimals is not None:
            out[c.name] = out[c.name].astype(float).round(c.decimals)
            if c.decimals == 0:
                out[c.name] = out[c.name].astype("Int64")
    return out


def schedule_table(result: PlanResult) -> pd.DataFrame:
    """schedule.csv as a frame (columns of SCHEDULE)."""
    frame = device_schedule(result.inputs, result.dispatch)
    frame["jepx_slot"] = [jepx_slot_number(ts) for ts in frame["slot_start"]]
    frame["slot_start"] = frame["slot_start"].map(_local_iso)
    return _rounded(frame, SCHEDULE)


def procurement_table(result: PlanResult) -> pd.DataFrame:
    """procurement.csv as a frame (columns of PROCUREMENT)."""
    proc = result.procurement
    frame = proc.rename(columns={"hours": "slot_hours", "plant_self_kwh": "plant_used_on_site_kwh"}).reset_index()
    frame["slot_start"] = frame["slot_start"].map(_local_iso)
    return _rounded(frame, PROCUREMENT)


def slack_table(result: PlanResult) -> pd.DataFrame:
    """slack.csv as a frame (columns of SLACK): shortfalls in kWh and peak excesses in kW kept apart."""
    rows = []
    for m in result.missed:
        peak = m.kind == "contract_peak"
        rows.append(
            {
                "kind": m.kind,
                "subject": m.subject,
                "first_slot_start": "" if m.slot is None else _local_iso(m.slot),
                "shortfall_kwh": None if peak else m.shortfall,
                "excess_kw": m.shortfall if peak else None,
                "penalty_jpy": None if peak else m.penalty_jpy,
                "demand_charge_jpy": m.penalty_jpy if peak else None,
                "reason": m.reason,
            }
        )
    return _rounded(pd.DataFrame(rows, columns=[c.name for c in SLACK]), SLACK)


def interchange_table(result: PlanResult) -> pd.DataFrame:
    """interchange.csv as a frame (columns of INTERCHANGE)."""
    return _rounded(result.interchange, INTERCHANGE)


def csvw_metadata(name: str, columns: tuple[Column, ...]) -> dict[str, object]:
    """The W3C CSV-on-the-Web sidecar of one file: its columns with titles, descriptions and units."""
    return {
        "@context": ["http://www.w3.org/ns/csvw", {"schema": "http://schema.org/"}],
        "url": name,
        "dc:description": f"{ABOUT[name]} {CONVENTIONS}",
        "tableSchema": {
            "columns": [
                {
                    "name": c.name,
                    "titles": c.name,
                    "dc:description": c.description,
                    "schema:unitText": c.unit,
                    "datatype": "string" if c.decimals is None else ("integer" if c.decimals == 0 else "number"),
                }
                for c in columns
            ]
        },
    }


def write_tables(result: PlanResult, out_dir: Path) -> dict[str, Path]:
    """Write the four CSVs and their sidecars into `out_dir`; returns the CSV paths by file name."""
    tables = {
        "schedule.csv": schedule_table(result),
        "procurement.csv": procurement_table(result),
        "slack.csv": slack_table(result),
        "interchange.csv": interchange_table(result),
    }
    paths = {}
    for name, frame in tables.items():
        path = out_dir / name
        frame.to_csv(path, index=False)
        meta = json.dumps(csvw_metadata(name, FILES[name]), indent=2, ensure_ascii=False)
        (out_dir / f"{name}-metadata.json").write_text(meta, encoding="utf-8")
        paths[name] = path
    return paths
