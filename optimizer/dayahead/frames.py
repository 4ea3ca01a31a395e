"""Tables of a plan: the tidy schedule, the procurement plan per slot and the interchange between facilities.

Slots are named by their start (tz-aware); powers are slot means in kW, energies in kWh.
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

    Facility rows (device ''): load_kw, pv_forecast_kw, pv_used_kw, import_kw, export_kw; battery rows:
    charge_kw, discharge_kw, soc_kwh; EV rows: charge_kw, discharge_kw, soc_kwh, plugged; link rows
    (facility = the link's 'a' end): flow_kw (positive a -> b).
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
        parts.append(_block(idx, [lk.a for lk in inputs.links], [lk.id for lk in inputs.links], "flow_kw", d.link_kw))
    return pd.concat(parts, ignore_index=True)


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
    """The procurement plan per slot (計画値): JEPX purchase/sale, plant output, group totals, interchange."""
    h = inputs.hours
    curtailed = (inputs.plant.forecast_kw - d.plant_kw) if inputs.plant else np.zeros(inputs.n_slots)
    return pd.DataFrame(
        {
            "jepx_slot": [jepx_slot_number(ts) for ts in inputs.index],
            "hours": h,
            "price_jpy_per_kwh": inputs.price_jpy_per_kwh,
            "plant_kw": d.plant_kw,
            "plant_curtailed_kw": curtailed,
            "purchase_kw": d.buy_kw,
            "sale_kw": d.sell_kw,
            "purchase_kwh": d.buy_kw * h,
            "sale_kwh": d.sell_kw * h,
            "facilities_import_kwh": d.import_kw.sum(axis=0) * h,
            "facilities_export_kwh": d.export_kw.sum(axis=0) * h,
            "interchange_kwh": interchange_kwh(inputs, d),
        },
        index=inputs.index.rename("slot_start"),
    )
