"""Dashboard page /plans: plan versions (newest first), one plan's detail (the plan in force by default,
`?id=` another) with the optimiser's explanation (solver status, gap, timings, notes, the fallback rungs and why,
the soft limits missed with the binding limit behind each and its penalty), money apart from penalties, and
approve / reject buttons for operators that call POST /api/v1/plans/{id}/decision (its rules apply; the page
shows the API's refusal). A safe plan is shown as safe mode. Operators and the disaster office (read only)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.dashboard.access import MaybeUser, gate, message
from api.dashboard.i18n import catalogue
from api.dashboard.templating import page_lang, render
from api.routers.deps import ServiceDep
from runtime.facades.plan_costs import cost_summary
from runtime.store import plans

router = APIRouter(include_in_schema=False)
LIMIT = 50


@router.get("/plans")
def plans_page(request: Request, svc: ServiceDep, user: MaybeUser, id: int | None = None) -> Response:
    """Versions and one plan's detail."""
    denied = gate(request, user)
    if denied is not None:
        return denied
    versions = plans.list_plans(svc.store, LIMIT)
    in_force = plans.plan_in_force(svc.store, svc.settings.auto_approve)
    chosen = in_force if id is None else plans.get_plan(svc.store, id)
    if id is not None and chosen is None:
        return message(request, user, "plans.title", "plans.not_found", 404)
    context = {
        "title": catalogue(page_lang(request)).t("plans.title"),
        "versions": versions,
        "in_force": in_force,
        "plan": chosen,
        "costs": cost_summary(chosen.cost_breakdown) if chosen else None,
        "may_decide": user is not None and user.role == "operator",
    }
    return render(request, "plans.html", user, context)
