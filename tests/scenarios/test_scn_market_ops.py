"""The market day's configuration (Market.operations): defaults and errors that name the field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from scenarios.loader import load_builtin
from scenarios.market_ops import MarketOperations, QuantileWeights, ScarcityPoint


def test_defaults_in_the_builtin_scenario() -> None:
    ops = load_builtin("yamaguchi").market.operations
    assert (ops.bid_unit_kwh, ops.bid_deadline, ops.plan_deadline) == (50.0, "10:00", "12:00")
    assert ops.quantile_weights.as_tuple() == (0.3, 0.4, 0.3)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: MarketOperations(bid_deadline="25:00"), "bid_deadline"),
        (lambda: MarketOperations(balancing_group_code="YGE 1"), "balancing_group_code"),
        (lambda: MarketOperations(min_bid_price_jpy_per_kwh=5.0, max_bid_price_jpy_per_kwh=1.0), "min_bid_price"),
        (lambda: QuantileWeights(p10=0.2, p50=0.2, p90=0.2), "quantile_weights"),
        (
            lambda: MarketOperations(
                scarcity_curve=[ScarcityPoint(reserve_margin=0.08), ScarcityPoint(reserve_margin=0.03)]
            ),
            "scarcity_curve",
        ),
    ],
)
def test_bad_configuration_names_the_field(build, field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        build()
