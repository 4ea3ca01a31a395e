"""A plan's cost breakdown as an operator reads it: money apart from penalties and the stored-energy value.

The thin layer the API uses for stored plans (api never imports optimizer). JPY; money + = paid, - = earned.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from optimizer.dayahead.headline import split_costs


def cost_summary(breakdown: Mapping[str, Any]) -> dict[str, Any]:
    """money_jpy (by term) and money_total_jpy, penalties_jpy (by term) and penalties_total_jpy,
    stored_energy_value_jpy, from a stored plan's flat cost breakdown (non-numbers ignored)."""
    split = split_costs({k: float(v) for k, v in breakdown.items() if isinstance(v, int | float)})
    return {
        "money_jpy": split.money_jpy,
        "money_total_jpy": split.money_total_jpy,
        "penalties_jpy": split.penalties_jpy,
        "penalties_total_jpy": split.penalties_total_jpy,
        "stored_energy_value_jpy": split.stored_energy_value_jpy,
    }
