"""Investment verifications as tasks of the batch module: in process and on a real Dask LocalCluster, the same
results in the same order (the task function and its items travel to the worker processes)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.invest.verify import SiteTask, verify_site
from optimizer.outage.inputs import StationaryBattery
from runtime.batch import BatchSettings, run_tasks


def task(site: str, kwh: float) -> SiteTask:
    """1 kW for a day of 48 slots with a 24-h outage window (a single start): kwh of lossless battery, no PV."""
    n = 48
    return SiteTask(
        site=site,
        index=pd.date_range("2024-05-01", periods=2 * n - 1, freq="30min", tz="Asia/Tokyo"),
        critical_kw=np.ones(2 * n - 1),
        pv_kw=np.zeros(2 * n - 1),
        load_kw=np.ones(n),
        price_jpy_per_kwh=np.full(n, 10.0),
        battery=StationaryBattery(
            kwh, 5.0, 5.0, charge_efficiency=1.0, discharge_efficiency=1.0, soc_start=0.9, soc_min=0.1, soc_max=0.95
        ),
        cars=(),
        duration_slots=n,
        export_limit_kw=None,
        wheeling_jpy_per_kwh=4.0,
        sale_discount_jpy_per_kwh=0.5,
        basic_charge_jpy_per_kw_month=0.0,
    )


def test_dask_and_in_process_agree() -> None:
    """30 kWh x 0.8 = 24 kWh carries 1 kW for 24 h; 15 kWh gives 12 h. A day of 1 kW at 14 JPY/kWh = 336 JPY."""
    tasks = [task("a", 30.0), task("b", 15.0)]
    local = run_tasks(verify_site, tasks, label="test", settings=BatchSettings(workers=0))
    remote = run_tasks(verify_site, tasks, label="test", settings=BatchSettings(workers=1))
    assert [v.site for v in remote] == ["a", "b"]
    assert [float(v.hours_fleet[0]) for v in local] == [24.0, 12.0]
    assert [float(v.hours_fleet[0]) for v in remote] == [24.0, 12.0]
    assert local[0].energy_jpy == remote[0].energy_jpy == 48 * 0.5 * 14.0
