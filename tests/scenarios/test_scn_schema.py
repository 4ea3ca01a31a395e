"""Scenario schema: good and bad inputs, located errors, consistency checks."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from scenarios.checks import ScenarioError, scenario_problems
from scenarios.loader import builtin_data, builtin_names, load_builtin, parse_scenario


def tiny_data() -> dict[str, Any]:
    data: dict[str, Any] = builtin_data("tiny")
    return data


def problems_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data)
    return [str(p) for p in info.value.problems]


def test_builtins_load_and_are_consistent() -> None:
    assert set(builtin_names()) >= {"yamaguchi", "tiny"}
    for name in builtin_names():
        assert scenario_problems(load_builtin(name)) == []


def test_yamaguchi_matches_the_city_facts() -> None:
    s = load_builtin("yamaguchi")
    assert len(s.supplied) == 37
    centres = [f for f in s.facilities if f.kind == "community_centre"]
    assert len(centres) == 21
    assert all(f.is_shelter for f in centres)
    ogori = s.facility("ogori-branch")
    assert ogori.pv_kwp == pytest.approx(72.2)
    assert ogori.pv_arrays[0].inverter_kw == pytest.approx(45.2)
    assert ogori.battery_kwh == pytest.approx(9.8)
    for centre in ("hirakawa-cc", "ohtoshi-cc"):
        assert s.facility(centre).battery_kwh == pytest.approx(9.8)
    bz4x = next(e for e in s.evs if e.model.startswith("Toyota bZ4X (2023)"))
    assert bz4x.capacity_kwh == pytest.approx(71.4)
    assert bz4x.v2h_kw == pytest.approx(6.0)
    cpod = next(e for e in s.evs if "C+pod" in e.model)
    assert cpod.v2h_kw == 0
    assert cpod.v2l_kw == pytest.approx(1.5)
    assert len([e for e in s.evs if e.owner == "dealer"]) >= 5
    assert s.plant is not None
    assert s.plant.must_run_min_kw < s.plant.typical_output_kw <= s.plant.capacity_kw


def test_negative_capacity_is_located() -> None:
    data = tiny_data()
    data["facilities"][0]["batteries"][0]["capacity_kwh"] = 0
    assert "facilities[0].batteries[0].capacity_kwh: must be > 0" in problems_of(data)


def test_every_error_is_reported_not_just_the_first() -> None:
    data = tiny_data()
    data["facilities"][0]["batteries"][0]["capacity_kwh"] = -1
    data["facilities"][2]["pv_arrays"][0]["tilt_deg"] = 95
    data["facilities"][1]["colour"] = "red"
    found = problems_of(data)
    assert "facilities[0].batteries[0].capacity_kwh: must be > 0" in found
    assert "facilities[2].pv_arrays[0].tilt_deg: must be <= 90" in found
    assert any(p.startswith("facilities[1].colour: unknown field") for p in found)
    assert len(found) == 3


def test_missing_required_field() -> None:
    data = tiny_data()
    del data["facilities"][1]["grid_contract_kw"]
    assert "facilities[1].grid_contract_kw: is required" in problems_of(data)


def test_soc_limits_out_of_order() -> None:
    data = tiny_data()
    data["facilities"][0]["batteries"][0].update(soc_min=0.9, soc_max=0.5)
    assert any(p.startswith("facilities[0].batteries[0]: soc_min (0.9) must be < soc_max") for p in problems_of(data))


def test_consistency_checks_name_facility_asset_and_field() -> None:
    data = tiny_data()
    data["evs"][0]["home_facility"] = "nowhere"
    data["facilities"][0]["batteries"][0]["reserve_soc"] = 0.99
    data["facilities"][2]["meters"][0]["modbus"]["port"] = 21001
    found = problems_of(data)
    assert "evs[0].home_facility: EV 'ev1': unknown facility 'nowhere'" in found
    assert any(p.startswith("facilities[0].batteries[0].reserve_soc: facility 'centre' battery 'bat1'") for p in found)
    assert any(p.startswith("facilities[2].meters[0].modbus: 127.0.0.1:21001 unit 1 is also used by") for p in found)


def test_duplicate_ids_and_v2h_without_bidirectional_charger() -> None:
    data = tiny_data()
    data["facilities"][2]["id"] = "centre"
    data["facilities"][1]["ev_chargers"][0].update(bidirectional=False, discharge_kw=0)
    found = problems_of(data)
    assert "facilities[2].id: duplicate facility id 'centre'; make it unique" in found
    assert any(p.startswith("evs[0].v2h_kw: EV 'ev1' has v2h_kw 6.0 but facility 'office'") for p in found)


def test_new_cost_fields_are_validated_with_their_location() -> None:
    data = tiny_data()
    data["plant"]["facility_id"] = "school"
    data["facilities"][2]["supplied"] = False
    data["plant"]["ramp_kw_per_slot"] = -5
    data["facilities"][0]["export_limit_kw"] = -1
    data["evs"][0]["v2h_max_kwh_per_24h"] = 0
    data["evs"][0]["bookings"] = [{"start": "2024-08-01T10:00:00+09:00", "end": "2024-08-01T09:00:00+09:00"}]
    found = problems_of(data)
    assert any(p.startswith("plant.ramp_kw_per_slot:") for p in found), found
    assert any(p.startswith("facilities[0].export_limit_kw:") for p in found), found
    assert any(p.startswith("evs[0].v2h_max_kwh_per_24h:") for p in found), found
    assert any(p.startswith("evs[0].bookings[0]") and "end must be after start" in p for p in found), found
    data = tiny_data()
    data["plant"]["facility_id"] = "school"
    data["facilities"][2]["supplied"] = False
    assert any(p.startswith("plant.facility_id: facility 'school' is not supplied") for p in problems_of(data))


def test_charger_discharge_needs_bidirectional() -> None:
    data = tiny_data()
    data["facilities"][1]["ev_chargers"][0]["bidirectional"] = False
    assert any("discharge_kw > 0 needs bidirectional: true" in p for p in problems_of(data))


def test_models_are_frozen() -> None:
    s = load_builtin("tiny")
    with pytest.raises(Exception, match="frozen"):
        s.facilities[0].grid_contract_kw = 1  # type: ignore[misc]


def test_valid_edit_is_accepted() -> None:
    data = copy.deepcopy(tiny_data())
    data["facilities"][0]["batteries"][0]["capacity_kwh"] = 22
    assert parse_scenario(data).facility("centre").battery_kwh == 22
