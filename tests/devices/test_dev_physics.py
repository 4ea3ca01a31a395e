"""Simulator physics: clear sky, PV on the array plane, battery integration within limits, EV plug schedules."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from devices.simulators.physics import BatterySim, EVSim, plugged
from devices.simulators.solar import haurwitz_ghi, poa_irradiance, pv_ac_kw, solar_vector
from scenarios.assets import Battery, EVCharger, PVArray
from scenarios.model import ElectricVehicle, PlugWindow

JST = dt.timezone(dt.timedelta(hours=9))
YAMAGUCHI = (34.18, 131.47)


def test_haurwitz_at_zenith_and_below_horizon() -> None:
    assert haurwitz_ghi(1.0) == pytest.approx(1098 * math.exp(-0.057))
    assert haurwitz_ghi(0.0) == 0.0
    assert haurwitz_ghi(-0.3) == 0.0


def test_sun_position_noon_equinox_and_solstice() -> None:
    # equinox, solar noon on the equator at longitude 0: the sun is (almost) overhead
    _, _, up = solar_vector(dt.datetime(2026, 3, 20, 12, 7, tzinfo=dt.UTC), 0.0, 0.0)
    assert up == pytest.approx(1.0, abs=0.002)
    # June solstice, local solar noon at Yamaguchi: elevation = 90 - 34.18 + 23.44
    equation_of_time_min = -1.7
    noon = dt.datetime(2026, 6, 21, 12, 0, tzinfo=JST) + dt.timedelta(
        minutes=4 * (135 - YAMAGUCHI[1]) - equation_of_time_min
    )
    east, _, up = solar_vector(noon, *YAMAGUCHI)
    assert math.degrees(math.asin(up)) == pytest.approx(90 - 34.18 + 23.44, abs=0.5)
    assert abs(east) < 0.01
    with pytest.raises(ValueError, match="tz-aware"):
        solar_vector(dt.datetime(2026, 6, 21, 12), *YAMAGUCHI)  # noqa: DTZ001 - the naive time is the input under test


def test_pv_follows_the_plane_and_clips() -> None:
    morning = dt.datetime(2026, 6, 21, 8, 0, tzinfo=JST)
    east_poa = poa_irradiance(morning, *YAMAGUCHI, 30, 90)
    west_poa = poa_irradiance(morning, *YAMAGUCHI, 30, 270)
    assert east_poa > 1.5 * west_poa  # an east-facing array gets more in the morning
    array = PVArray(id="a", kwp=100, inverter_kw=50)
    noon = dt.datetime(2026, 6, 21, 12, 15, tzinfo=JST)
    assert pv_ac_kw(array, noon, *YAMAGUCHI) == 50.0  # clipped at the inverter
    assert pv_ac_kw(array, noon, *YAMAGUCHI, cloud_factor=0.2) == pytest.approx(
        pv_ac_kw(PVArray(id="b", kwp=100, inverter_kw=500), noon, *YAMAGUCHI, cloud_factor=0.2)
    )
    assert pv_ac_kw(array, dt.datetime(2026, 6, 21, 23, 0, tzinfo=JST), *YAMAGUCHI) == 0.0


def test_battery_integrates_its_setpoint_within_limits() -> None:
    b = Battery(
        id="b",
        capacity_kwh=100,
        charge_kw=50,
        discharge_kw=40,
        charge_efficiency=0.9,
        discharge_efficiency=0.8,
        soc_min=0.1,
        soc_max=0.9,
        initial_soc=0.5,
    )
    sim = BatterySim(b)
    t0 = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
    sim.setpoint_kw = -80  # asks for more than the charge limit
    assert sim.step(t0) == -50
    sim.step(t0 + dt.timedelta(minutes=30))  # 25 kWh AC in, 22.5 kWh stored
    assert sim.soc == pytest.approx(0.5 + 22.5 / 100)
    sim.setpoint_kw = 40
    sim.step(t0 + dt.timedelta(minutes=30))
    sim.step(t0 + dt.timedelta(minutes=60))  # 20 kWh AC out, 25 kWh from storage
    assert sim.soc == pytest.approx(0.725 - 0.25)
    sim.soc = 0.1
    assert sim.step(t0 + dt.timedelta(minutes=60)) == 0.0  # empty: no discharge below soc_min
    sim.setpoint_kw, sim.setpoint_expires = -10, t0 + dt.timedelta(hours=2)
    assert sim.step(t0 + dt.timedelta(minutes=90)) == -10
    assert sim.step(t0 + dt.timedelta(hours=2)) == 0.0
    assert sim.setpoint_kw is None


def test_ev_charges_only_while_plugged() -> None:
    ev = ElectricVehicle(
        id="car",
        model="x",
        capacity_kwh=40,
        home_facility="f",
        charge_kw=6,
        initial_soc=0.5,
        weekday=[PlugWindow(start=dt.time(18), end=dt.time(7))],
    )
    monday_night = dt.datetime(2026, 11, 23, 20, 0, tzinfo=JST)
    assert plugged(ev, monday_night)
    assert plugged(ev, monday_night + dt.timedelta(hours=10))
    assert not plugged(ev, monday_night + dt.timedelta(hours=16))
    sim = EVSim(EVCharger(id="c", power_kw=11), cars=[ev])
    assert sim.step(monday_night) == 6  # uncontrolled: the car's limit
    sim.step(monday_night + dt.timedelta(hours=1))
    assert sim.socs["car"] == pytest.approx(0.5 + 6 / 40)
    assert sim.step(monday_night + dt.timedelta(hours=16)) == 0.0
