"""JEPX intraday market (時間前市場) results per delivery slot (出典：日本卸電力取引所（JEPX）).

The exchange's layout, as shipped in ``scenarios/data/jepx_intraday_fy2023_fy2024.csv``: ``年月日``
(YYYY/MM/DD, delivery date), ``時刻コード`` (1..48, slot k starts at (k-1)·30 min JST), ``始値/高値/安値/終値/
平均(円/kWh)`` (open, high, low, close, volume-weighted average), ``約定量合計(kWh)`` and ``約定件数`` (trades).
The intraday market is national: one price series, no area split. Shift_JIS as downloaded, or UTF-8.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from forecasts.providers.jepx_spot import decode_jepx, slot_starts

DATE_COLUMN = "年月日"
SLOT_COLUMN = "時刻コード"
COLUMNS = {
    "始値(円/kWh)": "open_jpy_per_kwh",
    "高値(円/kWh)": "high_jpy_per_kwh",
    "安値(円/kWh)": "low_jpy_per_kwh",
    "終値(円/kWh)": "close_jpy_per_kwh",
    "平均(円/kWh)": "average_jpy_per_kwh",
    "約定量合計(kWh)": "volume_kwh",
    "約定件数": "trades",
}


def read_jepx_intraday(source: str | Path | bytes, name: str | None = None) -> pd.DataFrame:
    """Intraday results per slot start (Asia/Tokyo): open/high/low/close/average in JPY/kWh, volume_kwh, trades.

    A slot with no trade has empty prices (NaN), kept as NaN: never filled.
    """
    label = name or (str(source) if not isinstance(source, bytes) else "JEPX intraday file")
    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    table = pd.read_csv(io.StringIO(decode_jepx(raw, label)), dtype=str)
    table.columns = [str(c).strip() for c in table.columns]
    missing = [c for c in (DATE_COLUMN, SLOT_COLUMN, "平均(円/kWh)") if c not in table.columns]
    if missing:
        raise ValueError(f"{label}: a JEPX intraday file needs columns {missing}; it has {list(table.columns)[:6]}")
    table = table.dropna(subset=[DATE_COLUMN, SLOT_COLUMN])
    out = pd.DataFrame(index=slot_starts(table[DATE_COLUMN], table[SLOT_COLUMN], label))
    for column, target in COLUMNS.items():
        if column in table.columns:
            out[target] = pd.to_numeric(table[column], errors="coerce").to_numpy()
    if out.index.has_duplicates:
        raise ValueError(f"{label}: slot {out.index[out.index.duplicated()][0].isoformat()} appears twice")
    return out.sort_index()
