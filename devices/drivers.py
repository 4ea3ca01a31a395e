"""Capability drivers: SunSpec PV inverter, battery and meter, and the vendor-map EV charger.

Each driver turns register points into capability values (units and signs in
:mod:`devices.capabilities`) and writes its one set-point. Fast points are read every cycle, slow
points (energy counters, status, ratings) only on ``full`` reads.
"""

from __future__ import annotations

from collections.abc import Sequence

from devices.capabilities import DeviceKind
from devices.codec import CodecError, decode, encode, scale_factor
from devices.modbus_client import ModbusConnection
from devices.readplan import Block, PlacedPoint, plan_blocks
from devices.registermap import VendorMap
from devices.sunspec import ModelInstance, SunSpecMap, discover, plan, read_blocks

Values = dict[str, float | None]


def _kw(value: float | int | str | None) -> float | None:
    return float(value) / 1000.0 if isinstance(value, (int, float)) else None


def _num(value: float | int | str | None) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None


class SunSpecDriver:
    """Base of the SunSpec drivers: discovery once, cached read plans, point writes with read-back."""

    kind: DeviceKind = DeviceKind.METER
    FAST: tuple[tuple[int, str], ...] = ()
    SLOW: tuple[tuple[int, str], ...] = ()

    def __init__(self, conn: ModbusConnection, unit: int = 1, base_address: int | None = None) -> None:
        self.conn, self.unit, self.base_address = conn, unit, base_address
        self.map: SunSpecMap | None = None
        self._plans: dict[bool, list[Block]] = {}

    async def connect(self) -> None:
        """Discover the model chain (once)."""
        if self.map is None:
            self.map = await discover(self.conn, self.unit, self.base_address)
            self._plans = {False: plan(self.map, self.FAST), True: plan(self.map, self.FAST + self.SLOW)}

    async def read_raw(self, full: bool) -> tuple[dict[str, float | int | str | None], list[str]]:
        """Point values keyed ``"<model>.<point>"`` (scaled) and the keys that decoded as garbage."""
        await self.connect()
        decoded = await read_blocks(self.conn, self.unit, self._plans[full])
        return decoded.values, decoded.invalid

    def _model(self, model_id: int) -> ModelInstance:
        model = self.map.find(model_id) if self.map else None
        if model is None or model.definition is None:
            raise KeyError(f"device {self.conn.label} unit {self.unit} has no SunSpec model {model_id}")
        return model

    def has(self, model_id: int) -> bool:
        """True if the discovered chain holds ``model_id``."""
        return self.map is not None and self.map.find(model_id) is not None

    async def read_point(self, model_id: int, name: str) -> float | int | str | None:
        """Read one point together with its SF (one request)."""
        await self.connect()
        if self.map is None:
            raise RuntimeError(f"{self}: no SunSpec map discovered")
        decoded = await read_blocks(self.conn, self.unit, plan(self.map, [(model_id, name)]))
        return decoded.values.get(f"{model_id}.{name}")

    async def write_point(self, model_id: int, name: str, value: float) -> None:
        """Scale and write one RW point; the SF is read first (same request as nothing else: SFs may change)."""
        await self.connect()
        model = self._model(model_id)
        if model.definition is None:
            raise RuntimeError(f"model {model_id} has no definition")
        point = model.definition.point(name)
        if not point.writable:
            raise PermissionError(f"model {model_id} point {name} is read-only")
        sf: int | None = 0
        if isinstance(point.sf, str):
            sf_point = model.definition.point(point.sf)
            words = await self.conn.read(model.address + sf_point.offset, 1, self.unit)
            raw_sf = decode("sunssf", words)
            sf = scale_factor(raw_sf if isinstance(raw_sf, int) else None)
        words = encode(point.type, value, sf, point.size)
        await self.conn.write(model.address + point.offset, words, self.unit)

    async def read(self, full: bool) -> tuple[Values, list[str]]:
        """Capability values; subclasses map points to fields."""
        raise NotImplementedError

    async def write_setpoint(self, value: float, revert_s: float | None) -> float | None:
        """Write the set-point; subclasses implement it when the kind has one."""
        raise PermissionError(f"{self.kind.value} has no writable set-point")


class MeterDriver(SunSpecDriver):
    """SunSpec meter 203 (three-phase) or 201 (single-phase); W + = import at the grid connection."""

    kind = DeviceKind.METER
    FAST = ((203, "W"), (201, "W"))
    SLOW = ((203, "TotWhImp"), (203, "TotWhExp"), (201, "TotWhImp"), (201, "TotWhExp"))

    async def read(self, full: bool) -> tuple[Values, list[str]]:
        """power_kw (+ import), import/export kW and kWh."""
        raw, bad = await self.read_raw(full)
        m = 203 if "203.W" in raw else 201
        power = _kw(raw.get(f"{m}.W"))
        values: Values = {
            "power_kw": power,
            "import_kw": None if power is None else max(power, 0.0),
            "export_kw": None if power is None else max(-power, 0.0),
        }
        if full:
            values["import_kwh"] = _kw(raw.get(f"{m}.TotWhImp"))
            values["export_kwh"] = _kw(raw.get(f"{m}.TotWhExp"))
        return values, bad


class PVInverterDriver(SunSpecDriver):
    """SunSpec inverter 103/101 with nameplate 120 and immediate controls 123 (curtailment in % of WMax)."""

    kind = DeviceKind.PV
    FAST = ((103, "W"), (101, "W"))
    SLOW = (
        (103, "WH"),
        (103, "St"),
        (101, "WH"),
        (101, "St"),
        (120, "WRtg"),
        (123, "WMaxLimPct"),
        (123, "WMaxLim_Ena"),
    )

    async def read(self, full: bool) -> tuple[Values, list[str]]:
        """power_kw (+ generation), and on full reads energy_kwh, status, limit_pct, rated_kw."""
        raw, bad = await self.read_raw(full)
        m = 103 if "103.W" in raw else 101
        values: Values = {"power_kw": _kw(raw.get(f"{m}.W"))}
        if full:
            values["energy_kwh"] = _kw(raw.get(f"{m}.WH"))
            values["status"] = _num(raw.get(f"{m}.St"))
            values["rated_kw"] = _kw(raw.get("120.WRtg"))
            enabled = raw.get("123.WMaxLim_Ena") == 1
            values["limit_pct"] = _num(raw.get("123.WMaxLimPct")) if enabled else 100.0
        return values, bad

    async def write_setpoint(self, value: float, revert_s: float | None) -> float | None:
        """Curtail to ``value`` % of WMax: write WMaxLimPct (and its revert time) first, then WMaxLim_Ena."""
        if revert_s is not None:
            await self.write_point(123, "WMaxLimPct_RvrtTms", round(revert_s))
        if value >= 100.0:
            await self.write_point(123, "WMaxLim_Ena", 0)
            return 100.0 if await self.read_point(123, "WMaxLim_Ena") == 0 else None
        await self.write_point(123, "WMaxLimPct", value)
        await self.write_point(123, "WMaxLim_Ena", 1)
        return _num(await self.read_point(123, "WMaxLimPct"))


class BatteryDriver(SunSpecDriver):
    """SunSpec DER battery: 701 W (+ = discharge), 713 SoC, 702 rates, 704 WSet (or 124 OutWRte/InWRte)."""

    kind = DeviceKind.BATTERY
    FAST = ((701, "W"), (713, "SoC"), (802, "SoC"), (704, "WSetEna"), (704, "WSet"))
    SLOW = ((702, "WChaRteMax"), (702, "WDisChaRteMax"), (124, "WChaMax"))

    async def read(self, full: bool) -> tuple[Values, list[str]]:
        """soc, power_kw (+ discharge), setpoint_kw, and on full reads the charge/discharge limits."""
        raw, bad = await self.read_raw(full)
        soc = _num(raw.get("713.SoC"))
        soc = soc if soc is not None else _num(raw.get("802.SoC"))
        values: Values = {
            "power_kw": _kw(raw.get("701.W")),
            "soc": None if soc is None else soc / 100.0,
            "setpoint_kw": _kw(raw.get("704.WSet")) if raw.get("704.WSetEna") == 1 else None,
        }
        if full:
            values["charge_limit_kw"] = _kw(raw.get("702.WChaRteMax"))
            values["discharge_limit_kw"] = _kw(raw.get("702.WDisChaRteMax"))
        return values, bad

    async def write_setpoint(self, value: float, revert_s: float | None) -> float | None:
        """Power set-point in kW (+ discharge): 704 WSetMod=1 (watts), WSet, WSetRvrtTms, then WSetEna=1.

        Devices without 704 get 124: StorCtl_Mod=3 with OutWRte/InWRte in % of WChaMax (negative OutWRte = charge).
        """
        await self.connect()
        if self.has(704):
            await self.write_point(704, "WSetMod", 1)
            await self.write_point(704, "WSet", value * 1000.0)
            if revert_s is not None:
                await self.write_point(704, "WSetRvrtTms", round(revert_s))
            await self.write_point(704, "WSetEna", 1)
            return _kw(await self.read_point(704, "WSet"))
        return await self._write_124(value, revert_s)

    async def _write_124(self, value: float, revert_s: float | None) -> float | None:
        w_max = _num(await self.read_point(124, "WChaMax"))
        if not w_max:
            raise CodecError("model 124 WChaMax not implemented: cannot express a set-point in %")
        pct = max(-100.0, min(100.0, value * 1000.0 / w_max * 100.0))
        await self.write_point(124, "OutWRte", pct)
        await self.write_point(124, "InWRte", -pct)
        if revert_s is not None:
            await self.write_point(124, "InOutWRte_RvrtTms", round(revert_s))
        await self.write_point(124, "StorCtl_Mod", 3)
        back = _num(await self.read_point(124, "OutWRte"))
        return None if back is None else back / 100.0 * w_max / 1000.0


class EVChargerDriver:
    """The vendor-map EV charger (e.g. ``ev_charger_generic``): power + = charging the car."""

    kind = DeviceKind.EV

    def __init__(self, conn: ModbusConnection, vmap: VendorMap, unit: int = 1) -> None:
        self.conn, self.vmap, self.unit = conn, vmap, unit
        names = [p.name for p in vmap.points]
        fast = [n for n in names if n in ("status", "vehicle_soc_pct", "power_w", "setpoint_w", "enable")]
        self._plans = {False: self._plan(fast), True: self._plan(names)}

    def _plan(self, names: Sequence[str]) -> list[Block]:
        return plan_blocks(PlacedPoint(n, self.vmap.point(n), self.vmap.point(n).offset) for n in names)

    async def connect(self) -> None:
        """Nothing to discover: the map is fixed."""

    async def read(self, full: bool) -> tuple[Values, list[str]]:
        """connected, vehicle_soc, power_kw, setpoint_kw, and on full reads the ratings."""
        decoded = await read_blocks(self.conn, self.unit, self._plans[full], self.vmap.word_order)
        raw = decoded.values
        status, soc = raw.get("status"), _num(raw.get("vehicle_soc_pct"))
        values: Values = {
            "connected": None if status is None else float(status in (1, 2, 3)),
            "vehicle_soc": None if soc is None else soc / 100.0,
            "power_kw": _kw(raw.get("power_w")),
            "setpoint_kw": _kw(raw.get("setpoint_w")) if raw.get("enable") == 1 else None,
        }
        if full:
            values["bidirectional"] = _num(raw.get("bidirectional"))
            values["max_charge_kw"] = _kw(raw.get("max_charge_w"))
            values["max_discharge_kw"] = _kw(raw.get("max_discharge_w"))
        return values, decoded.invalid

    async def _write(self, name: str, value: float) -> None:
        point = self.vmap.point(name)
        if not point.writable:
            raise PermissionError(f"{self.vmap.name}: {name} is read-only")
        sf = point.sf if isinstance(point.sf, int) else 0
        await self.conn.write(point.offset, encode(point.type, value, sf, point.size, self.vmap.word_order), self.unit)

    async def write_setpoint(self, value: float, revert_s: float | None) -> float | None:
        """Set-point in kW (+ charge, − V2H): watchdog seconds, setpoint_w, then enable=1; returns the read-back."""
        if revert_s is not None and self.vmap.watchdog_point:
            await self._write(self.vmap.watchdog_point, round(revert_s))
        await self._write("setpoint_w", value * 1000.0)
        await self._write("enable", 1)
        point = self.vmap.point("setpoint_w")
        words = await self.conn.read(point.offset, point.size, self.unit)
        return _kw(decode(point.type, words, self.vmap.word_order))
