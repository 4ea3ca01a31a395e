"""Every driver fills exactly its capability's fields (with the units of FIELDS) and the typed records agree."""

from __future__ import annotations

import dataclasses

from service_fixtures import with_generous_timeouts

from devices.capabilities import FIELDS, VALUE_TYPES, BatteryValues, Quality
from runtime.facades.telemetry import poll_once, running_simulators
from scenarios.device_identity import DeviceKind
from scenarios.loader import builtin_data, parse_scenario


def test_fields_document_every_typed_field() -> None:
    for kind, cls in VALUE_TYPES.items():
        assert [f.name for f in dataclasses.fields(cls)] == list(FIELDS[kind]), kind
    assert "discharge to the site" in FIELDS[DeviceKind.BATTERY]["power_kw"]
    assert "discharge to the site" in (BatteryValues.__doc__ or "")


async def test_full_poll_fills_every_field_of_every_kind() -> None:
    scenario = parse_scenario(with_generous_timeouts(builtin_data("tiny")), "tiny")  # the simulators answer
    async with running_simulators(scenario, port_base=0) as fleet:
        readings = await poll_once(scenario, port_map=fleet.port_map)
    assert {r.kind for r in readings} == set(DeviceKind)
    for r in readings:
        assert r.quality is Quality.GOOD
        assert set(r.values) == set(FIELDS[r.kind]), r.key
        typed = r.typed()
        assert isinstance(typed, VALUE_TYPES[r.kind])
        assert typed.power_kw == r.values["power_kw"]
