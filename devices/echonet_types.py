"""ECHONET Lite names the drivers share with the pychonet adapter, without importing pychonet: the class code of
each device kind, an object's address, its property maps, and the refusal error."""

from __future__ import annotations

from dataclasses import dataclass

from devices.modbus_client import DeviceError
from scenarios.device_identity import DeviceKind

CLASS_CODES: dict[DeviceKind, int] = {
    DeviceKind.BATTERY: 0x027D,
    DeviceKind.EV: 0x027E,
    DeviceKind.PV: 0x0279,
    DeviceKind.METER: 0x0288,
}
"""The ECHONET Lite class of each device kind: storage battery, EV charger/discharger (V2H), household PV,
low-voltage smart electric energy meter."""


class EchonetRefusedError(DeviceError):
    """The node answered but refused properties (SNA), or does not implement them."""

    kind = "exception"


@dataclass(frozen=True)
class EchonetObject:
    """One ECHONET Lite object: node IPv4, class code (e.g. 0x027D storage battery) and instance (1..127)."""

    host: str
    class_code: int
    instance: int = 1

    @property
    def eoj(self) -> tuple[int, int, int]:
        """(class group code, class code, instance code)."""
        return self.class_code >> 8, self.class_code & 0xFF, self.instance

    def __str__(self) -> str:
        return f"{self.host} EOJ {self.class_code:04X}{self.instance:02X}"


@dataclass(frozen=True)
class PropertyMaps:
    """The EPCs an object lets us read (Get property map, 0x9F) and write (Set property map, 0x9E)."""

    get: frozenset[int]
    set: frozenset[int]
