"""The measured load history signs devices by their one kind vocabulary (meter, PV, battery, EV charger)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from runtime.loop.store_forecaster import facility_load_history
from scenarios.loader import load_builtin

NOW = dt.datetime(2026, 5, 1, 3, 0, tzinfo=dt.UTC)


def test_load_history_signs_devices_by_kind():
    # load = meter import + PV generation + battery discharge − EV charging: 10 + 4 + 1 = 15 kW at the centre
    centre = load_builtin("tiny").facility("centre")
    index = pd.DatetimeIndex([pd.Timestamp(NOW)])
    table = pd.DataFrame({"m1": [10.0], "pv1": [4.0], "bat1": [1.0]}, index=index)
    load = facility_load_history(centre, table)
    assert load is not None
    assert load.tolist() == [pytest.approx(15.0)]
    office = load_builtin("tiny").facility("office")  # 20 kW import of which the EV charger takes 6
    table = pd.DataFrame({"m1": [20.0], "v2h1": [6.0]}, index=index)
    load = facility_load_history(office, table)
    assert load is not None
    assert load.tolist() == [pytest.approx(14.0)]
