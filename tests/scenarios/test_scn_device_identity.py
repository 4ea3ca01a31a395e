"""The one device-kind vocabulary and the typed device key ("facility/device", made and read in one place)."""

from __future__ import annotations

import pytest

from scenarios.assets import Battery, EVCharger, Meter, PVArray
from scenarios.device_identity import Asset, DeviceKey, DeviceKind, FacilityAsset, asset_kinds, facility_assets, kind_of
from scenarios.loader import load_builtin


def test_key_text_form_round_trips_and_sorts_by_facility_then_device() -> None:
    key = DeviceKey("city-hall", "bat1")
    assert str(key) == "city-hall/bat1"
    assert DeviceKey.parse("city-hall/bat1") == key
    assert {key: 1}[DeviceKey.parse(str(key))] == 1  # hashable, equal by value
    assert sorted([DeviceKey("b", "a"), DeviceKey("a", "z"), DeviceKey("a", "b")]) == [
        DeviceKey("a", "b"),
        DeviceKey("a", "z"),
        DeviceKey("b", "a"),
    ]


@pytest.mark.parametrize("text", ["bat1", "/bat1", "centre/", "a/b/c", ""])
def test_malformed_key_text_names_the_field_and_the_form(text: str) -> None:
    with pytest.raises(ValueError, match=r"ports key: .* is not 'facility/device' \(e\.g\. 'city-hall/bat1'\)"):
        DeviceKey.parse(text, "ports key")


@pytest.mark.parametrize(("facility", "device"), [("a/b", "c"), ("a", "b/c"), ("", "c"), ("a", "")])
def test_key_parts_may_not_be_empty_or_hold_the_separator(facility: str, device: str) -> None:
    with pytest.raises(ValueError, match="must be non-empty and contain no '/'"):
        DeviceKey(facility, device)


def test_every_asset_type_has_one_kind_and_the_spelling_is_the_devices() -> None:
    assets: list[Asset] = [
        PVArray(id="pv1", kwp=10, inverter_kw=8),
        Battery(id="b1", capacity_kwh=10, charge_kw=5, discharge_kw=5),
        EVCharger(id="ev1", power_kw=6),
        Meter(id="m1"),
    ]
    assert [kind_of(a) for a in assets] == [DeviceKind.PV, DeviceKind.BATTERY, DeviceKind.EV, DeviceKind.METER]
    assert [k.value for k in DeviceKind] == ["pv_inverter", "battery", "ev_charger", "meter"]


def test_facility_assets_are_listed_kind_by_kind_with_their_scenario_paths() -> None:
    centre = load_builtin("tiny").facility("centre")  # pv1, bat1, m1
    listed = list(facility_assets(centre))
    assert [(a.kind, a.asset.id) for a in listed] == [
        (DeviceKind.PV, "pv1"),
        (DeviceKind.BATTERY, "bat1"),
        (DeviceKind.METER, "m1"),
    ]
    assert listed[1] == FacilityAsset(DeviceKind.BATTERY, 0, centre.batteries[0])
    assert listed[1].path(0) == "facilities[0].batteries[0]"
    meters_first = [a.kind for a in facility_assets(centre, (DeviceKind.METER, DeviceKind.PV))]
    assert meters_first == [DeviceKind.METER, DeviceKind.PV]
    assert asset_kinds(centre) == {"pv1": DeviceKind.PV, "bat1": DeviceKind.BATTERY, "m1": DeviceKind.METER}
