"""Outage-plan schemas (kWh, hours, tz-aware times)."""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from api.schemas.common import Day, Moment, RequestBody, Schema


class OutageRequest(RequestBody):
    """An outage to plan for: when it starts, how long, how (greedy is fast, milp is time-limited HiGHS)."""

    start: Moment = Field(
        description="Outage start with a timezone, e.g. 2024-09-01T12:00:00+09:00 (years 2000..2099)."
    )
    hours: float = Field(
        72.0,
        ge=4,
        le=72,
        multiple_of=0.5,
        description="Outage length in hours (4..72 in steps of 0.5 h, one slot; cars move in 4-h blocks).",
    )
    method: str = Field("greedy", pattern=r"^(greedy|milp)$", description="'greedy' or 'milp'.")
    pv_factor: float = Field(1.0, ge=0, le=1, description="Fraction of the clear-sky PV forecast (0.3 = overcast).")
    time_limit_s: float = Field(20.0, gt=0, le=120, description="HiGHS time limit in seconds (milp).")
    ev_soc: dict[str, float] = Field(
        default_factory=dict, description="Car SoC at the start by car id (fraction 0..1); others from the scenario."
    )
    battery_soc: dict[str, float] = Field(
        default_factory=dict, description="Shelter battery SoC at the start by facility id (fraction 0..1)."
    )
    unavailable: list[str] = Field(
        default_factory=list,
        description="Cars not available ('ID') or busy until a time ('ID@18:00' or 'ID@2024-09-02T09:00+09:00').",
    )
    candidates: int = Field(6, ge=1, le=50, description="Nearest shelters each car may serve.")
    fleet_calendar: bool = Field(
        True,
        description="Car availability from the scenario's fleet calendar (official use on weekdays, car-sharing on "
        "weekends and holidays, mobilisation and dealer delays); 'unavailable' overrides it per car.",
    )


class ShelterOutcome(Schema):
    """Energy served and shed at one shelter over the outage (kWh)."""

    facility_id: str
    served_kwh: float
    shed_kwh: float


class OutagePlanOut(Schema):
    """Result of an outage plan run."""

    method: str
    status: str
    objective: float
    gap: float | None
    slots: int
    served_kwh: float
    shed_kwh: float
    shelters: list[ShelterOutcome]
    notes: list[str]


class ShelterPlanRow(Schema):
    """One shelter over a planned outage: energies in kWh, hours in h, dark_at = first slot with shed load."""

    facility_id: str
    priority: float
    critical_kwh: float
    served_kwh: float
    shed_kwh: float
    hours_served: float = Field(description="Hours with the critical load fully served.")
    hours_until_dark: float = Field(description="Hours from the outage start to the first shortfall.")
    dark_at: AwareDatetime | None = Field(description="Start of the first slot with shed load (None: never dark).")
    pv_kwh: float
    battery_kwh: float = Field(description="Net battery discharge over the outage, kWh.")
    ev_kwh: float = Field(description="Energy delivered by EVs, kWh.")
    tier1_full: bool = Field(False, description="True if tier 1 is fully served in every slot of the outage.")
    tier1_kwh: float = Field(0.0, description="Tier-1 energy served (lighting, comms, medical, phones), kWh.")
    tier1_hours: float = Field(0.0, description="Hours with tier 1 fully served (partly served slots do not count).")
    tier2_kwh: float = Field(0.0, description="Tier-2 energy served (the rest of the critical load), kWh.")
    tier2_hours: float = Field(0.0, description="Hours with tiers 1 and 2 fully served.")
    comfort_kwh: float = Field(0.0, description="Comfort-tier (tier 3) energy served, kWh.")
    comfort_hours: float = Field(
        0.0, description="Hours with tiers 1, 2 and the comfort tier fully served (0 where the shelter states none)."
    )


class MoveOut(Schema):
    """One EV relocation: car from a site to a shelter, departing and arriving (tz-aware), energies in kWh."""

    car: str
    from_site: str
    to_shelter: str
    depart: AwareDatetime
    arrive: AwareDatetime
    travel_kwh: float
    energy_delivered_kwh: float
    arrival_soc: float = Field(0.0, description="Car SoC on arrival (fraction 0..1).")
    outlet: str = Field("V2L", description="'V2H' (a bidirectional charger) or 'V2L' (the car's AC outlet).")
    until: AwareDatetime | None = Field(None, description="When the car leaves the shelter (or the outage ends).")
    empty_at: AwareDatetime | None = Field(None, description="When the car reaches its floor there (None: never).")


class OutagePlanDetail(OutagePlanOut):
    """An outage plan with its shelter table and EV itinerary; `run_id` names it for the CSV/JSON downloads
    (GET /api/v1/outage-plans/{run_id}/shelters.csv, itinerary.csv, plan.json) while it is kept in memory."""

    run_id: str
    start: AwareDatetime
    hours: float
    bound: float | None
    solve_seconds: float
    shelter_table: list[ShelterPlanRow]
    itinerary: list[MoveOut]


class SurvivalRequest(RequestBody):
    """Outage starts at every 30-min slot from period_start 00:00 JST to the end of period_end (inclusive)."""

    period_start: Day = Field(description="First day of outage starts (JST), e.g. 2024-07-01 (2000..2099).")
    period_end: Day = Field(description="Last day of outage starts (JST, inclusive), e.g. 2024-09-30 (2000..2099).")
    hours: float = Field(
        72.0, ge=0.5, le=336, multiple_of=0.5, description="Outage length in hours (0.5..336 in steps of 0.5 h)."
    )
    pv_factor: float = Field(1.0, ge=0, le=1, description="Fraction of the clear-sky PV forecast (0.3 = overcast).")
    battery_soc: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Battery SoC at every outage start (fraction); default: from start_soc.",
    )
    start_soc: str = Field(
        "normal",
        pattern=r"^(normal|initial)$",
        description="'normal': each battery's SoC at that slot in normal operation (the day-ahead baseline's rule); "
        "'initial': its initial_soc.",
    )
    fleet_calendar: bool = Field(True, description="Cars leave when the fleet calendar lets them at each start.")
    by_hours: float = Field(24.0, gt=0, le=336, description="Threshold of p_by_month / p_by_hour, hours.")


class SurvivalStats(Schema):
    """Hours until the first shortfall over all starts (min/mean/max), mean hours fully served, and the
    probability of surviving 24/48/72 h (None when the outage is shorter than the threshold)."""

    min_h: float
    mean_h: float
    max_h: float
    served_mean_h: float
    p_24h: float | None = None
    p_48h: float | None = None
    p_72h: float | None = None
    comfort_mean_h: float | None = Field(
        None, description="Mean hours with the comfort tier (tier 3) served too; None if the shelter states none."
    )


class ShelterSurvival(Schema):
    """One shelter's survival without EVs (PV + battery) and with the fleet (the plan's greedy allotment), and
    with the fleet P(survive `by_hours`) by start month (1..12) and start hour (0..23, JST)."""

    facility_id: str
    no_ev: SurvivalStats
    ev: SurvivalStats
    p_by_month: dict[int, float] = Field(default_factory=dict)
    p_by_hour: dict[int, float] = Field(default_factory=dict)


class SurvivalOut(Schema):
    """Survival analysis: outages of `hours` starting at each of `starts` slots in the period."""

    period_start: AwareDatetime
    period_end: AwareDatetime = Field(description="End of the period (exclusive), JST.")
    hours: float
    starts: int
    fleet_added_shelter_hours: float = Field(
        description="Mean fully-served shelter-hours the fleet adds per outage, summed over shelters."
    )
    shelters: list[ShelterSurvival]
