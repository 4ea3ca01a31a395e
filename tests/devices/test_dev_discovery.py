"""Conformance 3: finding "SunS" and walking model chains, including the variants seen in the field."""

from __future__ import annotations

import re

import pytest
from dev_helpers import Fault, connect, serve, sunspec_device

from devices.modbus_client import DeviceExceptionError
from devices.sunspec import DiscoveryError, discover


@pytest.mark.parametrize("base", [40000, 0, 50000])
async def test_suns_found_at_each_standard_base(base: int) -> None:
    async with serve(sunspec_device((1, 103), base=base)) as server:
        smap = await discover(connect(server), 1)
    assert smap.base_address == base
    assert smap.model_ids == [1, 103]
    assert smap.models[1].address == base + 2 + 68


async def test_missing_and_off_by_one_marker_are_not_found() -> None:
    dev = sunspec_device((1, 103), base=40001)  # a device that counts from 1
    async with serve(dev) as server:
        with pytest.raises(DiscoveryError, match="no 'SunS'"):
            await discover(connect(server), 1)
        smap = await discover(connect(server), 1, base_address=40001)  # configured explicitly: works
    assert smap.model_ids == [1, 103]


@pytest.mark.parametrize("model1_length", [65, 66])
async def test_chain_with_vendor_model_and_model_160(model1_length: int) -> None:
    dev = sunspec_device((1, 103, 120, 124), model1_length=model1_length)
    image = dev.image
    assert hasattr(image, "add_raw_model")
    image.words = image.words[:-2]  # take the end marker off, add models, put it back
    image.add_raw_model(160, [0] * (8 + 2 * 20))  # MPPT with 2 modules (laid out from L: legacy count 0)
    image.add_raw_model(64870, [1, 2, 3])  # an SMA-style vendor model
    image.words += [0xFFFF, 0]
    dev.reindex()
    async with serve(dev) as server:
        smap = await discover(connect(server), 1)
    assert smap.model_ids == [1, 103, 120, 124, 160, 64870]
    assert smap.models[0].length == model1_length
    assert not smap.models[0].short
    assert smap.models[1].address == 40002 + 2 + model1_length
    assert any("64870" in w for w in smap.warnings)
    assert not any("160" in w for w in smap.warnings)  # issue 14: model 160 is read, not skipped
    mppt = smap.models[4].table
    assert mppt is not None
    # ID and L, the fixed part (8), module 1 (20), then module 2's ID, IDStr (8), DCA, DCV before its DCW
    assert mppt.point("module[2].DCW").offset == 2 + 8 + 20 + 1 + 8 + 1 + 1
    assert "module[3].DCW" not in mppt.by_name


async def test_no_end_marker_ends_on_illegal_address() -> None:
    async with serve(sunspec_device((1, 103), end_marker=False)) as server:
        smap = await discover(connect(server), 1)
    assert smap.model_ids == [1, 103]
    assert any("no end marker" in w for w in smap.warnings)


async def test_short_model_is_flagged_and_points_beyond_l_are_not_read() -> None:
    from devices.registermap import sunspec_model
    from devices.simulators.image import SunSpecImage
    from devices.simulators.server import SimulatedDevice
    from devices.sunspec import place

    image = SunSpecImage((1,), sf=0)
    image.words = image.words[:-2]
    image.add_model(sunspec_model(103), length=20)  # W at offset 14 is inside, WH at 24 is not
    image.words += [0xFFFF, 0]
    async with serve(SimulatedDevice(1, image)) as server:
        smap = await discover(connect(server), 1)
    assert smap.models[1].short
    assert any("shorter" in w for w in smap.warnings)
    keys = [p.key for p in place(smap, [(103, "W"), (103, "WH")])]
    assert keys == ["103.W"]


async def test_two_model_1_blocks_are_two_logical_devices() -> None:
    from devices.registermap import sunspec_model

    dev = sunspec_device((1, 103))
    dev.image.words = dev.image.words[:-2]
    for model_id in (1, 124):
        dev.image.add_model(sunspec_model(model_id))
    dev.image.words += [0xFFFF, 0]
    dev.reindex()
    async with serve(dev) as server:
        smap = await discover(connect(server), 1)
    assert [(m.model_id, m.logical_device) for m in smap.models] == [(1, 0), (103, 0), (1, 1), (124, 1)]
    assert smap.find(124, 1) is not None
    assert smap.find(124, 0) is None


@pytest.mark.parametrize(
    ("fault", "text"),
    [
        (Fault("exception", code=4), "exception 0x04 (server device failure) while looking for 'SunS' at 40000"),
        (Fault("exception", code=6), "exception 0x06 (server device busy) while looking for 'SunS' at 40000"),
        (Fault("gateway"), "exception 0x0b (gateway target device failed to respond) while looking for 'SunS'"),
    ],
)
async def test_discovery_reports_device_exceptions_as_what_they_are(fault: Fault, text: str) -> None:
    """Issue 14: exceptions 4/6/0x0B used to end in "no 'SunS' marker"; only 1-3 (nothing here) try the next base."""
    dev = sunspec_device((1, 103))
    dev.fault = fault
    async with serve(dev) as server:
        with pytest.raises(DeviceExceptionError, match=re.escape(text)) as caught:
            await discover(connect(server), 1)
    assert caught.value.code == (fault.code if fault.kind == "exception" else 0x0B)


async def test_illegal_address_at_every_base_is_still_no_marker() -> None:
    dev = sunspec_device((1, 103), base=0)
    dev.fault = Fault("exception", code=2)
    async with serve(dev) as server:
        with pytest.raises(DiscoveryError, match="no 'SunS' marker at \\[40000, 0, 50000\\]"):
            await discover(connect(server), 1)
