"""Data providers in the pvlib.iotools style: ``read_*`` parses a file, ``get_*`` fetches and then reads.

Weather readers return the canonical weather frame of :mod:`forecasts.weather`; the JEPX readers return
prices (JPY/kWh) and volumes (kWh) per 30-min slot start in Asia/Tokyo.
"""

from forecasts.providers.jepx_intraday import read_jepx_intraday
from forecasts.providers.jepx_spot import get_jepx_spot, read_jepx_spot, read_jepx_spot_table
from forecasts.providers.jma import read_jma_csv
from forecasts.providers.openmeteo import fetch_openmeteo_json, get_openmeteo, parse_openmeteo_json, read_openmeteo

__all__ = [
    "fetch_openmeteo_json",
    "get_jepx_spot",
    "get_openmeteo",
    "parse_openmeteo_json",
    "read_jepx_intraday",
    "read_jepx_spot",
    "read_jepx_spot_table",
    "read_jma_csv",
    "read_openmeteo",
]
