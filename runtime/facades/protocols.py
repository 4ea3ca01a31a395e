"""Thin functions between the service/CLI and the non-Modbus protocols of ``devices``: the OCPP 1.6J central system
the service runs, and the ECHONET Lite nodes and OCPP charge points ``ems up`` simulates.

* :func:`start_central`: the central system on ``host``:``port`` when the scenario has OCPP chargers (else None).
* :func:`start_protocol_simulators`: one simulated ECHONET Lite node per ``echonet`` host (127.0.0.x:3610) and one
  simulated charge point per ``ocpp`` charger, connected to the central system, on the facility physics the Modbus
  simulators already run (``facilities``), so a facility is one facility whichever protocol each device speaks.
* :data:`SIMULATED_ECHONET_BIND`: where the poller's ECHONET Lite socket binds when the nodes are simulated.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from devices.capabilities import utc_now
from devices.inventory import DriverFamily, scenario_devices
from devices.ocpp_central import CentralSystem, wait_booted
from devices.simulators.echonet_fleet import EchonetFleet, start_echonet_fleet
from devices.simulators.ocpp_charge_point import RunningChargePoint, start_charge_point
from devices.simulators.physics import FacilitySim, facility_sim
from scenarios.assets import OcppEndpoint
from scenarios.model import Scenario

logger = logging.getLogger(__name__)
SIMULATED_ECHONET_BIND = ("127.0.0.1", 0)
"""The simulated nodes answer the sender's port, so the poller needs no fixed port 3610 on loopback."""
METER_VALUES_INTERVAL_S = 5.0
"""How often a simulated charge point sends MeterValues (s)."""


def has_ocpp(scenario: Scenario) -> bool:
    """True if any device of the scenario is an OCPP charge point."""
    return any(s.family is DriverFamily.OCPP16 for s in scenario_devices(scenario))


async def start_central(scenario: Scenario, host: str, port: int, timeout_s: float = 5.0) -> CentralSystem | None:
    """Start the OCPP 1.6J central system if the scenario has OCPP chargers (``port`` 0: any free port)."""
    if not has_ocpp(scenario):
        return None
    central = CentralSystem(host, port, timeout_s)
    await central.start()
    return central


@dataclass
class ProtocolSimulators:
    """Running ECHONET Lite nodes and OCPP charge points."""

    echonet: EchonetFleet
    charge_points: list[RunningChargePoint] = field(default_factory=list)

    @property
    def counts(self) -> tuple[int, int]:
        """(ECHONET Lite devices, OCPP charge points)."""
        return len(self.echonet.by_key), len(self.charge_points)

    async def stop(self) -> None:
        """Disconnect the charge points and close the nodes."""
        for cp in self.charge_points:
            await cp.stop()
        self.echonet.stop()


async def start_protocol_simulators(
    scenario: Scenario,
    central: CentralSystem | None,
    facilities: dict[str, FacilitySim] | None = None,
    clock: Callable[[], Any] = utc_now,
    interval_s: float = METER_VALUES_INTERVAL_S,
) -> ProtocolSimulators:
    """Simulate every ECHONET Lite and OCPP device of ``scenario`` (the charge points register with ``central``)."""
    shared = facilities if facilities is not None else {}
    sims = ProtocolSimulators(await start_echonet_fleet(scenario, clock=clock, facilities=shared))
    try:
        for spec in scenario_devices(scenario):
            if not isinstance(spec.endpoint, OcppEndpoint) or central is None:
                continue
            fac = spec.facility.id
            if fac not in shared:
                shared[fac] = facility_sim(spec.facility, scenario.evs_at(fac))
            ev = shared[fac].charger_for(spec.asset)
            cp = await start_charge_point(central.url, spec.endpoint, ev, clock=clock, interval_s=interval_s)
            sims.charge_points.append(cp)
            await wait_booted(central, spec.endpoint.charge_point_id)
    except Exception:
        await sims.stop()
        raise
    logger.info("simulating %d ECHONET Lite devices and %d OCPP charge points", *sims.counts)
    return sims
