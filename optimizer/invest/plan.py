"""The REopt-style loop: size on representative days with the outage windows so far, verify the design over the
whole year (survival sweep at every start and a year of operation, one task per shelter through the mapper the
caller gives, e.g. the Dask batch module), add the violating outage starts and re-solve until the year verifies.

Adding starts: a shelter below the target gets the failing start it must survive to reach it: its failures
sorted from the most hours served down (the easiest first), the `need`-th of them (need = starts short of
the target), skipping starts already modelled. Budget mode solves once over a fixed set of windows and verifies once.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from optimizer.invest.inputs import InvestInput
from optimizer.invest.result import InvestDesign, SiteSizes
from optimizer.invest.solve import solve_sizing
from optimizer.invest.verify import SiteTask, SiteVerdict, site_tasks, verify_site
from optimizer.invest.year import YearSeries

log = logging.getLogger(__name__)

Mapper = Callable[[Callable[[SiteTask], SiteVerdict], list[SiteTask], str], list[SiteVerdict]]
Progress = Callable[[str], None]


def serial_map(fn: Callable[[SiteTask], SiteVerdict], items: list[SiteTask], label: str) -> list[SiteVerdict]:
    """The mapper without a cluster: one task after the other in this process."""
    del label
    return [fn(item) for item in items]


@dataclass(frozen=True)
class Iteration:
    """One round: windows modelled, the MILP's status and seconds, shelters below target after verification."""

    round: int
    windows: int
    status: str
    milp_s: float
    verify_s: float
    below_target: tuple[str, ...]
    worst_p: float


@dataclass(frozen=True)
class InvestPlan:
    """The chosen design, its year verification (after) and that of adding nothing (before), the rounds run.

    verified: every shelter reaches the target over the year's starts (with the fleet; also alone if required).
    """

    target: float
    hours: float
    design: InvestDesign
    after: tuple[SiteVerdict, ...]
    before: tuple[SiteVerdict, ...]
    iterations: tuple[Iteration, ...]
    starts: dict[str, list[int]] = field(default_factory=dict)
    verified: bool = False


def nothing_added(data: InvestInput) -> InvestDesign:
    """The do-nothing design (today's equipment, no car allotted)."""
    return InvestDesign("today", 0.0, 0.0, tuple(SiteSizes(s.id, 0.0, 0.0, 0.0, 0) for s in data.sites))


def starts_to_add(
    verdict: SiteVerdict, target: float, hours: float, modelled: list[int], per_round: int = 4, spacing: int = 48
) -> list[int]:
    """The failing starts this shelter must survive to reach `target` (empty if it does): the `need`-th easiest
    failure (see the module docstring) and up to per_round - 1 easier ones, each `spacing` slots from the others
    and from the modelled starts (different weather), all of which the target needs too."""
    values = verdict.hours_fleet
    served = values if verdict.served_fleet is None else verdict.served_fleet
    need = math.ceil(target * len(values) - 1e-9) - int((values >= hours - 1e-9).sum())
    if need <= 0:
        return []
    failing = np.flatnonzero(values < hours - 1e-9)
    order = [int(s) for s in failing[np.argsort(-served[failing], kind="stable")]]
    chosen: list[int] = []
    first = next((s for s in order[need - 1 :] if s not in modelled), None)
    if first is None:
        return []
    chosen.append(first)
    for s in reversed(order[: need - 1]):
        if len(chosen) >= per_round:
            break
        if all(abs(s - o) >= spacing for o in [*chosen, *modelled]):
            chosen.append(s)
    return chosen


def plan_investment(
    build: Callable[[dict[str, list[int]]], InvestInput],
    year: YearSeries,
    starts: dict[str, list[int]],
    *,
    target: float = 0.95,
    hours: float = 72.0,
    mapper: Mapper = serial_map,
    max_rounds: int = 10,
    time_limit_s: float = 120.0,
    on_progress: Progress | None = None,
    fix_fleet_after_first: bool = True,
) -> InvestPlan:
    """Iterate sizing and verification (see the module docstring). `build(starts)` makes the sizing input for
    the outage starts per shelter; `year` is the YearSeries the starts index into. fix_fleet_after_first: the
    later rounds keep the first round's car purchases and allotment and re-size only the equipment (an LP with
    the V2H counts as the only integers: the later rounds stay fast; the fleet decision is the first round's)."""
    if not 0 < target <= 1:
        raise ValueError(f"target: {target} must be in (0, 1] (share of the year's outage starts survived)")
    say = on_progress or (lambda _msg: None)
    starts = {k: list(v) for k, v in starts.items()}
    data = build(starts)
    before = tuple(mapper(verify_site, site_tasks(data, year, nothing_added(data)), "invest: verify today"))
    rounds: list[Iteration] = []
    design, after = nothing_added(data), before
    fleet: tuple[dict[str, str], tuple[str, ...]] | None = None
    for r in range(1, max_rounds + 1):
        data = replace(build(starts), fixed_fleet=fleet)
        say(f"round {r}: sizing MILP over {sum(len(s.outages) for s in data.sites)} outage windows")
        tick = time.perf_counter()
        trial = solve_sizing(data, time_limit_s=time_limit_s)
        milp_s = time.perf_counter() - tick
        if not trial.ok:
            rounds.append(Iteration(r, trial.windows, trial.status, milp_s, 0.0, (), 0.0))
            log.warning("invest round %d: %s; keeping the previous design", r, trial.status)
            design = trial if r == 1 else design
            break
        design = trial
        fleet = (dict(design.allotment), design.cars_bought) if fix_fleet_after_first else None
        say(f"round {r}: verifying {len(data.sites)} shelters over the year")
        tick = time.perf_counter()
        after = tuple(mapper(verify_site, site_tasks(data, year, design), f"invest: verify round {r}"))
        verify_s = time.perf_counter() - tick
        below = [v for v in after if v.p_survive(hours) < target - 1e-9]
        worst = min(v.p_survive(hours) for v in after)
        rounds.append(
            Iteration(r, design.windows, design.status, milp_s, verify_s, tuple(v.site for v in below), worst)
        )
        log.info("invest round %d: %d windows, %d shelters below %.2f", r, design.windows, len(below), target)
        added = 0
        for v in below:
            new = starts_to_add(v, target, hours, starts.setdefault(v.site, []))
            starts[v.site] += new
            added += len(new)
        if not below or not added:
            break
    verified = design.ok and len(after) == len(design.sizes) and all(v.p_survive(hours) >= target - 1e-9 for v in after)
    return InvestPlan(target, hours, design, after, before, tuple(rounds), starts, verified)
