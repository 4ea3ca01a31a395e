"""The base of the ECHONET Lite drivers: one object (class, instance) of one node, read through the shared
:class:`~devices.echonet_client.EchonetClient` (pychonet).

``connect`` reads the object's property maps; a read asks in one Get for the fast properties (every cycle) or for
all of them (full reads) that the object lists in its Get map, so a property the device does not implement comes
back as None (the poller's "missing"), never as a refused request. EDT decoding is here: big-endian integers, the
Appendix's "no data" codes (signed 0x7FFFFFFE, overflow 0x7FFFFFFF, underflow 0x80000000; unsigned 0xFFFFFFFE and
the like) read as None, and values outside a property's range named as garbage.

Mode set-points (storage battery, V2H): operation mode 0xDA (0x42 charging, 0x43 discharging, 0x44 standby) with the
charging / discharging power setting 0xEB / 0xEC in W, written in one SetC, power before mode; every property is
checked against the object's Set map and encoded before anything is sent; the active set-point is read back from
the same three properties.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar, Self

from devices.capabilities import Values
from devices.echonet_types import CLASS_CODES, EchonetObject, PropertyMaps
from devices.registry import DeviceConfigError
from scenarios.assets import EchonetEndpoint
from scenarios.device_identity import DeviceKind

if TYPE_CHECKING:
    from devices.echonet_client import EchonetClient
    from devices.inventory import DeviceSpec
    from devices.registry import Transports

MODE, CHARGE_W, DISCHARGE_W = 0xDA, 0xEB, 0xEC
CHARGING, DISCHARGING, STANDBY = 0x42, 0x43, 0x44
MAX_POWER_W = 0x3B9AC9FF
"""The largest power setting the Appendix allows (999,999,999 W)."""


def unsigned(edt: bytes | None) -> int | None:
    """An unsigned big-endian value; None for a missing property or a "no data" code (top 3 values)."""
    if not edt:
        return None
    value = int.from_bytes(edt, "big")
    return None if value >= 256 ** len(edt) - 3 else value


def signed(edt: bytes | None) -> int | None:
    """A signed big-endian value; None for a missing property or the no-data/overflow/underflow codes."""
    if not edt:
        return None
    value = int.from_bytes(edt, "big", signed=True)
    half = 256 ** len(edt) // 2
    return None if value in (-half, half - 1, half - 2) else value


def kilo(value: int | None) -> float | None:
    """W → kW (Wh → kWh)."""
    return None if value is None else value / 1000


class EchonetDriver:
    """One ECHONET Lite object. ``FAST``/``SLOW``: the EPCs read every cycle / on full reads."""

    KIND: ClassVar[DeviceKind]
    FAST: ClassVar[tuple[int, ...]] = ()
    SLOW: ClassVar[tuple[int, ...]] = ()

    def __init__(self, client: EchonetClient, obj: EchonetObject, timeout_s: float) -> None:
        self.client, self.obj, self.timeout_s = client, obj, timeout_s
        self.maps: PropertyMaps | None = None
        self.invalid: list[str] = []

    @classmethod
    def from_spec(cls, spec: DeviceSpec, transports: Transports) -> Self:
        """The driver of one device: the shared client, its node, its class (from the kind) and instance."""
        ep = spec.endpoint
        if not isinstance(ep, EchonetEndpoint):
            raise DeviceConfigError(f"{spec.key}: not an ECHONET Lite device (give an echonet endpoint)")
        return cls(transports.echonet(), EchonetObject(ep.host, CLASS_CODES[cls.KIND], ep.instance), ep.timeout_s)

    async def connect(self) -> None:
        """Read the object's Get and Set property maps (once)."""
        if self.maps is None:
            self.maps = await self.client.discover(self.obj, self.timeout_s)

    def _maps(self) -> PropertyMaps:
        if self.maps is None:
            raise DeviceConfigError(f"{self.obj}: not connected (property maps unknown)")
        return self.maps

    async def read_epcs(self, epcs: tuple[int, ...]) -> dict[int, bytes]:
        """The listed properties the object implements, in one Get (absent: not in its Get map)."""
        wanted = [e for e in epcs if e in self._maps().get]
        return await self.client.get(self.obj, wanted, self.timeout_s) if wanted else {}

    async def read(self, full: bool) -> tuple[Values, list[str]]:
        """Capability values (fast fields, all fields when ``full``) and the names of garbage values."""
        raw = await self.read_epcs(self.FAST + self.SLOW if full else self.FAST)
        self.invalid = []
        return self.decode(raw, full), self.invalid

    def decode(self, raw: Mapping[int, bytes], full: bool) -> Values:
        """Capability values from EDTs by EPC (per kind)."""
        raise NotImplementedError

    def percent(self, name: str, edt: bytes | None, top: int = 100) -> float | None:
        """A 1-byte % (0..``top``) as a fraction 0..1; out of range is garbage (named in ``invalid``)."""
        value = unsigned(edt)
        if value is not None and value > top:
            self.invalid.append(name)
            return None
        return None if value is None else value / 100


class ModeSetpointDriver(EchonetDriver):
    """An object driven by operation mode 0xDA and the power settings 0xEB/0xEC (battery, V2H).

    ``CHARGE_SIGN``: the sign of a charging set-point in the EMS's convention (battery −1: + = discharge; V2H +1:
    + = charging the car).
    """

    CHARGE_SIGN: ClassVar[int] = -1
    SETPOINT = (MODE, CHARGE_W, DISCHARGE_W)

    def setpoint_kw(self, raw: Mapping[int, bytes]) -> float | None:
        """The active set-point in kW (EMS sign): 0 in standby, ± the power setting when charging/discharging,
        None in any other mode (auto, test, ...) or when the object does not tell."""
        mode = unsigned(raw.get(MODE))
        if mode == STANDBY:
            return 0.0
        if mode == CHARGING:
            kw = kilo(unsigned(raw.get(CHARGE_W)))
            return None if kw is None else self.CHARGE_SIGN * kw
        if mode == DISCHARGING:
            kw = kilo(unsigned(raw.get(DISCHARGE_W)))
            return None if kw is None else -self.CHARGE_SIGN * kw
        return None

    def encode_setpoint(self, value_kw: float) -> dict[int, bytes]:
        """The SetC properties (power first, then mode) for a set-point in kW (EMS sign), checked against the
        object's Set map; PermissionError names the EPC it does not let us write."""
        watts = round(abs(value_kw) * 1000)
        if watts > MAX_POWER_W:
            raise PermissionError(f"{self.obj}: {value_kw} kW exceeds the largest ECHONET power setting")
        charging = value_kw != 0 and (value_kw > 0) == (self.CHARGE_SIGN > 0)
        if watts == 0:
            props = {MODE: bytes([STANDBY])}
        elif charging:
            props = {CHARGE_W: watts.to_bytes(4, "big"), MODE: bytes([CHARGING])}
        else:
            props = {DISCHARGE_W: watts.to_bytes(4, "big"), MODE: bytes([DISCHARGING])}
        refused = [f"0x{epc:02X}" for epc in props if epc not in self._maps().set]
        if refused:
            raise PermissionError(f"{self.obj}: EPC {', '.join(refused)} not in the object's Set property map")
        return props

    async def write_setpoint(self, value: float, revert_s: float | None) -> float | None:
        """Write the set-point (kW, EMS sign) and read it back (ECHONET Lite has no revert timer: ``revert_s``
        only makes the write path re-send it)."""
        await self.connect()
        props = self.encode_setpoint(value)
        await self.client.set(self.obj, props, self.timeout_s)
        return self.setpoint_kw(await self.read_epcs(self.SETPOINT))
