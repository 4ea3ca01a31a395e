"""JEPX day-ahead (spot) results in the exchange's own download format (出典：日本卸電力取引所（JEPX）).

JEPX publishes one file per fiscal year (April to March): ``spot_YYYY.csv`` (older name) or
``spot_summary_YYYY.csv``, Shift_JIS, one row per delivery slot. The first columns are the delivery date
(``年月日`` in the older files, ``受渡日`` in the newer, ``YYYY/MM/DD``), ``時刻コード`` (1..48: slot k starts
at (k-1)·30 min JST), bid and contracted volumes in kWh, ``システムプライス(円/kWh)`` and one
``エリアプライス<area>(円/kWh)`` per area; more columns follow (α prices, avoidable cost, block volumes,
FIP reference price) that this reader ignores.

``read_jepx_spot`` parses such a file (a path or the raw bytes) into tz-aware slot starts (Asia/Tokyo);
``get_jepx_spot`` downloads one fiscal year with httpx and a time-out and parses it with the same code.
Prices in JPY/kWh, volumes in kWh.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import httpx
import pandas as pd

from scenarios.timegrid import TZ

logger = logging.getLogger(__name__)

DATE_COLUMNS = ("受渡日", "年月日")
SLOT_COLUMN = "時刻コード"
AREAS = {  # our area name -> the area's name in the JEPX column エリアプライス<name>(円/kWh)
    "hokkaido": "北海道",
    "tohoku": "東北",
    "tokyo": "東京",
    "chubu": "中部",
    "hokuriku": "北陸",
    "kansai": "関西",
    "chugoku": "中国",
    "shikoku": "四国",
    "kyushu": "九州",
}
OTHER_COLUMNS = {
    "システムプライス(円/kWh)": "system_price_jpy_per_kwh",
    "約定総量(kWh)": "contracted_volume_kwh",
    "売り入札量(kWh)": "sell_bid_kwh",
    "買い入札量(kWh)": "buy_bid_kwh",
}
SPOT_URL = "https://www.jepx.jp/js/csv_read.php?dir=spot_summary&file=spot_summary_{fiscal_year}.csv"
ENCODINGS = ("cp932", "utf-8-sig")  # JEPX writes Shift_JIS (cp932 is its Windows superset); a re-saved copy UTF-8


def area_column(area: str) -> str:
    """The JEPX column name of an area's price, e.g. 'chugoku' -> 'エリアプライス中国(円/kWh)'."""
    if area not in AREAS:
        raise ValueError(f"area: unknown JEPX price area '{area}'; use one of {sorted(AREAS)}")
    return f"エリアプライス{AREAS[area]}(円/kWh)"


def decode_jepx(raw: bytes, source: str) -> str:
    """Text of a JEPX CSV: Shift_JIS (cp932) as published, or UTF-8 (with or without BOM)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw.decode("utf-8-sig")
    for encoding in ENCODINGS:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError(f"{source}: not a JEPX CSV (neither Shift_JIS nor UTF-8)")


def slot_starts(dates: pd.Series, slots: pd.Series, source: str) -> pd.DatetimeIndex:
    """Delivery date (YYYY/MM/DD) + 時刻コード (1..48) -> tz-aware slot starts in Asia/Tokyo."""
    codes = pd.to_numeric(slots, errors="coerce")
    bad = codes.isna() | (codes < 1) | (codes > 48) | (codes % 1 != 0)
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise ValueError(f"{source}: 時刻コード must be 1..48; row {row + 2} has '{slots.iloc[row]}'")
    days = pd.to_datetime(dates.astype(str).str.strip(), format="%Y/%m/%d", errors="coerce")
    if days.isna().any():
        row = int(days.isna().to_numpy().nonzero()[0][0])
        raise ValueError(f"{source}: the delivery date must be YYYY/MM/DD; row {row + 2} has '{dates.iloc[row]}'")
    naive = pd.DatetimeIndex(days) + pd.to_timedelta((codes.to_numpy() - 1) * 30, unit="min")
    return pd.DatetimeIndex(naive).tz_localize(TZ).rename("slot_start")


def _frame(text: str, source: str) -> pd.DataFrame:
    raw = pd.read_csv(io.StringIO(text), dtype=str)
    raw.columns = [str(c).strip() for c in raw.columns]
    date_column = next((c for c in DATE_COLUMNS if c in raw.columns), None)
    if date_column is None or SLOT_COLUMN not in raw.columns:
        raise ValueError(
            f"{source}: a JEPX spot file needs a delivery-date column ({' or '.join(DATE_COLUMNS)}) and "
            f"{SLOT_COLUMN}; it has {list(raw.columns)[:6]}"
        )
    raw = raw.dropna(subset=[date_column, SLOT_COLUMN])
    index = slot_starts(raw[date_column], raw[SLOT_COLUMN], source)
    out = pd.DataFrame(index=index)
    for area in AREAS:
        if area_column(area) in raw.columns:
            out[f"{area}_price_jpy_per_kwh"] = pd.to_numeric(raw[area_column(area)], errors="coerce").to_numpy()
    for column, name in OTHER_COLUMNS.items():
        if column in raw.columns:
            out[name] = pd.to_numeric(raw[column], errors="coerce").to_numpy()
    if out.index.has_duplicates:
        first = out.index[out.index.duplicated()][0]
        raise ValueError(f"{source}: slot {first.isoformat()} appears twice")
    return out.sort_index()


def read_jepx_spot_table(source: str | Path | bytes, name: str | None = None) -> pd.DataFrame:
    """Every known column of a JEPX spot file: '<area>_price_jpy_per_kwh' per area present,
    'system_price_jpy_per_kwh', 'contracted_volume_kwh', bid volumes (kWh); index = slot starts (Asia/Tokyo)."""
    label = name or (str(source) if not isinstance(source, bytes) else "JEPX spot file")
    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    return _frame(decode_jepx(raw, label), label)


def read_jepx_spot(source: str | Path | bytes, area: str = "chugoku", name: str | None = None) -> pd.Series:
    """One area's day-ahead price in JPY/kWh per slot start (Asia/Tokyo), name 'price_jpy_per_kwh'.

    ``area`` 'chugoku' is the price Yamaguchi trades at; 'system' gives the system price. Slots whose price
    cell is empty (a file published before the day cleared) are dropped, never filled.
    """
    if area != "system":
        area_column(area)  # an unknown area is refused before the file is read, naming the choices
    table = read_jepx_spot_table(source, name)
    column = "system_price_jpy_per_kwh" if area == "system" else f"{area}_price_jpy_per_kwh"
    if column not in table:
        wanted = "システムプライス(円/kWh)" if area == "system" else area_column(area)
        raise ValueError(f"{name or source!s}: no column {wanted} in the file")
    return table[column].dropna().rename("price_jpy_per_kwh")


def get_jepx_spot(
    fiscal_year: int,
    area: str = "chugoku",
    url: str = SPOT_URL,
    timeout: float = 10.0,
    client: httpx.Client | None = None,
) -> pd.Series:
    """Download the fiscal year's spot file and parse it with :func:`read_jepx_spot` (JPY/kWh per slot start).

    ``url`` may hold ``{fiscal_year}``; ``timeout`` in seconds bounds the request; ``client`` lets callers
    inject a transport (tests). Raises httpx errors on failure or time-out, ValueError on a malformed file.
    """
    target = url.format(fiscal_year=fiscal_year)
    owned = client is None
    http = client or httpx.Client(timeout=timeout)
    try:
        response = http.get(target, timeout=timeout)
        response.raise_for_status()
        prices = read_jepx_spot(response.content, area, name=target)
        logger.info("JEPX spot FY%d fetched: %d slots to %s", fiscal_year, len(prices), prices.index.max())
        return prices
    finally:
        if owned:
            http.close()
