"""Outage (islanded shelter) planning: EV relocation MILP, greedy baseline, survival analysis, readiness.

Separate from the day-ahead market model. Imports only `scenarios` among our packages.
"""

from optimizer.outage.availability import CarAvailability, calendar_options, fleet_availability
from optimizer.outage.bound import lp_relaxation_bound, perfect_relocation_bound
from optimizer.outage.from_scenario import input_from_scenario, travel_matrices
from optimizer.outage.greedy import greedy_plan
from optimizer.outage.inputs import OutageEV, OutageInput, OutageInputError, OutageShelter, StationaryBattery
from optimizer.outage.load_following import simulate
from optimizer.outage.readiness import ReadinessTargets, readiness_scenario, readiness_targets
from optimizer.outage.result import Move, OutagePlan
from optimizer.outage.solve import plan_outage
from optimizer.outage.survival import CarSupport, SurvivalInput, survival_hours, survival_table
from optimizer.outage.survival_from_scenario import survival_input_from_scenario

__all__ = [
    "CarAvailability",
    "CarSupport",
    "Move",
    "OutageEV",
    "OutageInput",
    "OutageInputError",
    "OutagePlan",
    "OutageShelter",
    "ReadinessTargets",
    "StationaryBattery",
    "SurvivalInput",
    "calendar_options",
    "fleet_availability",
    "greedy_plan",
    "input_from_scenario",
    "lp_relaxation_bound",
    "perfect_relocation_bound",
    "plan_outage",
    "readiness_scenario",
    "readiness_targets",
    "simulate",
    "survival_hours",
    "survival_input_from_scenario",
    "survival_table",
    "travel_matrices",
]
