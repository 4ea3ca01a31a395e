"""Weather providers in the pvlib.iotools style: ``read_*`` parses a file, ``get_*`` fetches and then reads.

Every reader returns the canonical weather frame of :mod:`forecasts.weather`.
"""

from forecasts.providers.jma import read_jma_csv
from forecasts.providers.openmeteo import get_openmeteo, parse_openmeteo_json, read_openmeteo

__all__ = ["get_openmeteo", "parse_openmeteo_json", "read_jma_csv", "read_openmeteo"]
