"""Simulated ECHONET Lite nodes for every ECHONET Lite device of a scenario: one node per host (127.0.0.x on
loopback; Linux routes all of 127/8 to ``lo``), its objects in step with the facility physics.

The facility physics (:class:`~devices.simulators.physics.FacilitySim`) may be shared with the Modbus fleet
(``facilities``), so a facility whose battery speaks ECHONET Lite and whose PV speaks Modbus is still one
facility.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from devices.capabilities import utc_now
from devices.inventory import DeviceSpec, DriverFamily, scenario_devices
from devices.simulators.echonet_node import EchonetFault, EchonetNode
from devices.simulators.echonet_objects import Clock, object_for
from devices.simulators.physics import FacilitySim, facility_sim
from scenarios.assets import EchonetEndpoint
from scenarios.device_identity import DeviceKey
from scenarios.model import Scenario

logger = logging.getLogger(__name__)


@dataclass
class EchonetFleet:
    """Running nodes by host and the node of each device key."""

    nodes: dict[str, EchonetNode] = field(default_factory=dict)
    by_key: dict[DeviceKey, EchonetNode] = field(default_factory=dict)
    facilities: dict[str, FacilitySim] = field(default_factory=dict)

    def set_fault(self, key: DeviceKey, fault: EchonetFault) -> None:
        """Inject (or clear with ``EchonetFault()``) a fault on a device's node (all its objects)."""
        self.by_key[key].set_fault(fault)

    def stop(self) -> None:
        """Close every node's socket."""
        for node in self.nodes.values():
            node.stop()


def echonet_devices(scenario: Scenario) -> list[DeviceSpec]:
    """The devices of ``scenario`` that speak ECHONET Lite."""
    return [s for s in scenario_devices(scenario) if s.family is DriverFamily.ECHONET_LITE]


async def start_echonet_fleet(
    scenario: Scenario,
    *,
    clock: Clock = utc_now,
    port: int = 3610,
    facilities: dict[str, FacilitySim] | None = None,
) -> EchonetFleet:
    """Start one node per ECHONET Lite host of ``scenario`` (on ``port``: 3610 as the protocol says)."""
    fleet = EchonetFleet(facilities=facilities if facilities is not None else {})
    objects: dict[str, list[DeviceSpec]] = {}
    for spec in echonet_devices(scenario):
        if isinstance(spec.endpoint, EchonetEndpoint):
            objects.setdefault(spec.endpoint.host, []).append(spec)
    try:
        for host, specs in objects.items():
            built = []
            for spec in specs:
                fac = spec.facility.id
                if fac not in fleet.facilities:
                    fleet.facilities[fac] = facility_sim(spec.facility, scenario.evs_at(fac))
                built.append(object_for(spec, fleet.facilities[fac], clock))
            node = EchonetNode(host, built, port)
            await node.start()
            fleet.nodes[host] = node
            fleet.by_key.update({spec.key: node for spec in specs})
    except Exception:
        fleet.stop()
        raise
    logger.info("started %d ECHONET Lite nodes for %d devices", len(fleet.nodes), len(fleet.by_key))
    return fleet
