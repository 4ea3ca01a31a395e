"""The one guarded path for every set-point write.

``SetpointWriter.write`` refuses unknown devices and points outside the allow-list (the one set-point of the
device's type in the driver registry, :attr:`~devices.registry.DeviceType.setpoint`), clamps to the asset's
limits from the scenario (battery −charge_kw..+discharge_kw, EV −discharge_kw..+power_kw with charge values
below min_power_kw set to 0, PV limit 0..100 %), supports dry-run, writes with the device's revert timer
(``watchdog_s``), reads back to confirm and hands an :class:`~devices.capabilities.AuditEntry` to the audit
sink. Written set-points are re-sent by ``refresh_due`` before half the watchdog period has passed; a refresh is
audited when its outcome changes (the first failure of a held set-point, its recovery), not on every attempt:
a dead device retried at every poll leaves one ``refresh-failed`` entry, not one per poll.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass

from devices.capabilities import AuditEntry, AuditSink, SetpointDriver, utc_now
from devices.codec import CodecError
from devices.inventory import DeviceSpec
from devices.modbus_client import DeviceError
from devices.poller import Poller
from devices.sunspec import DiscoveryError
from scenarios.assets import Battery, EVCharger
from scenarios.device_identity import DeviceKey, DeviceKind

logger = logging.getLogger(__name__)
REFRESH_FRACTION = 0.5


def limits(spec: DeviceSpec) -> tuple[float, float]:
    """Lowest and highest allowed set-point (kW for battery/EV with their signs, % for PV)."""
    a = spec.asset
    if isinstance(a, Battery):
        return -a.charge_kw, a.discharge_kw
    if isinstance(a, EVCharger):
        return (-a.discharge_kw if a.bidirectional else 0.0), a.power_kw
    if spec.kind is DeviceKind.PV:
        return 0.0, 100.0
    raise PermissionError(f"{spec.key}: {spec.kind} has no set-point")


def clamp(spec: DeviceSpec, value: float) -> float:
    """``value`` clamped to the asset's limits (EV: a charge 0 < v < min_power_kw becomes 0; min_power_kw is a
    charge minimum, the scenario states none for V2H discharge)."""
    low, high = limits(spec)
    clamped = min(max(value, low), high)
    a = spec.asset
    if isinstance(a, EVCharger) and 0 < clamped < a.min_power_kw:
        clamped = 0.0
    return clamped


@dataclass
class Active:
    """A set-point held on a device and when it was last sent."""

    point: str
    value: float
    sent: dt.datetime
    watchdog_s: float
    last_result: str = "ok"


class SetpointWriter:
    """Guarded writes through the poller's drivers; ``who`` names the caller in the audit trail."""

    def __init__(self, poller: Poller, audit: AuditSink, *, dry_run: bool = False, tolerance: float = 0.02) -> None:
        self.poller, self.audit, self.dry_run, self.tolerance = poller, audit, dry_run, tolerance
        self.active: dict[DeviceKey, Active] = {}

    def _entry(
        self,
        who: str,
        key: DeviceKey,
        point: str,
        requested: float,
        applied: float | None,
        result: str,
        detail: str = "",
        record: bool = True,
    ) -> AuditEntry:
        entry = AuditEntry(who, key, point, utc_now(), requested, applied, result, detail)
        if record:
            self.audit.record(entry)
        if record and result not in ("ok", "dry-run", "refresh-ok"):
            logger.warning("write %s %s=%s by %s: %s %s", key, point, requested, who, result, detail)
        return entry

    async def write(self, key: DeviceKey, point: str, value: float, who: str = "ems") -> AuditEntry:
        """Write one set-point through every guard; returns (and records) the audit entry."""
        state = self.poller.states.get(key)
        if state is None:
            skipped = self.poller.skipped.get(key)
            detail = f"device not polled: {skipped.reason}" if skipped else "unknown device"
            return self._entry(who, key, point, value, None, "refused", detail)
        spec, allowed = state.spec, state.type.setpoint
        if allowed is None or allowed != point:
            detail = f"{point!r} not in the allow-list for {state.type.label} (allowed: {allowed or 'nothing'})"
            return self._entry(who, key, point, value, None, "refused", detail)
        if not math.isfinite(value):
            return self._entry(who, key, point, value, None, "refused", "value is not a finite number")
        applied = clamp(spec, value)
        detail = f"clamped from {value:g}" if applied != value else ""
        if self.dry_run:
            return self._entry(who, key, point, value, applied, "dry-run", detail)
        # a new set-point supersedes the held one even if sending it fails: the watchdog refresh must never
        # bring back a value that was replaced (the device reverts to its own default when its timer expires)
        self.active.pop(key, None)
        return await self._send(who, spec, point, value, applied, detail, "ok")

    async def _send(
        self,
        who: str,
        spec: DeviceSpec,
        point: str,
        requested: float,
        applied: float,
        detail: str,
        ok: str,
        record: bool = True,
    ) -> AuditEntry:
        watchdog, key = spec.endpoint.watchdog_s, spec.key
        driver = self.poller.driver(key)
        try:
            if not isinstance(driver, SetpointDriver):
                raise PermissionError(f"the {spec.kind} driver writes no set-point")
            back = await driver.write_setpoint(applied, watchdog)
        except (DeviceError, DiscoveryError, CodecError, PermissionError, KeyError) as exc:
            result = "failed" if ok == "ok" else "refresh-failed"
            return self._entry(who, key, point, requested, applied, result, f"{detail} {exc}".strip(), record)
        if back is None or abs(back - applied) > max(self.tolerance * abs(applied), 0.05):
            detail = f"{detail} read back {back}".strip()
            return self._entry(who, key, point, requested, applied, "mismatch", detail, record)
        if watchdog:
            held = self.active.get(key)
            if held is not None and ok == "refresh-ok":
                held.sent = utc_now()
            else:
                self.active[key] = Active(point, applied, utc_now(), watchdog)
        return self._entry(who, key, point, requested, applied, ok, detail, record)

    async def refresh_due(self, now: dt.datetime | None = None) -> list[AuditEntry]:
        """Re-send every held set-point whose last send is older than half its watchdog period.

        Returns the outcome of every refresh attempted; the audit sink receives an entry only when a held
        set-point's refresh outcome differs from the previous one (the write itself counts as ``ok``), so a dead
        device retried at every poll is audited once when it fails and once when it answers again.
        """
        now = now or utc_now()
        entries = []
        for key, held in list(self.active.items()):
            if (now - held.sent).total_seconds() < held.watchdog_s * REFRESH_FRACTION:
                continue
            spec = self.poller.states[key].spec
            entry = await self._send("watchdog", spec, held.point, held.value, held.value, "", "refresh-ok", False)
            state = "ok" if entry.result == "refresh-ok" else entry.result
            if state != held.last_result:
                self._entry(entry.who, key, held.point, held.value, held.value, entry.result, entry.detail)
                held.last_result = state
            entries.append(entry)
        return entries
