"""Investment planning (REopt's job for the whole city): size PV, batteries, V2H chargers and fleet cars so every
shelter survives its outages at least cost; representative-day MILP, full-year verification, the loop.

Imports only `scenarios` (and the outage package's survival analysis) among our packages.
"""

from optimizer.invest.finance import Finance, finance
from optimizer.invest.from_scenario import invest_cars, invest_input
from optimizer.invest.inputs import InvestCar, InvestInput, InvestInputError, InvestSite, OutageWindow
from optimizer.invest.plan import InvestPlan, Iteration, plan_investment, serial_map
from optimizer.invest.repdays import RepresentativeDays, pick_days
from optimizer.invest.result import InvestDesign, SiteSizes
from optimizer.invest.solve import solve_sizing
from optimizer.invest.verify import SiteTask, SiteVerdict, verify_site
from optimizer.invest.year import YearSeries, initial_starts, wrap

__all__ = [
    "Finance",
    "InvestCar",
    "InvestDesign",
    "InvestInput",
    "InvestInputError",
    "InvestPlan",
    "InvestSite",
    "Iteration",
    "OutageWindow",
    "RepresentativeDays",
    "SiteSizes",
    "SiteTask",
    "SiteVerdict",
    "YearSeries",
    "finance",
    "initial_starts",
    "invest_cars",
    "invest_input",
    "pick_days",
    "plan_investment",
    "serial_map",
    "solve_sizing",
    "verify_site",
    "wrap",
]
