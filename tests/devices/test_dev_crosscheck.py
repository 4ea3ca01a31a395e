"""Conformance 10: cross-check against pysunspec2 (its own Modbus client, not pymodbus).

pysunspec2 scans our simulators and reads the same values; our driver scans a pysunspec2 device image
(device_1547.json) served by a plain pymodbus server and reads the same values as pysunspec2's file client.
"""

from __future__ import annotations

import asyncio
import math
import struct
from pathlib import Path
from typing import Any

import pytest
import sunspec2
import sunspec2.file.client as file_client
import sunspec2.modbus.client as modbus_client
from dev_helpers import serve, sunspec_device
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from devices.modbus_client import ModbusConnection
from devices.readplan import plan_blocks
from devices.registermap import sunspec_models
from devices.sunspec import discover, place, read_blocks

DEVICE_1547 = Path(sunspec2.__file__).parent / "tests" / "test_data" / "device_1547.json"


def _same(ours: Any, theirs: Any) -> bool:
    if ours is None or theirs is None:
        return ours is None and theirs is None
    if isinstance(ours, float) or isinstance(theirs, float):
        return math.isclose(float(ours), float(theirs), rel_tol=1e-9, abs_tol=1e-9)
    return bool(ours == theirs)


def _pysunspec2_scan(port: int) -> dict[int, dict[str, Any]]:
    device = modbus_client.SunSpecModbusClientDeviceTCP(slave_id=1, ipaddr="127.0.0.1", ipport=port, timeout=2)
    try:
        device.scan()
        result = {}
        for key, models in device.models.items():
            if isinstance(key, int):
                result[key] = {name: point.cvalue for name, point in models[0].points.items()}
        return result
    finally:
        device.close()


async def test_pysunspec2_reads_our_simulator() -> None:
    dev = sunspec_device((1, 103, 124, 701, 713))
    image = dev.image
    image.set(1, "Mn", "YGE-Sim")
    image.set_sf(103, "W_SF", 1)
    image.set(103, "W", 12340)
    image.set_sf(103, "WH_SF", -2)
    image.set(103, "WH", 123.45)
    image.set(103, "St", 4)
    image.set_sf(124, "InOutWRte_SF", -1)
    image.set(124, "OutWRte", -25.5)
    image.set_sf(701, "W_SF", -1)
    image.set(701, "W", -1234.5)
    image.set(701, "TotWhInj", 987654321)
    image.set_sf(713, "Pct_SF", -1)
    image.set(713, "SoC", 55.5)
    image.set_sf(713, "WH_SF", None)  # not implemented: WHRtg/WHAvail invalid for both readers
    async with serve(dev) as server:
        theirs = await asyncio.to_thread(_pysunspec2_scan, server.port)
    assert sorted(theirs) == [1, 103, 124, 701, 713]
    checked = 0
    for model_id, points in theirs.items():
        for name, value in points.items():
            if name in ("ID", "L") or sunspec_models()[model_id].point(name).type == "pad":
                continue
            assert _same(image.get(model_id, name), value), (model_id, name, image.get(model_id, name), value)
            checked += 1
    assert checked >= 150
    assert theirs[103]["W"] == 12340
    assert theirs[124]["OutWRte"] == pytest.approx(-25.5)
    assert theirs[713]["WHRtg"] is None
    assert theirs[1]["Mn"] == "YGE-Sim"


async def test_our_driver_reads_a_pysunspec2_device_image() -> None:
    image = file_client.FileClientDevice(str(DEVICE_1547))
    image.scan()
    raw = image.get_mb()
    words = [0x5375, 0x6E53, *struct.unpack(f">{len(raw) // 2}H", raw), 0xFFFF, 0]
    server = ModbusTcpServer(
        SimDevice(id=1, simdata=[SimData(40000, values=words, datatype=DataType.REGISTERS)]), address=("127.0.0.1", 0)
    )
    await server.serve_forever(background=True)
    port = int(server.transport.sockets[0].getsockname()[1])  # type: ignore[attr-defined]
    try:
        conn = ModbusConnection("127.0.0.1", port, timeout_s=1.0)
        smap = await discover(conn, 1)
        theirs = {k: v for k, v in image.models.items() if isinstance(k, int)}
        assert smap.model_ids == list(theirs)
        checked = 0
        for model_id in (1, 701, 702, 704, 713):
            model = sunspec_models()[model_id]
            wanted = [(model_id, p.name) for p in model.points if p.type != "pad" and "." not in p.name]
            ours = (await read_blocks(conn, 1, plan_blocks(place(smap, wanted)))).values
            for name, point in theirs[model_id][0].points.items():
                if (model_id, name) in wanted:
                    assert _same(ours[f"{model_id}.{name}"], point.cvalue), (model_id, name, ours, point.cvalue)
                    checked += 1
        conn.close()
    finally:
        await server.shutdown()
    assert checked >= 180  # every numeric/string point of 1, 701, 702, 704 (fixed part), 713
