"""A hand-written `ems invest` result for 'tiny' in the shape runtime.facades.invest_files.summary() writes (two
shelters, a budget run with a cost-vs-resilience curve, its budget block from a ladder that did not finish, the
weather line and one interchange link), for the dashboard's investment page tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PLAN: dict[str, Any] = {
    "scenario": "tiny",
    "weather": "weather: JMA Tokyo 2024; outage load: tier1",
    "mode": "budget",
    "budget_jpy": 12_000_000.0,
    "target": 0.95,
    "hours": 72.0,
    "with_fleet": True,
    "verified": False,
    "status": "time_limit",
    "cars_bought": ["new-ev-1"],
    "allotment": {"ev1": "centre", "new-ev-1": "school"},
    "v2h_holds": [],
    "annual_cost_jpy": {"capital": 900_000.0, "energy": 400_000.0},
    "finance": {
        "capex_jpy": 11_500_000.0,
        "om_jpy_per_year": 120_000.0,
        "saving_jpy_per_year": 1_393_939.4,
        "payback_years": 8.44,
        "npv_jpy": 3_456_789.0,
        "co2_t_per_year": 12.34,
        "annual_cost_jpy": 2_345_678.0,
    },
    "shelters": [
        {
            "shelter": "centre",
            "pv_kwp": 12.5,
            "battery_kwh": 71.566699,
            "battery_kw": 20.0,
            "v2h_chargers": 1,
            "cars": "ev1",
            "p72_before": 0.125,
            "p72_after_fleet": 0.9117009,
            "p72_after_alone": 0.8365868,
            "min_h_after": 41.5,
            "operating_jpy_before": 903_461.0,
            "operating_jpy_after": 832_877.0,
        },
        {
            "shelter": "school",
            "pv_kwp": 0.0,
            "battery_kwh": 1234.5,
            "battery_kw": 250.0,
            "v2h_chargers": 2,
            "cars": "new-ev-1",
            "p72_before": 0.0,
            "p72_after_fleet": 0.97,
            "p72_after_alone": 0.5,
            "min_h_after": 60.0,
            "operating_jpy_before": 500_000.0,
            "operating_jpy_after": 450_000.0,
        },
    ],
    "budget": {
        "met": 1,
        "shelters": 2,
        "capex_jpy": 11_500_000.0,
        "status": "optimal",
        "complete": False,
        "rungs_built": 7,
        "ladder_s": 612.4,
        "chosen": [
            {"shelter": "centre", "planned_for": 0.9, "p": 0.9117009, "capex_jpy": 4_250_000.0},
            {"shelter": "school", "planned_for": 0.95, "p": 0.97, "capex_jpy": 7_250_000.0},
        ],
    },
    "links_in_outage": [
        "centre-school (centre - school, 20 kW): grid-tied, drops out in an outage; not used by the sizing"
    ],
    "curve": [
        {"target": 0.9, "annual_cost_jpy": 2_000_000.0, "capex_jpy": 9_000_000.0, "worst_p72": 0.91, "verified": True},
        {"target": 0.5, "annual_cost_jpy": 1_000_000.0, "capex_jpy": 3_000_000.0, "worst_p72": 0.52, "verified": True},
        {
            "target": 0.99,
            "annual_cost_jpy": 4_500_000.0,
            "capex_jpy": 21_000_000.0,
            "worst_p72": 0.97,
            "verified": False,
        },
    ],
}


def write(folder: Path, plan: dict[str, Any] | None = None) -> Path:
    """Write `plan` (default PLAN) as folder/invest.json, as `ems invest` does; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "invest.json").write_text(json.dumps(plan or PLAN, ensure_ascii=False), encoding="utf-8")
    return folder
