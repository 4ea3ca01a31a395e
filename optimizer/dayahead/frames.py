"""Tables of a plan: the schedule (tidy, and one row per device with one unit per column), the procurement
plan per slot and the interchange between facilities.

Slots are named by their start (tz-aware); powers are slot means in kW, energies in kWh; stored energy is the
state at the END of the slot. Signs: import, export, charge, discharge are >= 0 in their named direction;
``link_in_kw`` is + when the facility receives over the link and - when it sends.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.dayahead.decisions import Dispatch
from optimizer.dayahead.inputs import PlanInputs
from scenarios.timegrid import jepx_slot_number


def _block(
    index: pd.DatetimeIndex, facility: list[str], device: list[str], variable: str, values: np.ndarray
) -> pd.DataFrame:
    rows, n = values.shape
    return pd.DataFrame(
        {
            "slot": np.tile(index, rows),
            "facility": np.repeat(facility, n),
            "device": np.repeat(device, n),
            "variable": variable,
            "value": values.reshape(-1),
        }
    )


def schedule_frame(inputs: PlanInputs, d: Dispatch) -> pd.DataFrame:
    """Tidy schedule: one row per (slot, facility, device, variable) with its value (kW or kWh or 0/1).

    Facility rows (device ''): load_kw, pv_forecast_kw, pv_used_kw, import_kw, export_kw, and plant_used_kw at
    the plant's facility; battery rows: charge_kw, discharge_kw, soc_kwh (at slot end); EV rows: charge_kw,
    discharge_kw, soc_kwh (at slot end), plugged; link rows at both ends (device = link id): link_in_kw.
    """
    idx = inputs.index
    fids = inputs.facility_ids
    blank = [""] * len(fids)
    parts = [
        _block(idx, fids, blank, "load_kw", np.array([f.load_kw for f in inputs.facilities])),
        _block(idx, fids, blank, "pv_forecast_kw", np.array([f.pv_kw for f in inputs.facilities])),
        _block(idx, fids, blank, "pv_used_kw", d.pv_used_kw),
        _block(idx, fids, blank, "import_kw", d.import_kw),
        _block(idx, fids, blank, "export_kw", d.export_kw),
    ]
    if inputs.plant is not None and inputs.plant.facility is not None:
        parts.append(_block(idx, [inputs.plant.facility], [""], "plant_used_kw", d.plant_self_kw.reshape(1, -1)))
    if inputs.batteries:
        bf = [b.facility for b in inputs.batteries]
        bid = [b.key.split("/", 1)[1] for b in inputs.batteries]
        parts += [
            _block(idx, bf, bid, "charge_kw", d.bat_charge_kw),
            _block(idx, bf, bid, "discharge_kw", d.bat_discharge_kw),
            _block(idx, bf, bid, "soc_kwh", d.bat_soc_kwh),
        ]
    if inputs.evs:
        ef = [e.facility for e in inputs.evs]
        eid = [e.id for e in inputs.evs]
        parts += [
            _block(idx, ef, eid, "charge_kw", d.ev_charge_kw),
            _block(idx, ef, eid, "discharge_kw", d.ev_discharge_kw),
            _block(idx, ef, eid, "soc_kwh", d.ev_soc_kwh),
            _block(idx, ef, eid, "plugged", np.array([e.plugged for e in inputs.evs])),
        ]
    if inputs.links:
        ends, ids, _, flows = link_ends(inputs, d)
        parts.append(_block(idx, ends, ids, "link_in_kw", flows))
    return pd.concat(parts, ignore_index=True)


def link_ends(inputs: PlanInputs, d: Dispatch) -> tuple[list[str], list[str], list[str], np.ndarray]:
    """Each link seen from both ends: (facility, link id, the other end, link_in_kw (2L, T)) with link_in_kw =
    what arrives there minus what it sends: at a (1 - loss) b->a - a->b, at b (1 - loss) a->b - b->a."""
    ends, ids, peers, flows = [], [], [], []
    for k, lk in enumerate(inputs.links):
        kept = 1 - lk.loss_fraction
        ab, ba = d.link_ab_kw[k], d.link_ba_kw[k]
        ends += [lk.a, lk.b]
        ids += [lk.id, lk.id]
        peers += [lk.b, lk.a]
        flows += [kept * ba - ab, kept * ab - ba]
    return ends, ids, peers, np.array(flows).reshape(len(flows), inputs.n_slots)


def _device_rows(
    index: pd.DatetimeIndex, kind: str, facility: list[str], device: list[str], columns: dict[str, np.ndarray]
) -> pd.DataFrame:
    rows, n = len(facility), len(index)
    frame = pd.DataFrame(
        {
            "slot_start": np.tile(index, rows),
            "facility": np.repeat(facility, n),
            "kind": kind,
            "device": np.repeat(device, n),
        }
    )
    for name, values in columns.items():
        frame[name] = np.asarray(values, dtype=float).reshape(-1)
    return frame


def device_schedule(inputs: PlanInputs, d: Dispatch) -> pd.DataFrame:
    """The schedule with one row per (slot, facility, device) and one quantity per column (NaN where it does not
    apply): kind 'facility' (device ''): load, PV forecast and used, import, export, plant output used behind
    its meter (kW, the plant's facility only); 'battery'/'ev': charge, discharge (kW), soc_end_kwh (stored
    energy at slot end), plugged (EVs, 0/1); 'link' (at each end, peer = the other end): link_in_kw.
    Rows ordered by slot, then facility."""
    idx, fids, n = inputs.index, inputs.facility_ids, inputs.n_slots
    site = inputs.plant.facility if inputs.plant is not None else None
    plant_used = np.array([d.plant_self_kw if f == site else np.full(n, np.nan) for f in fids])
    facility_cols = {
        "load_kw": np.array([f.load_kw for f in inputs.facilities]),
        "pv_forecast_kw": np.array([f.pv_kw for f in inputs.facilities]),
        "pv_used_kw": d.pv_used_kw,
        "import_kw": d.import_kw,
        "export_kw": d.export_kw,
        "plant_used_kw": plant_used,
    }
    parts = [_device_rows(idx, "facility", fids, [""] * len(fids), facility_cols)]
    if inputs.batteries:
        parts.append(
            _device_rows(
                idx,
                "battery",
                [b.facility for b in inputs.batteries],
                [b.key.split("/", 1)[1] for b in inputs.batteries],
                {"charge_kw": d.bat_charge_kw, "discharge_kw": d.bat_discharge_kw, "soc_end_kwh": d.bat_soc_kwh},
            )
        )
    if inputs.evs:
        ev_cols = {"charge_kw": d.ev_charge_kw, "discharge_kw": d.ev_discharge_kw, "soc_end_kwh": d.ev_soc_kwh}
        ev_cols["plugged"] = np.array([e.plugged for e in inputs.evs])
        parts.append(_device_rows(idx, "ev", [e.facility for e in inputs.evs], [e.id for e in inputs.evs], ev_cols))
    if inputs.links:
        ends, ids, peers, flows = link_ends(inputs, d)
        links = _device_rows(idx, "link", ends, ids, {"link_in_kw": flows})
        links.insert(4, "peer", np.repeat(peers, n))
        parts.append(links)
    frame = pd.concat(parts, ignore_index=True)
    frame["peer"] = frame["peer"].fillna("") if "peer" in frame else ""
    order = {fid: k for k, fid in enumerate(fids)}
    frame = frame.assign(_f=frame["facility"].map(order)).sort_values(["slot_start", "_f"], kind="stable")
    return frame.drop(columns="_f").reset_index(drop=True)


def interchange_kwh(inputs: PlanInputs, d: Dispatch) -> np.ndarray:
    """Energy (kWh) per slot that facilities supplied to each other inside the group: exports used by other
    facilities' imports (min of the two totals) plus energy received over physical links (after losses)."""
    via_grid = np.minimum(d.export_kw.sum(axis=0), d.import_kw.sum(axis=0))
    via_links = link_received_kw(inputs, d).sum(axis=0) if inputs.links else 0.0
    return np.asarray((via_grid + via_links) * inputs.hours, dtype=float)


def link_received_kw(inputs: PlanInputs, d: Dispatch) -> np.ndarray:
    """Power arriving at the far end of each link (kW, (L, T)): (1 - loss) x (sent a->b + sent b->a)."""
    kept = np.array([1 - lk.loss_fraction for lk in inputs.links]).reshape(-1, 1)
    return np.asarray(kept * (d.link_ab_kw + d.link_ba_kw))


def interchange_flows(inputs: PlanInputs, d: Dispatch) -> pd.DataFrame:
    """Aggregate from -> to energy (kWh) over the horizon, largest first.

    In each slot the interchanged energy is allocated proportionally: flow(i -> j) = export_i / total export x
    import_j / total import x interchanged; link flows are added as received at the far end (after losses).
    """
    ids = inputs.facility_ids
    total = np.zeros((len(ids), len(ids)))
    exp_sum, imp_sum = d.export_kw.sum(axis=0), d.import_kw.sum(axis=0)
    shared = np.minimum(exp_sum, imp_sum) * inputs.hours
    ok = shared > 1e-9
    if ok.any():
        share_out = d.export_kw[:, ok] / exp_sum[ok]
        share_in = d.import_kw[:, ok] / imp_sum[ok]
        total += np.einsum("it,jt,t->ij", share_out, share_in, shared[ok])
    pos = {fid: k for k, fid in enumerate(ids)}
    for ab, ba, lk in zip(d.link_ab_kw, d.link_ba_kw, inputs.links, strict=True):
        total[pos[lk.a], pos[lk.b]] += float((ab * (1 - lk.loss_fraction) * inputs.hours).sum())
        total[pos[lk.b], pos[lk.a]] += float((ba * (1 - lk.loss_fraction) * inputs.hours).sum())
    i, j = np.nonzero(total > 1e-6)
    frame = pd.DataFrame({"from_facility": [ids[k] for k in i], "to_facility": [ids[k] for k in j], "kwh": total[i, j]})
    return frame.sort_values("kwh", ascending=False, ignore_index=True)


def procurement_frame(inputs: PlanInputs, d: Dispatch) -> pd.DataFrame:
    """The procurement plan per slot (計画値): JEPX purchase/sale, plant output (of which plant_self used behind its
    facility's meter), group totals, interchange; kW columns are slot means, kWh columns the slot's energy."""
    h = inputs.hours
    curtailed = (inputs.plant.forecast_kw - d.plant_kw) if inputs.plant else np.zeros(inputs.n_slots)
    return pd.DataFrame(
        {
            "jepx_slot": [jepx_slot_number(ts) for ts in inputs.index],
            "hours": h,
            "price_jpy_per_kwh": inputs.price_jpy_per_kwh,
            "plant_kw": d.plant_kw,
            "plant_self_kw": d.plant_self_kw,
            "plant_curtailed_kw": curtailed,
            "purchase_kw": d.buy_kw,
            "sale_kw": d.sell_kw,
            "purchase_kwh": d.buy_kw * h,
            "sale_kwh": d.sell_kw * h,
            "plant_kwh": d.plant_kw * h,
            "plant_self_kwh": d.plant_self_kw * h,
            "plant_curtailed_kwh": curtailed * h,
            "facilities_import_kwh": d.import_kw.sum(axis=0) * h,
            "facilities_export_kwh": d.export_kw.sum(axis=0) * h,
            "interchange_kwh": interchange_kwh(inputs, d),
        },
        index=inputs.index.rename("slot_start"),
    )
