"""Typed options and results of a day-ahead plan solve: a plan (PlanResult) or no plan (NoSolution)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from optimizer.dayahead.costs import cost_breakdown
from optimizer.dayahead.decisions import Dispatch
from optimizer.dayahead.frames import interchange_flows, procurement_frame, schedule_frame
from optimizer.dayahead.inputs import PlanInputs
from optimizer.dayahead.slack import MissedTarget, slack_frame, slack_report
from optimizer.solver import HighsOptions


@dataclass(frozen=True)
class SolveOptions:
    """HiGHS settings. time_limit_s: seconds per HiGHS run; mip_rel_gap: relative MIP gap (fraction);
    mip_abs_gap_jpy: absolute gap in JPY (None = HiGHS default). HiGHS stops at whichever gap is met first; the
    absolute one matters because the total is dominated by unavoidable energy cost/revenue (1 % of a Yamaguchi
    96-slot plan, ~6,000 JPY, exceeds the optimiser's whole daily saving over the baseline measured in
    benchmarks/results/optimizer.md), so the default stops within 100 JPY; threads: HiGHS threads; relax: solve
    the LP relaxation (every binary continuous: EV minimum power, exclusivity); highs_options: further raw
    HiGHS options."""

    time_limit_s: float = 30.0
    mip_rel_gap: float = 1e-4
    mip_abs_gap_jpy: float | None = 100.0
    threads: int = 1
    relax: bool = False
    highs_options: dict[str, Any] = field(default_factory=dict)

    def highs(self) -> HighsOptions:
        """The stopping rules as the shared solver takes them."""
        return HighsOptions(
            time_limit_s=self.time_limit_s,
            mip_rel_gap=self.mip_rel_gap,
            mip_abs_gap=self.mip_abs_gap_jpy,
            threads=self.threads,
            raw=dict(self.highs_options),
        )


@dataclass(frozen=True)
class NoSolution:
    """A solve that gave no plan: status 'no_solution', HiGHS's termination ('TimeLimit', 'Infeasible', 'error:
    ...') and the reason in words; seconds as in PlanResult. The runtime decides what to plan instead."""

    inputs: PlanInputs
    termination: str
    reason: str
    build_s: float = 0.0
    handover_s: float = 0.0
    highs_s: float = 0.0
    status: str = "no_solution"


@dataclass(frozen=True)
class PlanResult:
    """A plan and how it was obtained.

    status: 'optimal' | 'feasible' (stopped at a limit with an incumbent) | 'relaxed' (LP relaxation) |
    'shifted' (last plan shifted) | 'baseline' (rule-based plan). objective_jpy: the shared cost function's
    total; solver_objective_jpy: what HiGHS reported (None for plans that did not solve). Seconds: build_s
    (model build or Param update), handover_s (Pyomo -> HiGHS and the solution back, compile_s of it spent
    compiling the model to matrices), highs_s (HiGHS run). fallback_used / fallback_reason: set by the runtime's
    fallback chain when this plan is not the first rung's.
    """

    inputs: PlanInputs
    dispatch: Dispatch
    status: str
    termination: str
    objective_jpy: float
    breakdown: dict[str, float]
    solver_objective_jpy: float | None = None
    mip_gap: float | None = None
    build_s: float = 0.0
    handover_s: float = 0.0
    highs_s: float = 0.0
    compile_s: float = 0.0
    fallback_used: str | None = None
    fallback_reason: str = ""
    missed: tuple[MissedTarget, ...] = ()

    @property
    def solve_s(self) -> float:
        """Hand-over plus HiGHS seconds."""
        return self.handover_s + self.highs_s

    @property
    def schedule(self) -> pd.DataFrame:
        """Tidy schedule (slot, facility, device, variable, value)."""
        return schedule_frame(self.inputs, self.dispatch)

    @property
    def procurement(self) -> pd.DataFrame:
        """Procurement plan per slot."""
        return procurement_frame(self.inputs, self.dispatch)

    @property
    def interchange(self) -> pd.DataFrame:
        """Aggregate interchange flows between facilities (kWh)."""
        return interchange_flows(self.inputs, self.dispatch)

    @property
    def slack(self) -> pd.DataFrame:
        """The slack report as a table."""
        return slack_frame(self.missed)

    def wide(self, facility: str) -> pd.DataFrame:
        """One facility's schedule as a wide frame (slots x '<device>.<variable>')."""
        s = self.schedule
        s = s[s["facility"] == facility]
        cols = s["device"].where(s["device"] == "", s["device"] + ".") + s["variable"]
        return s.assign(column=cols).pivot(index="slot", columns="column", values="value")


def make_result(inputs: PlanInputs, dispatch: Dispatch, status: str, termination: str, **extra: Any) -> PlanResult:
    """A PlanResult with the cost breakdown and slack report computed from the dispatch."""
    breakdown = cost_breakdown(inputs, dispatch)
    return PlanResult(
        inputs=inputs,
        dispatch=dispatch,
        status=status,
        termination=termination,
        objective_jpy=sum(breakdown.values()),
        breakdown=breakdown,
        missed=slack_report(inputs, dispatch),
        **extra,
    )
