"""The city as typed data: supply plant, market, facilities, EVs, links and travel parameters.

Units: kW, kWh, JPY, JPY/kWh, degrees, km/h, fractions 0..1. Times of day are local (Asia/Tokyo);
datetimes must be timezone-aware.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, Field, model_validator

from scenarios.assets import IDENTIFIER, Battery, EVCharger, Meter, PVArray, Strict
from scenarios.market_ops import MarketOperations


class FacilityKind(StrEnum):
    """What a facility is."""

    CITY_HALL = "city_hall"
    COMMUNITY_CENTRE = "community_centre"
    BRANCH_OFFICE = "branch_office"
    SCHOOL = "school"
    CLEANING_PLANT = "cleaning_plant"
    PARK = "park"
    OTHER = "other"


class AvailabilityWindow(Strict):
    """A period in which the supply plant can deliver at most available_kw."""

    start: AwareDatetime = Field(description="Window start (tz-aware, inclusive).")
    end: AwareDatetime = Field(description="Window end (tz-aware, exclusive).")
    available_kw: float = Field(ge=0, description="Maximum plant output in kW during the window.")
    reason: str = Field("", description="Why, e.g. 'line 2 maintenance'.")

    @model_validator(mode="after")
    def _ordered(self) -> AvailabilityWindow:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class SupplyPlant(Strict):
    """The waste-to-energy plant that supplies YGE's balancing group."""

    id: str = Field(pattern=IDENTIFIER, description="Plant id.")
    name_ja: str = Field(description="Japanese name.")
    name_en: str = Field(description="Romanised / English name.")
    facility_id: str | None = Field(
        None,
        description="Facility where the plant stands, if supplied too: its load is served behind that facility's "
        "meter (self-consumption, no wheeling) before the rest goes to the grid.",
    )
    capacity_kw: float = Field(gt=0, description="Maximum net export to the grid in kW.")
    must_run_min_kw: float = Field(ge=0, description="Lowest output in kW while the incinerator runs.")
    typical_output_kw: float = Field(gt=0, description="Usual steady net output in kW (forecast default).")
    curtailment_cost_jpy_per_kwh: float = Field(
        3.0, ge=0, description="Cost in JPY/kWh of reducing output below the forecast."
    )
    availability: list[AvailabilityWindow] = Field(
        default_factory=list, description="Planned outages / derates (maintenance windows)."
    )
    ramp_kw_per_slot: float | None = Field(
        None,
        gt=0,
        description="Most the output may change from one 30-min slot to the next, in kW (up and down); planned "
        "windows are ramped into ahead of time, a forced outage drops at once. None = no limit.",
    )

    @model_validator(mode="after")
    def _limits(self) -> SupplyPlant:
        if self.must_run_min_kw > self.capacity_kw:
            raise ValueError("must_run_min_kw must be <= capacity_kw")
        if self.typical_output_kw > self.capacity_kw:
            raise ValueError("typical_output_kw must be <= capacity_kw")
        return self


class ImbalanceParams(Strict):
    """How imbalance (plan vs metered) is priced; real imbalance prices are not public here."""

    spread_jpy_per_kwh: float = Field(
        5.0, ge=0, description="Shortfall pays spot + spread, surplus earns spot - spread (JPY/kWh)."
    )
    cap_jpy_per_kwh: float = Field(200.0, gt=0, description="Imbalance price cap in JPY/kWh (FY2022 rule).")
    cap_from_2026_10_jpy_per_kwh: float = Field(300.0, gt=0, description="Cap from 2026-10 in JPY/kWh.")


class CapacityContribution(Strict):
    """容量拠出金: the capacity-market contribution a retailer pays, allocated by its share of the area's peak
    demand in summer (Jul-Sep, for the next fiscal year's Apr-Sep bills) and winter (Dec-Feb, for its Oct-Mar
    bills) (OCCTO, https://www.occto.or.jp/capacity-market/kouri/schedule). The plan prices each kW the balancing
    group's summed 30-min demand rises above its season peak so far at half a year's price."""

    price_jpy_per_kw_year: float = Field(
        9534.0,
        ge=0,
        description="Contribution per kW of peak demand and year, JPY/kW/yr (FY2024 average, secondary source "
        "yoshihiromagokoro.com: verify against OCCTO's published unit price).",
    )
    summer_months: list[int] = Field(default_factory=lambda: [7, 8, 9], description="Months of the summer peak.")
    winter_months: list[int] = Field(default_factory=lambda: [12, 1, 2], description="Months of the winter peak.")
    summer_peak_so_far_kw: float = Field(
        0.0,
        ge=0,
        description="The group's highest summed 30-min demand so far this summer, kW (offline plans; "
        "the service measures it).",
    )
    winter_peak_so_far_kw: float = Field(0.0, ge=0, description="The same for the winter season, kW.")

    def peak_so_far_kw(self, month: int) -> float:
        """The season's peak so far for a plan starting in `month` (0 outside the seasons)."""
        if month in self.summer_months:
            return self.summer_peak_so_far_kw
        return self.winter_peak_so_far_kw if month in self.winter_months else 0.0

    @property
    def jpy_per_season_kw(self) -> float:
        """JPY one kW of a season's peak costs: it sets six monthly bills, half a year's price."""
        return self.price_jpy_per_kw_year * 6 / 12

    def in_season(self, month: int) -> bool:
        """True if a peak in this month (1..12) counts for the contribution."""
        return month in self.summer_months or month in self.winter_months


class Market(Strict):
    """JEPX spot market access of the balancing group."""

    price_area: str = Field("chugoku", description="JEPX area whose price applies.")
    price_source: str = Field(
        "builtin:jepx_chugoku",
        description="Price series: 'builtin:jepx_chugoku', 'builtin:jepx_system' or a CSV path.",
    )
    wheeling_charge_jpy_per_kwh: float = Field(
        4.0, ge=0, description="Network (託送) charge on energy delivered to facilities, JPY/kWh."
    )
    sale_discount_jpy_per_kwh: float = Field(
        0.5, ge=0, description="Sale revenue = spot price minus this (fees), JPY/kWh."
    )
    gate_closure_min: int = Field(60, ge=0, le=1440, description="Minutes before a slot when plans freeze.")
    imbalance: ImbalanceParams = Field(default_factory=ImbalanceParams, description="Imbalance pricing.")
    basic_charge_jpy_per_kw_month: float = Field(
        1800.0,
        ge=0,
        description="Basic (demand) charge per kW of contract demand and month, JPY/kW/month (assumed: a "
        "Chugoku high-voltage 業務用 tariff's order of magnitude; verify against the contract).",
    )
    capacity: CapacityContribution = Field(
        default_factory=CapacityContribution, description="Capacity contribution (容量拠出金)."
    )
    operations: MarketOperations = Field(
        default_factory=MarketOperations, description="Bids, 計画値 file, scarcity pricing (market day)."
    )


class LoadProfile(Strict):
    """Where a facility's load shape comes from before it has telemetry."""

    source: str = Field(
        description="Shape 'doe:<BuildingType>' (DOE reference buildings) or 'pycity:<column>' (weekly).",
        pattern=r"^(doe|pycity):[A-Za-z0-9_]+$",
    )
    annual_kwh: float = Field(gt=0, description="Annual consumption in kWh the shape is scaled to.")


class Shelter(Strict):
    """Designated-shelter duty of a facility."""

    critical_load_kw: float = Field(gt=0, le=10_000, description="Base critical load in kW in an outage.")
    evening_peak_factor: float = Field(1.3, ge=1, le=3, description="Multiplier 17:00-22:00 local.")
    priority: float = Field(1.0, gt=0, le=100, description="Weight of one kWh served here (higher = first).")
    target_autonomy_h: float = Field(72.0, gt=0, le=336, description="Hours of autonomy to aim for.")
    reserve_hours: float = Field(
        0.0, ge=0, le=336, description="Hours of critical load the day-ahead plan keeps in storage."
    )
    v2l_parallel_wiring: bool = Field(
        False,
        description="True if the wiring lets car V2L outlets feed the critical circuit together and with PV; "
        "otherwise one outlet feeds it alone.",
    )
    grid_forming_source: bool = Field(
        False, description="True if a grid-forming source other than a battery lets PV run islanded."
    )
    population: int | None = Field(
        None, ge=0, le=100_000, description="People sheltered in an outage (sizes tier 1); None = unknown."
    )
    medical_kw: float = Field(0.0, ge=0, le=1000, description="Medical devices on continuously in an outage, kW.")
    comms_kw: float = Field(0.1, ge=0, le=100, description="Communications (radio, router, PCs) in an outage, kW.")
    tier1_w_per_person: float = Field(
        2.0, ge=0, le=100, description="Lighting and phone charging per person in W (tier 1; ×evening peak)."
    )
    tier1_share: float = Field(
        0.5, ge=0, le=1, description="Tier-1 fraction of the critical load when population is unknown."
    )
    comfort_kw: float = Field(
        0.0,
        ge=0,
        le=1000,
        description="Comfort tier (tier 3: fans, a spot cooler or heater for the sheltered, kW) on top of the "
        "critical load, served only after tiers 1 and 2; 0 = the shelter states none.",
    )


class Facility(Strict):
    """A site YGE supplies (or an EV base it does not)."""

    id: str = Field(pattern=IDENTIFIER, description="Facility id, unique in the scenario.")
    name_ja: str = Field(min_length=1, description="Japanese name.")
    name_en: str = Field(min_length=1, description="Romanised / English name.")
    kind: FacilityKind = Field(description="What the facility is.")
    latitude: float = Field(ge=-90, le=90, description="Latitude in degrees north.")
    longitude: float = Field(ge=-180, le=180, description="Longitude in degrees east.")
    altitude_m: float = Field(20.0, ge=-100, le=5000, description="Altitude in metres.")
    supplied: bool = Field(True, description="True if YGE supplies it (in the balancing group).")
    shelter: Shelter | None = Field(None, description="Shelter duty; None if not a designated shelter.")
    outage_chargers: int = Field(
        0, ge=0, le=100, description="EV chargers with power during an outage (plant, outside the area); 0 = none."
    )
    outage_charger_kw: float = Field(6.0, gt=0, le=400, description="Power of each outage charger into a car, kW.")
    critical_load_kw: float = Field(0.0, ge=0, description="Critical load in kW for non-shelters (e.g. HQ).")
    grid_contract_kw: float = Field(ge=0, description="Contracted demand (契約電力) in kW, 30-min average.")
    peak_this_month_kw: float = Field(0.0, ge=0, description="30-min peak already set this month in kW.")
    peak_12_months_kw: float = Field(
        0.0, ge=0, description="Highest 30-min demand of this month and the 11 before, kW (the ratchet's base)."
    )
    demand_contract: Literal["ratchet", "fixed"] | None = Field(
        None,
        description="'ratchet' (高圧 実量制: the contract kW is the highest 30-min demand of the last 12 months, so a "
        "new peak is billed 12 times) or 'fixed' (agreed contract kW: a peak above it is billed this month); "
        "None = by size: ratchet for 50-499 kW, fixed otherwise.",
    )
    export_limit_kw: float | None = Field(
        None,
        ge=0,
        description="Reverse-flow (逆潮流) limit at the grid connection in kW: 0 = no export allowed (RPR relay), "
        "None = no limit stated (the equipment's own ratings bound it).",
    )
    roof_pv_limit_kwp: float | None = Field(
        None,
        ge=0,
        le=10_000,
        description="Most PV DC nameplate the roof takes in kWp, existing arrays included (investment planning); "
        "None = not surveyed (the investment configuration's default limit applies).",
    )
    load: LoadProfile | None = Field(None, description="Load shape; None means no load (EV base only).")
    pv_arrays: list[PVArray] = Field(default_factory=list, description="PV arrays.")
    batteries: list[Battery] = Field(default_factory=list, description="Stationary batteries.")
    ev_chargers: list[EVCharger] = Field(default_factory=list, description="EV charge points.")
    meters: list[Meter] = Field(default_factory=list, description="Meters.")

    @property
    def demand_ratchet(self) -> bool:
        """True if the contract kW follows the 12-month peak (see ``demand_contract``)."""
        if self.demand_contract is not None:
            return self.demand_contract == "ratchet"
        return 50 <= self.grid_contract_kw < 500

    @property
    def is_shelter(self) -> bool:
        """True if the facility is a designated shelter."""
        return self.shelter is not None

    @property
    def pv_kwp(self) -> float:
        """Total PV DC nameplate in kWp."""
        return sum(a.kwp for a in self.pv_arrays)

    @property
    def battery_kwh(self) -> float:
        """Total battery capacity in kWh."""
        return sum(b.capacity_kwh for b in self.batteries)

    @property
    def battery_kw(self) -> float:
        """Total battery discharge power in kW."""
        return sum(b.discharge_kw for b in self.batteries)


class PlugWindow(Strict):
    """A daily local-time window in which a car is at its home charger (may wrap past midnight)."""

    start: dt.time = Field(description="Local time the car plugs in (Asia/Tokyo).")
    end: dt.time = Field(description="Local time the car leaves; earlier than start means next day.")
    departure_soc: float = Field(0.8, ge=0, le=1, description="SoC wanted at 'end' (fraction).")


class Booking(Strict):
    """A booking of a fleet car from the car-sharing calendar: the car is away from its charger from `start` to
    `end` (tz-aware), driving `km`, and should leave with at least `departure_soc`."""

    start: AwareDatetime = Field(description="When the car leaves its charger (tz-aware).")
    end: AwareDatetime = Field(description="When it is back at its charger (tz-aware).")
    km: float = Field(0.0, ge=0, le=2000, description="Distance driven on the booking in km.")
    departure_soc: float = Field(0.8, ge=0, le=1, description="SoC wanted when the car leaves (fraction).")
    note: str = Field("", description="Who or what, e.g. 'citizen share, Hagi round trip'.")

    @model_validator(mode="after")
    def _ordered(self) -> Booking:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class ElectricVehicle(Strict):
    """One vehicle of the car-sharing fleet or a dealer car lent in disasters."""

    id: str = Field(pattern=IDENTIFIER, description="Vehicle id, unique in the scenario.")
    model: str = Field(description="Make and model, e.g. 'Toyota bZ4X'.")
    owner: str = Field("city", pattern=r"^(city|dealer)$", description="'city' fleet or 'dealer' loan.")
    capacity_kwh: float = Field(gt=0, le=300, description="Usable battery capacity of this vehicle in kWh.")
    home_facility: str = Field(description="Facility id where the car is based.")
    charge_kw: float = Field(6.0, gt=0, le=350, description="Maximum AC charge power in kW.")
    v2h_kw: float = Field(0.0, ge=0, le=50, description="Discharge through a V2H unit in kW (0 = none).")
    v2l_kw: float = Field(0.0, ge=0, le=10, description="On-board AC outlet power in kW (0 = none).")
    soc_floor: float = Field(0.1, ge=0, lt=1, description="Lowest SoC for discharge (fraction).")
    initial_soc: float = Field(0.6, ge=0, le=1, description="Assumed SoC without a reading (fraction).")
    consumption_kwh_per_km: float = Field(0.16, gt=0, le=1, description="Driving consumption in kWh/km.")
    disaster_only: bool = Field(False, description="True if only available in a disaster (dealer cars).")
    weekday: list[PlugWindow] = Field(default_factory=list, description="Weekday plug-in windows.")
    weekend: list[PlugWindow] = Field(default_factory=list, description="Weekend/holiday plug-in windows.")
    bookings: list[Booking] = Field(
        default_factory=list, description="Dated bookings from the fleet calendar; they override the plug windows."
    )
    v2h_wear_jpy_per_kwh: float = Field(
        10.0,
        ge=0,
        description="Battery wear per kWh discharged through V2H, JPY/kWh (assumed default: a pack at about "
        "20,000 JPY/kWh lasting about 2,000 full cycles).",
    )
    v2h_max_kwh_per_24h: float | None = Field(
        None, gt=0, description="The car owner's limit on V2H energy in any 24 hours, kWh (None = no limit)."
    )
    mobilisation_delay_h: float = Field(
        0.0,
        ge=0,
        le=72,
        description="Hours from the outage start, or from the car's return to its base, until a driver takes it "
        "out (finding one); for a dealer car, the hours until the dealer hands it over at its base.",
    )
    engine_kw: float = Field(
        0.0, ge=0, le=50, description="A PHEV's engine as a generator: electric kW it can add at the outlet (0 = none)."
    )
    fuel_tank_l: float = Field(0.0, ge=0, le=200, description="A PHEV's fuel tank in litres (0 = no engine fuel).")
    fuel_kwh_per_l: float = Field(
        0.0, ge=0, le=10, description="Electric kWh the engine makes from one litre of fuel at the outlet."
    )
    fuel_level: float = Field(0.5, ge=0, le=1, description="Fuel in the tank at the outage start (fraction).")

    @property
    def fuel_kwh(self) -> float:
        """Electric kWh the engine can make from the fuel in the tank at the outage start (0 without an engine)."""
        return self.fuel_tank_l * self.fuel_level * self.fuel_kwh_per_l if self.engine_kw > 0 else 0.0

    @model_validator(mode="after")
    def _disaster_car_can_supply(self) -> ElectricVehicle:
        if self.v2h_kw == 0 and self.v2l_kw == 0 and self.disaster_only:
            raise ValueError("a disaster-only car needs v2h_kw or v2l_kw > 0")
        return self


class Link(Strict):
    """A physical feeder (private microgrid line) between two facilities."""

    id: str = Field(pattern=IDENTIFIER, description="Link id.")
    from_facility: str = Field(description="Facility id at one end.")
    to_facility: str = Field(description="Facility id at the other end.")
    limit_kw: float = Field(gt=0, description="Thermal limit in kW, both directions.")
    loss_fraction: float = Field(
        0.0, ge=0, lt=0.5, description="Share of the power sent that is lost on the way (line and transformer)."
    )
    charge_jpy_per_kwh: float = Field(
        0.0, ge=0, description="Fee per kWh sent over the link (either direction), e.g. its owner's wheeling, JPY/kWh."
    )


class Travel(Strict):
    """Parameters for travel-time estimates between facilities in a disaster."""

    road_factor: float = Field(1.3, ge=1, le=3, description="Road distance / straight-line distance.")
    disaster_speed_kmh: float = Field(30.0, gt=0, le=120, description="Average speed in a disaster, km/h.")


class Scenario(Strict):
    """A whole city: everything the engine needs to know that is not a time series."""

    name: str = Field(pattern=IDENTIFIER, description="Scenario name.")
    description: str = Field("", description="What the scenario is.")
    timezone: str = Field("Asia/Tokyo", description="IANA zone for local times; slots are 30 min.")
    plant: SupplyPlant | None = Field(None, description="Waste-to-energy plant; None if none.")
    market: Market = Field(default_factory=Market, description="Market access.")
    travel: Travel = Field(default_factory=Travel, description="Travel parameters.")
    facilities: list[Facility] = Field(min_length=1, description="Facilities.")
    evs: list[ElectricVehicle] = Field(default_factory=list, description="Electric vehicles.")
    links: list[Link] = Field(default_factory=list, description="Physical feeders.")

    def facility(self, facility_id: str) -> Facility:
        """The facility with that id; KeyError naming the id if there is none."""
        for f in self.facilities:
            if f.id == facility_id:
                return f
        raise KeyError(f"no facility '{facility_id}' in scenario '{self.name}'")

    @property
    def supplied(self) -> list[Facility]:
        """Facilities in YGE's balancing group."""
        return [f for f in self.facilities if f.supplied]

    @property
    def shelters(self) -> list[Facility]:
        """Designated shelters."""
        return [f for f in self.facilities if f.shelter is not None]

    def evs_at(self, facility_id: str) -> list[ElectricVehicle]:
        """Vehicles based at a facility."""
        return [e for e in self.evs if e.home_facility == facility_id]
