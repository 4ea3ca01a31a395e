"""Helpers for the ECHONET Lite tests: free loopback node addresses, scenarios whose devices speak ECHONET Lite,
a poller whose UDP socket binds loopback."""

from __future__ import annotations

import copy
import random
import socket
from typing import Any

from devices.poller import PollerConfig
from scenarios.loader import builtin_data, parse_scenario
from scenarios.model import Scenario

TIMEOUT = 0.5
CONFIG = PollerConfig(echonet_bind=("127.0.0.1", 0), backoff_base_s=0.05, backoff_max_s=0.2)


def free_hosts(n: int) -> list[str]:
    """``n`` loopback addresses 127.x.y.z (not 127.0.0.1) whose UDP port 3610 is free now."""
    found: list[str] = []
    rng = random.Random()  # noqa: S311 - picking test addresses
    while len(found) < n:
        host = f"127.{rng.randrange(1, 255)}.{rng.randrange(0, 255)}.{rng.randrange(2, 255)}"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.bind((host, 3610))
            except OSError:
                continue
        if host not in found:
            found.append(host)
    return found


def echonet(host: str, **extra: Any) -> dict[str, Any]:
    """An ``echonet`` endpoint with the tests' short time-out."""
    return {"host": host, "timeout_s": TIMEOUT, **extra}


def tiny_echonet(hosts: list[str]) -> Scenario:
    """``tiny`` with the centre's battery and meter on node hosts[0], its PV on hosts[1], the office's V2H unit
    on hosts[2] (over ECHONET Lite); every other device stays on Modbus."""
    data = copy.deepcopy(builtin_data("tiny"))
    centre, office = data["facilities"][0], data["facilities"][1]
    for asset, host in (
        (centre["batteries"][0], hosts[0]),
        (centre["meters"][0], hosts[0]),
        (centre["pv_arrays"][0], hosts[1]),
        (office["ev_chargers"][0], hosts[2]),
    ):
        del asset["modbus"]
        asset["echonet"] = echonet(host)
    return parse_scenario(data, "tiny-echonet")
