"""The 需要調達計画 (demand and procurement plan) of the balancing group for one delivery day, due at 12:00 JST
the day before (OCCTO 計画値同時同量), as one file per delivery day.

Content, per JEPX slot (コマ 1..48 = 00:00-00:30 ... 23:30-24:00 JST), whole kWh: the group's demand (its
facilities' planned import at their meters) and its procurement by source: the waste-to-energy plant's output
that reaches the grid (behind-the-meter use at the plant's own facility excluded), the facilities' planned export
(逆潮流), the spot (JEPX day-ahead) purchase as filled, the bilateral contract (``MarketOperations.bilateral_kw``),
intraday purchases so far; and the sales: spot and intraday. ``差分`` = procurement - sales - demand: what is still
open after the spot fill (traded intraday until gate closure or left to imbalance). The plan is not forced to
balance: OCCTO asks for plans that state the expected position, not artificially balanced ones.

Layout followed: OCCTO's real submission is an XML message of the 広域機関システム business protocol, whose schema
is not in our references; this CSV carries the items of a retailer's 翌日計画 (plan type, target day, balancing
group code, the 48 slots with JEPX slot numbers, demand and procurement by source in kWh integers) and is what an
operator keys in or converts. UTF-8 with BOM (opens in Japanese Excel), one header row, 48 data rows; times JST,
the creation time ISO 8601 with +09:00. File name: ``demand_procurement_<BG code>_<YYYYMMDD>.csv``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.dayahead.result import PlanResult
from optimizer.market.clearing import SpotFill
from scenarios.market_ops import MarketOperations
from scenarios.timegrid import SLOT_HOURS, TZ, day_slots, require_aware

__all__ = ["COLUMNS", "PlanValues", "plan_file_name", "plan_values", "read_plan_values", "write_plan_values"]

PLAN_KIND = "需要調達計画(翌日計画)"
COLUMNS = {
    "demand_kwh": "需要(kWh)",
    "plant_kwh": "調達_発電所(kWh)",
    "facility_export_kwh": "調達_逆潮流(kWh)",
    "spot_purchase_kwh": "調達_スポット(kWh)",
    "bilateral_kwh": "調達_相対(kWh)",
    "intraday_purchase_kwh": "調達_時間前(kWh)",
    "spot_sale_kwh": "販売_スポット(kWh)",
    "intraday_sale_kwh": "販売_時間前(kWh)",
    "open_kwh": "差分(kWh)",
}
"""Energy columns (English name in the frame -> header in the file), kWh per slot."""


@dataclass(frozen=True)
class PlanValues:
    """One delivery day's plan: ``frame`` has the 48 slot starts (Asia/Tokyo) and the integer kWh columns of
    ``COLUMNS`` plus jepx_slot; created_at is tz-aware."""

    delivery_day: dt.date
    balancing_group: str
    frame: pd.DataFrame
    created_at: pd.Timestamp


def plan_file_name(balancing_group: str, delivery_day: dt.date) -> str:
    """``demand_procurement_<BG code>_<YYYYMMDD>.csv``."""
    return f"demand_procurement_{balancing_group}_{delivery_day:%Y%m%d}.csv"


def _whole(kwh: np.ndarray) -> np.ndarray:
    """kWh rounded half up to whole kWh (integers)."""
    return np.floor(np.asarray(kwh, dtype=float) + 0.5 + 1e-9).astype(np.int64)


def plan_values(
    result: PlanResult,
    fill: SpotFill,
    ops: MarketOperations,
    created_at: dt.datetime | pd.Timestamp,
    intraday_kwh: np.ndarray | None = None,
) -> PlanValues:
    """The plan of the delivery day that ``result`` (48 slots from 00:00 JST) covers, with the spot ``fill`` and
    the intraday trades so far (kWh per slot, + bought, - sold; default none)."""
    index = pd.DatetimeIndex(result.inputs.index).tz_convert(TZ)
    day = index[0].date()
    if not index.equals(day_slots(day)) or not fill.frame.index.equals(index):
        raise ValueError(f"result/fill: the plan values need the 48 slots of one delivery day ({day}) in both")
    hours = np.asarray(result.inputs.hours, dtype=float)
    d = result.dispatch
    trades = np.zeros(len(index)) if intraday_kwh is None else np.asarray(intraday_kwh, dtype=float)
    energy = {
        "demand_kwh": _whole(d.import_kw.sum(axis=0) * hours),
        "plant_kwh": _whole((d.plant_kw - d.plant_self_kw) * hours),
        "facility_export_kwh": _whole(d.export_kw.sum(axis=0) * hours),
        "spot_purchase_kwh": _whole(fill.frame["bought_kwh"].to_numpy()),
        "bilateral_kwh": _whole(np.full(len(index), ops.bilateral_kw * SLOT_HOURS)),
        "intraday_purchase_kwh": _whole(np.maximum(trades, 0.0)),
        "spot_sale_kwh": _whole(fill.frame["sold_kwh"].to_numpy()),
        "intraday_sale_kwh": _whole(np.maximum(-trades, 0.0)),
    }
    sources = ("plant_kwh", "facility_export_kwh", "spot_purchase_kwh", "bilateral_kwh", "intraday_purchase_kwh")
    supply = np.sum([energy[k] for k in sources], axis=0)
    energy["open_kwh"] = supply - energy["spot_sale_kwh"] - energy["intraday_sale_kwh"] - energy["demand_kwh"]
    frame = pd.DataFrame(energy, index=index.rename("slot_start"))
    frame.insert(0, "jepx_slot", np.arange(1, len(index) + 1))
    return PlanValues(day, ops.balancing_group_code, frame, require_aware(created_at, "created_at").tz_convert(TZ))


def _slot_times(index: pd.DatetimeIndex) -> tuple[list[str], list[str]]:
    starts = [f"{t:%H:%M}" for t in index]
    ends = [f"{t + pd.Timedelta(minutes=30):%H:%M}" for t in index]
    return starts, [*ends[:-1], "24:00"]


def write_plan_values(values: PlanValues, out_dir: Path) -> Path:
    """Write the plan file into ``out_dir`` (created) and return its path (see the module docstring)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    index = pd.DatetimeIndex(values.frame.index)
    starts, ends = _slot_times(index)
    table = pd.DataFrame(
        {
            "計画種別": PLAN_KIND,
            "対象日": f"{values.delivery_day:%Y/%m/%d}",
            "BGコード": values.balancing_group,
            "コマ": values.frame["jepx_slot"].to_numpy(),
            "開始時刻": starts,
            "終了時刻": ends,
            **{header: values.frame[name].to_numpy() for name, header in COLUMNS.items()},
            "作成日時": values.created_at.isoformat(timespec="seconds"),
        }
    )
    path = out_dir / plan_file_name(values.balancing_group, values.delivery_day)
    table.to_csv(path, index=False, encoding="utf-8-sig")
    return path


def read_plan_values(path: Path) -> pd.DataFrame:
    """A written plan file back as a frame (the file's own headers), kWh columns as integers."""
    return pd.read_csv(path, encoding="utf-8-sig", dtype={h: "int64" for h in COLUMNS.values()})
