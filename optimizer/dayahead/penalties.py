"""Penalty prices of the soft targets: the one place they are defined.

Physics (energy balance, SoC dynamics, power limits) is hard in the model; the targets below are soft: a
shortfall is allowed but costs the stated price, so a plan always exists and every miss is reported.
All prices are in JPY; they are chosen well above any JEPX price seen in the shipped data (FY2023-2024
Chugoku area price <= ~50 JPY/kWh) so that a target is missed only when the physics leaves no other way.
The EV departure price (200) is below JEPX's historical spike (251 JPY/kWh, Jan 2021): at such prices a car
may leave short (reported), an economic choice; the shelter reserve is priced to hold even then.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Penalties:
    """Soft-target penalty prices (the demand charge is money, not a penalty: ``PlanInputs``'
    ``demand_charge_jpy_per_kw_month``, from the scenario's market).

    ev_departure_jpy_per_kwh: per kWh an EV is short of its departure target at departure.
    ev_trip_jpy_per_kwh: per kWh a car lacks for its assumed trip (or falls below its SoC floor on return).
    reserve_jpy_per_kwh_h: per kWh below a shelter's reserve, per hour it stays below (kWh x h). One 30-min
        slot below costs half of it per kWh, so 700 makes that 350 JPY/kWh: above the imbalance price cap
        (300 JPY/kWh from 2026-10) + wheeling, so no spot spike buys a shelter's reserve away. (At the former
        100, i.e. 50 JPY/kWh per slot, a spike above ~70 JPY/kWh drained the reserve for that slot.)
    """

    ev_departure_jpy_per_kwh: float = 200.0
    ev_trip_jpy_per_kwh: float = 500.0
    reserve_jpy_per_kwh_h: float = 700.0

    def __post_init__(self) -> None:
        for name in ("ev_departure_jpy_per_kwh", "ev_trip_jpy_per_kwh", "reserve_jpy_per_kwh_h"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"penalties.{name}: must be >= 0 JPY, got {getattr(self, name)}")


DEFAULT_PENALTIES = Penalties()

# Assumed daily driving of a fleet car between departure and return (km); used for trip energy.
EV_DAILY_KM_DEFAULT = 30.0
