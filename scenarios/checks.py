"""Consistency checks across a scenario: each finds problems a single field cannot see.

Every problem names its location as a path (e.g. ``facilities[3].batteries[0].reserve_soc``) and
says how to fix it. ``check_scenario`` runs them all and raises one ScenarioError listing all problems.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from scenarios.assets import Meter
from scenarios.device_identity import facility_assets
from scenarios.model import Scenario


@dataclass(frozen=True)
class Problem:
    """One located problem in a scenario."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ScenarioError(ValueError):
    """A scenario failed validation; `problems` lists every located problem."""

    def __init__(self, problems: Iterable[Problem], source: str = "scenario") -> None:
        self.problems = list(problems)
        self.source = source
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{source}: {len(self.problems)} problem(s)\n{lines}")


def _duplicates(ids: Iterable[str]) -> set[str]:
    return {i for i, n in Counter(ids).items() if n > 1}


def check_unique_ids(s: Scenario) -> list[Problem]:
    """Facility and EV ids are unique; asset ids are unique within their facility."""
    problems: list[Problem] = []
    dup_fac = _duplicates(f.id for f in s.facilities)
    for i, f in enumerate(s.facilities):
        if f.id in dup_fac:
            problems.append(Problem(f"facilities[{i}].id", f"duplicate facility id '{f.id}'; make it unique"))
        for dup in sorted(_duplicates(a.asset.id for a in facility_assets(f))):
            problems.append(Problem(f"facilities[{i}]", f"facility '{f.id}' has two assets with id '{dup}'"))
    dup_ev = _duplicates(e.id for e in s.evs)
    for i, e in enumerate(s.evs):
        if e.id in dup_ev:
            problems.append(Problem(f"evs[{i}].id", f"duplicate EV id '{e.id}'; make it unique"))
    return problems


def check_references(s: Scenario) -> list[Problem]:
    """EV home facilities, link ends and the plant's facility exist (the plant's is supplied)."""
    ids = {f.id for f in s.facilities}
    problems: list[Problem] = []
    for i, e in enumerate(s.evs):
        if e.home_facility not in ids:
            problems.append(Problem(f"evs[{i}].home_facility", f"EV '{e.id}': unknown facility '{e.home_facility}'"))
    for i, link in enumerate(s.links):
        for end in ("from_facility", "to_facility"):
            target = getattr(link, end)
            if target not in ids:
                problems.append(Problem(f"links[{i}].{end}", f"link '{link.id}': unknown facility '{target}'"))
        if link.from_facility == link.to_facility:
            problems.append(Problem(f"links[{i}].to_facility", f"link '{link.id}' joins a facility to itself"))
    if s.plant is not None and s.plant.facility_id is not None:
        site = next((f for f in s.facilities if f.id == s.plant.facility_id), None)
        if site is None:
            problems.append(Problem("plant.facility_id", f"unknown facility '{s.plant.facility_id}'"))
        elif not site.supplied:
            problems.append(
                Problem(
                    "plant.facility_id",
                    f"facility '{site.id}' is not supplied: the plant cannot serve its load behind the meter; "
                    "set supplied: true there or remove facility_id",
                )
            )
    return problems


def check_batteries(s: Scenario) -> list[Problem]:
    """Reserve and initial SoC lie inside [soc_min, soc_max]."""
    problems: list[Problem] = []
    for i, f in enumerate(s.facilities):
        for j, b in enumerate(f.batteries):
            path = f"facilities[{i}].batteries[{j}]"
            if b.reserve_soc and not b.soc_min <= b.reserve_soc <= b.soc_max:
                problems.append(
                    Problem(
                        f"{path}.reserve_soc",
                        f"facility '{f.id}' battery '{b.id}': reserve_soc {b.reserve_soc} must lie in "
                        f"[soc_min {b.soc_min}, soc_max {b.soc_max}]",
                    )
                )
            if not b.soc_min <= b.initial_soc <= b.soc_max:
                problems.append(
                    Problem(
                        f"{path}.initial_soc",
                        f"facility '{f.id}' battery '{b.id}': initial_soc {b.initial_soc} must lie in "
                        f"[{b.soc_min}, {b.soc_max}]",
                    )
                )
    return problems


def check_pv(s: Scenario) -> list[Problem]:
    """Inverters are not absurdly under- or over-sized against their arrays (DC/AC ratio 0.5..2.5)."""
    problems: list[Problem] = []
    for i, f in enumerate(s.facilities):
        for j, a in enumerate(f.pv_arrays):
            ratio = a.kwp / a.inverter_kw
            if not 0.5 <= ratio <= 2.5:
                problems.append(
                    Problem(
                        f"facilities[{i}].pv_arrays[{j}].inverter_kw",
                        f"facility '{f.id}' array '{a.id}': DC/AC ratio {ratio:.2f} outside 0.5..2.5",
                    )
                )
    return problems


def check_evs(s: Scenario) -> list[Problem]:
    """A car with V2H power is based where a bidirectional charger exists; SoC floor below initial SoC."""
    problems: list[Problem] = []
    by_id = {f.id: f for f in s.facilities}
    for i, e in enumerate(s.evs):
        home = by_id.get(e.home_facility)
        if home is None:
            continue
        if e.v2h_kw > 0 and not e.disaster_only and not any(c.bidirectional for c in home.ev_chargers):
            problems.append(
                Problem(
                    f"evs[{i}].v2h_kw",
                    f"EV '{e.id}' has v2h_kw {e.v2h_kw} but facility '{home.id}' has no bidirectional charger;"
                    " add one or set v2h_kw: 0",
                )
            )
        if e.weekday and not home.ev_chargers:
            problems.append(
                Problem(f"evs[{i}].weekday", f"EV '{e.id}' has plug windows but '{home.id}' has no charger")
            )
    return problems


def _shared_unit_problem(path: str, first: tuple[str, str, str, str], here: tuple[str, str, str, str]) -> str | None:
    """Why an asset may not share the unit another asset already uses, or None (a hybrid: one facility, other
    kinds, the same register map). Entries are (path, facility id, kind, register_map)."""
    first_path, facility, kind, register_map = first
    _, here_facility, here_kind, here_map = here
    if here_facility != facility:
        return f"{first_path} of facility '{facility}': only assets of one facility can share a device"
    if here_kind == kind:
        return f"{first_path}: two {kind} assets cannot be one device (a hybrid shares a unit between kinds)"
    if here_map != register_map:
        return f"{first_path} with register_map {register_map!r}: one device has one map; give both the same"
    return None


def check_modbus(s: Scenario) -> list[Problem]:
    """No two devices share one (host, port, unit_id), except the capabilities of one physical device: assets of
    different kinds in one facility with the same register_map (a hybrid inverter's PV array and battery, and the
    grid meter it reads)."""
    seen: dict[tuple[str, int, int], list[tuple[str, str, str, str]]] = {}
    problems: list[Problem] = []
    for i, f in enumerate(s.facilities):
        for a in facility_assets(f):
            endpoint = a.asset.modbus
            if endpoint is None:
                continue
            key = (endpoint.host, endpoint.port, endpoint.unit_id)
            here = (f"{a.path(i)}.modbus", f.id, a.kind.value, endpoint.register_map)
            for first in seen.get(key, []):
                reason = _shared_unit_problem(here[0], first, here)
                if reason is not None:
                    problems.append(Problem(here[0], f"{key[0]}:{key[1]} unit {key[2]} is also used by {reason}"))
                    break
            seen.setdefault(key, []).append(here)
    return problems


def check_protocols(s: Scenario) -> list[Problem]:
    """ECHONET Lite: no two devices of one kind are one object (host, instance); a smart meter over ECHONET Lite
    (Route B, class 0x0288) is a grid meter. OCPP: no two chargers are one connector (charge point id, connector), and
    none is bidirectional (OCPP 1.6J has no discharge)."""
    seen: dict[tuple[str, str, int], str] = {}
    problems: list[Problem] = []
    for i, f in enumerate(s.facilities):
        for a in facility_assets(f):
            echonet = a.asset.echonet
            ocpp = getattr(a.asset, "ocpp", None)
            if echonet is not None:
                key, where = (a.kind.value, echonet.host, echonet.instance), f"{a.path(i)}.echonet"
                what = f"{a.kind} object {echonet.host} instance {echonet.instance}"
            elif ocpp is not None:
                key, where = ("ocpp", ocpp.charge_point_id, ocpp.connector_id), f"{a.path(i)}.ocpp"
                what = f"charge point {ocpp.charge_point_id!r} connector {ocpp.connector_id}"
            else:
                continue
            if key in seen:
                problems.append(Problem(where, f"{what} is also used by {seen[key]}: give another instance"))
            seen.setdefault(key, f"{where} (facility '{f.id}')")
            if ocpp is not None and getattr(a.asset, "bidirectional", False):
                problems.append(Problem(where, "OCPP 1.6J cannot discharge a car: set bidirectional: false"))
            if echonet is not None and isinstance(a.asset, Meter) and a.asset.role != "grid":
                problems.append(
                    Problem(
                        where,
                        f"the ECHONET Lite smart meter (0x0288, Route B) is the grid meter; role is {a.asset.role!r}",
                    )
                )
    return problems


ALL_CHECKS: tuple[Callable[[Scenario], list[Problem]], ...] = (
    check_unique_ids,
    check_references,
    check_batteries,
    check_pv,
    check_evs,
    check_modbus,
    check_protocols,
)


def scenario_problems(s: Scenario) -> list[Problem]:
    """Every consistency problem of the scenario (empty if it is consistent)."""
    return [p for check in ALL_CHECKS for p in check(s)]


def check_scenario(s: Scenario, source: str = "scenario") -> Scenario:
    """Return s if consistent; else raise ScenarioError listing every problem."""
    problems = scenario_problems(s)
    if problems:
        raise ScenarioError(problems, source)
    return s
