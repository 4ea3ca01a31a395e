"""JEPX readers: the spot file in the exchange's own layout (Shift_JIS) and the shipped intraday results.

The spot files here are built from the shipped prices (scenarios/data/jepx_spot_chugoku_fy2023_fy2024.csv) in
the exchange's layout: the real system price, Chugoku price and contracted volume of those slots; the other
areas' prices and the bid volumes are not shipped, so those cells hold the system price and are left empty.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from forecasts.providers import get_jepx_spot, read_jepx_intraday, read_jepx_spot, read_jepx_spot_table
from forecasts.providers.jepx_spot import AREAS, area_column
from scenarios.datasets import data_path

SHIPPED = data_path("jepx_spot_chugoku_fy2023_fy2024.csv")


def shipped_days(first: str, days: int) -> pd.DataFrame:
    table = pd.read_csv(SHIPPED)
    day = pd.to_datetime(table["delivery_date"])
    keep = (day >= pd.Timestamp(first)) & (day < pd.Timestamp(first) + pd.Timedelta(days=days))
    return table[keep].reset_index(drop=True)


def spot_file_bytes(rows: pd.DataFrame, date_header: str = "受渡日", encoding: str = "cp932") -> bytes:
    """A JEPX spot_summary file (header as JEPX publishes it, first 15 columns + one trailing column)."""
    header = [
        date_header,
        "時刻コード",
        "売り入札量(kWh)",
        "買い入札量(kWh)",
        "約定総量(kWh)",
        "システムプライス(円/kWh)",
    ]
    header += [area_column(a) for a in AREAS] + ["スポット・時間前平均価格(円/kWh)"]
    lines = [",".join(header)]
    for r in rows.itertuples(index=False):
        areas = [
            f"{r.chugoku_price_jpy_per_kwh:.2f}" if a == "chugoku" else f"{r.system_price_jpy_per_kwh:.2f}"
            for a in AREAS
        ]
        day = str(r.delivery_date).replace("-", "/")
        cells = [
            day,
            str(r.slot),
            "",
            "",
            str(r.contracted_volume_kwh),
            f"{r.system_price_jpy_per_kwh:.2f}",
            *areas,
            "",
        ]
        lines.append(",".join(cells))
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def test_spot_file_in_jepx_layout_gives_chugoku_prices_on_slot_starts(tmp_path: Path) -> None:
    rows = shipped_days("2024-08-01", 2)
    path = tmp_path / "spot_summary_2024.csv"
    path.write_bytes(spot_file_bytes(rows))
    assert "エリアプライス中国".encode("cp932") in path.read_bytes()  # really Shift_JIS, not UTF-8
    prices = read_jepx_spot(path)
    assert len(prices) == 96
    assert prices.index[0] == pd.Timestamp("2024-08-01 00:00", tz="Asia/Tokyo")  # 時刻コード 1 = 00:00-00:30
    assert prices.index[47] == pd.Timestamp("2024-08-01 23:30", tz="Asia/Tokyo")  # 時刻コード 48
    assert str(pd.DatetimeIndex(prices.index).tz) == "Asia/Tokyo"
    expected = pd.Series(
        rows["chugoku_price_jpy_per_kwh"].to_numpy(),
        index=pd.DatetimeIndex(pd.to_datetime(rows["slot_start_jst"], utc=True)).tz_convert("Asia/Tokyo"),
    )
    np.testing.assert_allclose(prices.to_numpy(), expected.round(2).to_numpy())
    assert (prices.index == expected.index).all()
    system = read_jepx_spot(path, area="system")
    np.testing.assert_allclose(system.to_numpy(), rows["system_price_jpy_per_kwh"].round(2).to_numpy())
    table = read_jepx_spot_table(path)
    assert table["contracted_volume_kwh"].iloc[0] == rows["contracted_volume_kwh"].iloc[0]
    assert table["sell_bid_kwh"].isna().all()


def test_older_spot_file_header_and_utf8_copy(tmp_path: Path) -> None:
    rows = shipped_days("2023-04-01", 1)
    old = tmp_path / "spot_2023.csv"
    old.write_bytes(spot_file_bytes(rows, date_header="年月日"))
    utf8 = tmp_path / "spot_2023_utf8.csv"
    utf8.write_bytes(spot_file_bytes(rows, date_header="年月日", encoding="utf-8-sig"))
    a, b = read_jepx_spot(old), read_jepx_spot(utf8)
    pd.testing.assert_series_equal(a, b)
    assert a.iloc[0] == pytest.approx(5.84)  # FY2023's first slot, Chugoku (the shipped value)


def test_bad_spot_files_name_the_problem(tmp_path: Path) -> None:
    rows = shipped_days("2024-08-01", 1)
    text = spot_file_bytes(rows).decode("cp932")
    bad_slot = tmp_path / "bad_slot.csv"
    bad_slot.write_bytes(text.replace("2024/08/01,3,", "2024/08/01,49,", 1).encode("cp932"))
    with pytest.raises(ValueError, match=r"時刻コード must be 1\.\.48; row 4 has '49'"):
        read_jepx_spot(bad_slot)
    bad_date = tmp_path / "bad_date.csv"
    bad_date.write_bytes(text.replace("2024/08/01,2,", "2024-08-01,2,", 1).encode("cp932"))
    with pytest.raises(ValueError, match="YYYY/MM/DD; row 3"):
        read_jepx_spot(bad_date)
    other = tmp_path / "other.csv"
    other.write_text("slot_start,price\n2024-08-01T00:00+09:00,10\n", encoding="utf-8")
    with pytest.raises(ValueError, match="delivery-date column"):
        read_jepx_spot(other)
    with pytest.raises(ValueError, match="unknown JEPX price area 'yamaguchi'"):
        read_jepx_spot(tmp_path / "other.csv", area="yamaguchi")


def test_get_jepx_spot_fetches_with_timeout_and_parses() -> None:
    body = spot_file_bytes(shipped_days("2024-08-01", 1))
    seen: dict[str, object] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["url"] = str(request.url)
        seen["timeout"] = request.extensions.get("timeout")
        return httpx.Response(200, content=body, headers={"content-type": "text/csv; charset=Shift_JIS"})

    client = httpx.Client(transport=httpx.MockTransport(handler))
    prices = get_jepx_spot(2024, timeout=2.5, client=client)
    assert len(prices) == 48
    assert "spot_summary_2024.csv" in str(seen["url"])
    assert seen["timeout"] == {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}
    failing = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(404)))
    with pytest.raises(httpx.HTTPStatusError):
        get_jepx_spot(2024, client=failing)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(httpx.TimeoutException):
        get_jepx_spot(2024, client=httpx.Client(transport=httpx.MockTransport(slow)))


def test_intraday_reader_on_the_shipped_file() -> None:
    path = data_path("jepx_intraday_fy2023_fy2024.csv")
    intraday = read_jepx_intraday(path)
    assert len(intraday) == 35_088
    assert intraday.index[0] == pd.Timestamp("2023-04-01 00:00", tz="Asia/Tokyo")
    assert intraday.index[-1] == pd.Timestamp("2025-03-31 23:30", tz="Asia/Tokyo")
    first = intraday.iloc[0]  # 2023/04/01,1,14.79,16.64,5.74,14.68,10.55,157850,77
    assert (first["open_jpy_per_kwh"], first["high_jpy_per_kwh"], first["low_jpy_per_kwh"]) == (14.79, 16.64, 5.74)
    assert (first["average_jpy_per_kwh"], first["volume_kwh"], first["trades"]) == (10.55, 157850, 77)
    traded = intraday.dropna(subset=["high_jpy_per_kwh"])
    assert (traded["low_jpy_per_kwh"] <= traded["average_jpy_per_kwh"] + 1e-9).all()
    assert (traded["average_jpy_per_kwh"] <= traded["high_jpy_per_kwh"] + 1e-9).all()
    # Shift_JIS as JEPX serves it parses the same
    sjis = read_jepx_intraday(Path(path).read_text(encoding="utf-8").encode("cp932"))
    pd.testing.assert_frame_equal(sjis, intraday)
