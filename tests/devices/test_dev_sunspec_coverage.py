"""Issue 14: the SunSpec models read as "not implemented" before, read by the drivers from pysunspec2-built images.

Each image is built by pysunspec2 (its own encoder) and served by a plain pymodbus server; expected values come from
pysunspec2's computed values (``cvalue``), so a wrong offset, SF or sign in our drivers fails here.
"""

from __future__ import annotations

from typing import Any

import pytest
from dev_helpers import ANSWER_TIMEOUT, serve, sunspec_device
from ss2_images import device_words, plain_server

from devices.capabilities import Quality
from devices.drivers.sunspec_battery import BatteryDriver
from devices.drivers.sunspec_meter import MeterDriver
from devices.drivers.sunspec_pv import PVInverterDriver
from devices.inventory import scenario_devices, with_ports
from devices.modbus_client import ModbusConnection
from devices.poller import Poller
from scenarios.device_identity import DeviceKey
from scenarios.loader import load_builtin

METER = {"W": -2345, "W_SF": -1, "TotWhImp": 1234567, "TotWhExp": 7654321, "TotWh_SF": 0, "Hz": 600, "Hz_SF": -1}
FLOAT_METER = {"W": 1234.5, "TotWhImp": 98765.25, "TotWhExp": 4321.5, "Hz": 60.0}


async def _read(driver_cls: Any, models: list[tuple[int, dict[str, Any]]]) -> tuple[dict[str, Any], list[Any]]:
    words, built = device_words(models)
    async with plain_server(words) as port:
        driver = driver_cls(ModbusConnection("127.0.0.1", port, timeout_s=2.0))
        values, bad = await driver.read(full=True)
        driver.conn.close()
    assert bad == []
    return values, built


@pytest.mark.parametrize(("model_id", "data"), [(202, METER), (204, METER), (201, METER), (203, METER)])
async def test_meters_of_every_wiring_read_power_and_energy(model_id: int, data: dict[str, Any]) -> None:
    """202 = split-phase (単相3線), 204 = delta (三相3線): -2345 × 10^-1 W = -234.5 W, i.e. 0.2345 kW export."""
    values, (model,) = await _read(MeterDriver, [(model_id, data)])
    assert values["power_kw"] == pytest.approx(model.points["W"].cvalue / 1000) == pytest.approx(-0.2345)
    assert values["import_kw"] == 0.0
    assert values["export_kw"] == pytest.approx(0.2345)
    assert values["import_kwh"] == pytest.approx(1234.567)
    assert values["export_kwh"] == pytest.approx(7654.321)


@pytest.mark.parametrize("model_id", [211, 212, 213, 214])
async def test_float_meters_read_power_and_energy(model_id: int) -> None:
    values, (model,) = await _read(MeterDriver, [(model_id, FLOAT_METER)])
    assert values["power_kw"] == pytest.approx(model.points["W"].cvalue / 1000) == pytest.approx(1.2345)
    assert values["import_kw"] == pytest.approx(1.2345)
    assert values["import_kwh"] == pytest.approx(98.76525)
    assert values["export_kwh"] == pytest.approx(4.3215)


@pytest.mark.parametrize(
    ("model_id", "data"),
    [
        (101, {"W": 4321, "W_SF": 0, "WH": 5000, "WH_SF": 3, "St": 4}),
        (102, {"W": 4321, "W_SF": 0, "WH": 5000, "WH_SF": 3, "St": 4}),
        (111, {"W": 4321.0, "WH": 5000000.0, "St": 4}),
        (112, {"W": 4321.0, "WH": 5000000.0, "St": 4}),
        (113, {"W": 4321.0, "WH": 5000000.0, "St": 4}),
    ],
)
async def test_single_split_and_float_inverters_read_power(model_id: int, data: dict[str, Any]) -> None:
    """W 4321 W → 4.321 kW; WH 5000 × 10^3 Wh (or 5e6 Wh float) → 5000 kWh; St 4 = MPPT."""
    values, _ = await _read(PVInverterDriver, [(model_id, data)])
    assert values["power_kw"] == pytest.approx(4.321)
    assert values["energy_kwh"] == pytest.approx(5000.0)
    assert values["status"] == 4


async def test_battery_with_124_and_802_but_no_701_reads_soc_and_power() -> None:
    """802 SoC 734 × 10^-1 % = 73.4 % → 0.734; 802 W -1500 × 10^0 W (charging 1.5 kW) → -1.5 kW (+ = discharge);
    124 WChaMax 5000 W is the charge limit."""
    s802 = {"SoC": 734, "SoC_SF": -1, "W": -1500, "W_SF": 0, "WChaRteMax": 5000, "WDisChaRteMax": 4500}
    s802 |= {"AHRtg": 100, "WHRtg": 9800, "AHRtg_SF": 0, "WHRtg_SF": 0, "WChaDisChaMax_SF": 0}
    s124 = {"WChaMax": 5000, "WChaMax_SF": 0, "ChaState": 700, "ChaState_SF": -1, "InOutWRte_SF": 0}
    values, _ = await _read(BatteryDriver, [(124, s124), (802, s802)])
    assert values["soc"] == pytest.approx(0.734)
    assert values["power_kw"] == pytest.approx(-1.5)
    assert values["charge_limit_kw"] == pytest.approx(5.0)
    assert values["discharge_limit_kw"] == pytest.approx(4.5)


FRONIUS_MODULES = [
    {"ID": 1, "IDStr": "MPPT 1", "DCW": 2100},
    {"ID": 2, "IDStr": "MPPT 2", "DCW": 1900},
    {"ID": 3, "IDStr": "StCha 3", "DCW": 0},
    {"ID": 4, "IDStr": "StDisCha 4", "DCW": 1200},
]


async def test_hybrid_unit_splits_pv_and_battery_from_the_mppt_modules() -> None:
    """A Fronius-style hybrid (103 + 160 + 124, no 701/713/802): 103 W = 5100 W is PV and battery together; the PV
    driver reports the PV modules, 2100 + 1900 = 4000 W; the battery driver StDisCha - StCha = 1200 - 0 W =
    +1.2 kW (discharging) and SoC = ChaState 45 %."""
    inverter = {"W": 5100, "W_SF": 0, "WH": 10, "WH_SF": 3, "St": 4}
    mppt = {"DCA_SF": 0, "DCV_SF": 0, "DCW_SF": 0, "DCWH_SF": 0, "N": 4, "module": FRONIUS_MODULES}
    storage = {"WChaMax": 5000, "WChaMax_SF": 0, "ChaState": 45, "ChaState_SF": 0, "InOutWRte_SF": 0}
    models: list[tuple[int, dict[str, Any]]] = [(103, inverter), (160, mppt), (124, storage)]
    pv, _ = await _read(PVInverterDriver, models)
    battery, _ = await _read(BatteryDriver, models)
    assert pv["power_kw"] == pytest.approx(4.0)
    assert battery["power_kw"] == pytest.approx(1.2)
    assert battery["soc"] == pytest.approx(0.45)


async def test_a_pv_inverter_without_storage_keeps_the_ac_power_even_with_160() -> None:
    """160 alone (no 124/802/713) is a plain PV inverter with MPPT data: power_kw stays the AC W (3900 W)."""
    inverter = {"W": 3900, "W_SF": 0, "WH": 10, "WH_SF": 3, "St": 4}
    mppt = {"DCA_SF": 0, "DCV_SF": 0, "DCW_SF": 0, "DCWH_SF": 0, "N": 2, "module": FRONIUS_MODULES[:2]}
    pv, _ = await _read(PVInverterDriver, [(103, inverter), (160, mppt)])
    assert pv["power_kw"] == pytest.approx(3.9)


async def test_a_124_only_battery_is_good_with_its_soc_though_it_reports_no_power() -> None:
    """124 alone (no 701/802, no 160 ports): ChaState 62 % is the SoC; power_kw is None, yet the reading is good (a
    battery needs power or SoC), so the runtime keeps the SoC instead of dropping a 'missing' reading."""
    spec = next(s for s in scenario_devices(load_builtin("tiny")) if s.key == DeviceKey("centre", "bat1"))
    dev = sunspec_device((1, 124))
    dev.image.set_sf(124, "ChaState_SF", 0)
    dev.image.set(124, "ChaState", 62)
    async with serve(dev) as server:
        poller = Poller(with_ports([spec.with_endpoint(timeout_s=ANSWER_TIMEOUT)], {spec.key: server.port}))
        reading = (await poller.cycle(full=True))[0]
        dev.image.set(124, "ChaState", None)
        missing = (await poller.cycle(full=True))[0]
        poller.close()
    assert reading.quality is Quality.GOOD
    assert reading.values["soc"] == pytest.approx(0.62)
    assert reading.values["power_kw"] is None
    assert missing.quality is Quality.MISSING
    assert missing.error == "power_kw and soc not implemented"
