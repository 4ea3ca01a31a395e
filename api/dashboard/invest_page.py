"""Dashboard page /invest (投資計画 Investment plan) for the disaster office and operators: the last `ems invest`
run, read from Settings.invest_dir through runtime exactly as GET /api/v1/invest reads it. Per shelter the
recommended additions (PV kWp, battery kWh / kW, V2H chargers, EVs allotted), P(72 h) before -> after with and
without the fleet, the headline (capex after subsidy JPY, annual cost JPY/yr, NPV JPY, payback years, CO2 avoided
t/yr), the weather the run used, how the interchange links are treated in an outage, budget mode's pick
(shelters at the target out of N, capex against the budget, per shelter the level its plan was made for and its
P(72 h), a warning when the ladder of plans did not finish) and the cost-vs-resilience curve if the run has
one. Facility managers get 403."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.dashboard.access import MaybeUser, gate
from api.dashboard.chart_spec import Series, time_chart
from api.dashboard.i18n import Catalogue, catalogue
from api.dashboard.templating import page_lang, render
from api.routers.deps import ServiceDep
from api.schemas.invest import InvestBudgetOut, InvestCurvePoint, InvestPlanOut
from runtime.facades.invest_files import read_last
from scenarios.model import Scenario

router = APIRouter(include_in_schema=False)
ROLES = ("operator", "disaster_office")
MILLION = 1e6
WEATHER_PREFIX = "weather: "
MET_TOLERANCE = 1e-9  # as optimizer.invest.budget counts a shelter at the target


def shelter_rows(plan: InvestPlanOut, names: dict[str, str]) -> list[dict[str, Any]]:
    """One row per shelter: its display name, additions (kWp, kWh, kW, chargers), the cars allotted (list of
    ids) and P(72 h) before / after as percentages (0..100)."""
    return [
        {
            "id": s.shelter,
            "name": names.get(s.shelter, s.shelter),
            "pv_kwp": s.pv_kwp,
            "battery_kwh": s.battery_kwh,
            "battery_kw": s.battery_kw,
            "v2h_chargers": s.v2h_chargers,
            "cars": s.cars.split(),
            "p_before": 100 * s.p72_before,
            "p_after_fleet": 100 * s.p72_after_fleet,
            "p_after_alone": 100 * s.p72_after_alone,
            "min_h_after": s.min_h_after,
        }
        for s in plan.shelters
    ]


def curve_chart(t: Catalogue, curve: list[InvestCurvePoint]) -> dict[str, Any] | None:
    """Cost vs resilience: per target P(72 h) the annual cost and capex (million JPY/yr, million JPY) and the
    worst shelter's P(72 h) after (%, right axis); None if the run has no curve."""
    if not curve:
        return None
    points = sorted(curve, key=lambda p: p.target)
    spec = time_chart(
        [f"{p.target:.2f}" for p in points],
        [
            Series(t.t("invest.curve_annual"), "line", "#c0392b", [p.annual_cost_jpy / MILLION for p in points]),
            Series(t.t("invest.curve_capex"), "bar", "#7f8c8d", [p.capex_jpy / MILLION for p in points]),
            Series(t.t("invest.curve_worst"), "line", "#2471a3", [100 * p.worst_p72 for p in points], axis=1),
        ],
        t.t("invest.unit_million"),
        "%",
    )
    spec["x_name"] = t.t("invest.curve_target")
    return spec


def budget_context(budget: InvestBudgetOut | None, target: float, names: dict[str, str]) -> dict[str, Any] | None:
    """Budget mode's pick for the page (None in least-cost mode): one row per shelter with the target its plan
    was made for and its verified P(72 h) as percentages (0..100; planned_for None = nothing added), its capex
    after subsidy (JPY) and whether it reaches the run's target (P >= target, as the budget mode counts `met`)."""
    if budget is None:
        return None
    rows = [
        {
            "id": g.shelter,
            "name": names.get(g.shelter, g.shelter),
            "planned_for": 100 * g.planned_for if g.planned_for > 0 else None,
            "p": 100 * g.p,
            "capex_jpy": g.capex_jpy,
            "met": g.p >= target - MET_TOLERANCE,
        }
        for g in budget.chosen
    ]
    return {"block": budget, "rows": rows}


def weather_line(weather: str) -> str:
    """The run's weather and outage load as `ems invest` stored it, without the facade's leading 'weather: '."""
    return weather.removeprefix(WEATHER_PREFIX)


def invest_context(t: Catalogue, plan: InvestPlanOut, names: dict[str, str]) -> dict[str, Any]:
    """The page's context from the API's model of the last run (so the page and /api/v1/invest agree)."""
    return {
        "plan": plan,
        "finance": plan.finance,
        "rows": shelter_rows(plan, names),
        "curve": curve_chart(t, plan.curve),
        "curve_points": sorted(plan.curve, key=lambda p: p.target),
        "weather": weather_line(plan.weather),
        "links": plan.links_in_outage,
        "budget": budget_context(plan.budget, plan.target, names),
    }


def _names(scenario: Scenario, lang: str) -> dict[str, str]:
    return {f.id: f.name_ja if lang == "ja" else f.name_en for f in scenario.facilities}


@router.get("/invest")
def invest(request: Request, svc: ServiceDep, user: MaybeUser) -> Response:
    """The last investment run, or how to make one; an unreadable file is shown with its reason."""
    denied = gate(request, user, ROLES)
    if denied is not None:
        return denied
    lang = page_lang(request)
    t = catalogue(lang)
    context: dict[str, Any] = {"title": t.t("invest.title"), "invest_dir": str(svc.settings.invest_dir)}
    try:
        data = read_last(svc.settings.invest_dir)
    except ValueError as exc:
        return render(request, "invest.html", user, {**context, "error": str(exc)})
    if data is not None:
        context.update(invest_context(t, InvestPlanOut.model_validate(data), _names(svc.scenario, lang)))
    return render(request, "invest.html", user, context)
