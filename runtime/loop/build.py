"""Assembling the service: a ``Service`` with the default forecaster (``runtime.loop.store_forecaster``) and
planner (``runtime.loop.optimiser_planner.OptimizerPlanner``), built at the entry points (``ems up``/``serve``)."""

from __future__ import annotations

from runtime.loop.optimiser_planner import OptimizerPlanner
from runtime.loop.service import Clock, Planner, Service, Telemetry
from runtime.loop.store_forecaster import store_forecaster
from runtime.security import prepare_accounts
from runtime.settings import Settings
from runtime.store.db import Store
from scenarios.model import Scenario
from scenarios.timegrid import utcnow


def default_planner() -> Planner:
    """The optimiser (Pyomo + HiGHS rolling planner) behind the loop's Planner interface: a new
    OptimizerPlanner, owned by the service it is given to (its models and lock are not shared)."""
    return OptimizerPlanner()


def build_service(
    settings: Settings, scenario: Scenario, store: Store, telemetry: Telemetry | None, clock: Clock = utcnow
) -> Service:
    """A Service with the default forecaster and planner on `clock` (default: the wall clock); ensures the initial
    operator account exists and, in production, refuses (UnsafeSettingsError) accounts with weak passwords."""
    prepare_accounts(store, settings, clock())
    forecaster = store_forecaster(store, settings.weather_file, live_weather=settings.weather_fetch)
    return Service(settings, scenario, store, telemetry, forecaster, default_planner(), clock=clock)
