"""Pricing for the route LP (route_lp.py): one car's routes as the exact model (model.py) allows them, and the
best route under the master's duals.

A route: one station per relocation block from the block the car leaves its start site (it never returns
there), moves at block starts along direct trips that fit in one block, deliveries only once arrived, at most
min(its kW there, ``fleet_bound.useful_kw``) per slot; its energy (deliveries and drives through the
discharge efficiency, a PHEV's fuel kWh added) within the car's battery above its floor. ``route_dp`` finds the
best route under slot gains with the energy limit moved into the objective by a multiplier mu (a blocks x
stations DP); ``class_bound`` searches mu (golden section): every mu gives an upper bound on the best route's
value; route_search.py finds it exactly. Units: kW per 30-min slot, kWh (AC, at the shelter); slots and
blocks from data.start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer.outage.fleet_bound import useful_kw
from optimizer.outage.inputs import OutageEV, OutageInput

GOLDEN_STEPS = 28  # golden-section steps over the energy multiplier per class and round
COLUMNS_PER_CLASS = 3  # new routes added per class and round (from the multipliers the search visited)


@dataclass(frozen=True)
class Route:
    """One car's stations per block (-1 = not yet left its start site), the slot it arrives in each block,
    and the kWh (AC) its drives cost."""

    stations: tuple[int, ...]
    arrivals: tuple[int, ...]
    drive_kwh: float


@dataclass
class CarData:
    """What the pricing needs of one class's car: stations it serves, its kW cap per (shelter, slot), whether
    it plugs into V2H there, its energy budget (kWh AC) and trip tables."""

    ev: OutageEV
    stations: np.ndarray  # shelter indices it can serve
    cap: np.ndarray  # (len(stations), slots) kW
    v2h: np.ndarray  # (len(stations),) bool
    budget_kwh: float
    depart_arrival: np.ndarray  # (blocks, len(stations)) first delivering slot after leaving home, -1 = cannot
    move_arrival: np.ndarray  # (len, len) slots after the block start, -1 = no direct trip in one block
    home_drive: np.ndarray  # (len(stations),) kWh AC
    move_drive: np.ndarray  # (len, len) kWh AC


def car_data(data: OutageInput, v: int) -> CarData:
    """The pricing tables of usable car v (see CarData)."""
    ev, block, n_b = data.usable_evs[v], data.block_slots, data.n_blocks
    stations = np.array([s for s, sh in enumerate(data.shelters) if ev.power_at(sh) > 0], dtype=int)
    useful = np.array([[useful_kw(data, int(s), t) for t in range(data.n_slots)] for s in stations])
    power = np.array([ev.power_at(data.shelters[s]) for s in stations])
    cap = np.minimum(useful.reshape(len(stations), data.n_slots), power[:, None])
    v2h = np.array([ev.uses_v2h(data.shelters[s]) for s in stations], dtype=bool)
    per_kwh_ac = ev.consumption_kwh_per_km * ev.discharge_efficiency
    depart = np.full((n_b, len(stations)), -1, dtype=int)
    for j, s in enumerate(stations):
        steps = int(data.travel_slots[ev.site, s])
        if steps > block:
            continue
        for b in range(n_b):
            if b <= ev.available_from_slot // block and b < data.first_block(ev, int(s)):
                continue
            depart[b, j] = min(max(b * block, ev.available_from_slot) + steps, (b + 1) * block)
    trips = data.travel_slots[np.ix_(stations, stations)].astype(int)
    move = np.where(trips <= block, np.minimum(trips, block), -1)
    np.fill_diagonal(move, 0)
    km = data.distance_km
    home = np.array([float(km[ev.site, s]) * per_kwh_ac for s in stations])
    moves = np.asarray(km[np.ix_(stations, stations)], dtype=float) * per_kwh_ac
    np.fill_diagonal(moves, 0.0)
    budget = max(ev.start_kwh - ev.floor_kwh, 0.0) * ev.discharge_efficiency + ev.engine_kwh
    return CarData(ev, stations, cap, v2h, budget, depart, move, home, moves)


@dataclass(frozen=True)
class Prices:
    """Per class car: the master's dual value of one kW delivered at (station, slot) and the cost of occupying
    an outlet there in that slot (kWh-equivalent per slot), and the class's convexity dual."""

    per_kw: np.ndarray  # (stations, slots)
    occupy: np.ndarray  # (stations, slots)
    convexity: float
    net: np.ndarray  # (stations, slots): per kW less the occupancy of a kW (occupy / cap)
    windows: tuple[tuple[int, int, int, float], ...] = ()  # (station index, first, last block, value of a visit)
    enter_bonus: np.ndarray | None = None  # (stations, blocks): visits' value of arriving in the block
    stay_bonus: np.ndarray | None = None  # (stations, blocks): of staying on (windows starting in the block)


def slot_gains(cd: CarData, pr: Prices, mu: float, h: float) -> np.ndarray:
    """Best reduced-cost gain per (station, slot) of being there under energy multiplier mu (per kWh AC):
    deliver the cap (occupying the outlet for the slot) or nothing."""
    return np.maximum(cd.cap * (pr.net - mu * h), 0.0)


def route_dp(
    cd: CarData,
    gains: np.ndarray,
    mu: float,
    block: int,
    enter: np.ndarray | None = None,
    stay: np.ndarray | None = None,
) -> tuple[float, Route]:
    """Best route under slot gains less mu x drive kWh plus the visits' values (enter: arriving at a station
    in a block, stay: staying on into a block; stations x blocks), by a blocks x stations DP; its value and
    the route."""
    n, n_t = gains.shape
    n_b = cd.depart_arrival.shape[0]
    cum = np.zeros((n, n_t + 1))
    cum[:, 1:] = np.cumsum(gains, axis=1)
    idx = np.arange(n)
    best = np.full(n, -np.inf)
    back: list[tuple[np.ndarray, np.ndarray]] = []
    for b in range(n_b):
        start, end = b * block, min((b + 1) * block, n_t)
        arr = cd.depart_arrival[b]
        home = np.where(arr >= 0, cum[:, end] - cum[idx, np.clip(arr, 0, n_t)] - mu * cd.home_drive, -np.inf)
        if enter is not None:
            home = home + enter[:, b]
        prev = np.full(n, -1)
        if b > 0:
            arrival = np.clip(start + cd.move_arrival, 0, end)
            total = best[:, None] - mu * cd.move_drive + cum[None, :, end] - cum[idx[None, :], arrival]
            total = np.where(cd.move_arrival >= 0, total, -np.inf)
            if enter is not None and stay is not None:
                bonus = np.broadcast_to(enter[:, b][None, :], (n, n)).copy()
                np.fill_diagonal(bonus, stay[:, b])
                total = total + bonus
            prev = total.argmax(axis=0)
            moved = total[prev, idx]
            take_home = home >= moved
            best = np.where(take_home, home, moved)
            prev = np.where(take_home, -1, prev)
        else:
            best = home
        back.append((prev, best.copy()))
    if n == 0 or not np.isfinite(best).any() or best.max() <= 0.0:
        return 0.0, Route(tuple([-1] * n_b), tuple([n_t] * n_b), 0.0)
    return float(best.max()), _backtrack(cd, back, int(best.argmax()), block, n_t)


def _backtrack(cd: CarData, back: list[tuple[np.ndarray, np.ndarray]], last: int, block: int, n_t: int) -> Route:
    """The route ending at station index `last` in the final block, from the DP's back pointers."""
    n_b = len(back)
    stations, arrivals = [-1] * n_b, [n_t] * n_b
    drive, j = 0.0, last
    for b in range(n_b - 1, -1, -1):
        prev = int(back[b][0][j])
        stations[b] = j
        if prev < 0:
            arrivals[b] = int(cd.depart_arrival[b, j])
            drive += float(cd.home_drive[j])
            break
        arrivals[b] = b * block + int(cd.move_arrival[prev, j])
        drive += float(cd.move_drive[prev, j])
        j = prev
    return Route(tuple(stations), tuple(arrivals), drive)


def route_slots(cd: CarData, route: Route, n_t: int, block: int) -> list[tuple[int, int]]:
    """(station index, slot) where the car is, has arrived and may deliver (cap > 0) along the route."""
    return [
        (j, t)
        for b, (j, a) in enumerate(zip(route.stations, route.arrivals, strict=True))
        if j >= 0
        for t in range(a, min((b + 1) * block, n_t))
        if cd.cap[j, t] > 0
    ]


def route_value(cd: CarData, pr: Prices, route: Route, h: float, n_t: int, block: int) -> float:
    """Reduced cost of a route with its best deliveries (fractional knapsack on the energy left after the
    drives: slots by net value per kWh), less the class's convexity dual; -inf if the drives need more."""
    left = cd.budget_kwh - route.drive_kwh
    if left < -1e-9:
        return -np.inf
    net = sorted((float(pr.net[j, t]), float(cd.cap[j, t])) for j, t in route_slots(cd, route, n_t, block))
    value = 0.0
    for per_kw, cap in reversed(net):
        if per_kw <= 0 or left <= 1e-12:
            break
        kw = min(cap, left / h)
        value += kw * per_kw
        left -= kw * h
    value += sum(v for j, b0, b1, v in pr.windows if j in route.stations[b0 : b1 + 1])
    return value - pr.convexity


def plan_route(cd: CarData, blocks: np.ndarray, block: int) -> Route:
    """A plan's stations per block (shelter index, -1 = not yet deployed) as a route of this car."""
    index = {int(s): j for j, s in enumerate(cd.stations)}
    stations, arrivals, drive, prev = [], [], 0.0, -1
    for b, s in enumerate(blocks):
        if s < 0:
            stations.append(-1)
            arrivals.append((b + 1) * block)
            continue
        j = index[int(s)]
        if prev < 0:
            arrivals.append(int(cd.depart_arrival[b, j]))
            drive += float(cd.home_drive[j])
        else:
            arrivals.append(b * block + int(cd.move_arrival[prev, j]))
            drive += float(cd.move_drive[prev, j])
        stations.append(j)
        prev = j
    return Route(tuple(stations), tuple(arrivals), drive)


def class_bound(cd: CarData, pr: Prices, h: float, block: int) -> tuple[float, list[Route]]:
    """Upper bound on the class's best reduced cost (min over mu of mu x budget + DP value, less the
    convexity dual; golden section, every mu tried counts) and the routes the search found, best first."""
    hi = max(float(pr.per_kw.max(initial=0.0)) / h, 0.0) + 1e-3
    tried: dict[float, tuple[float, Route]] = {}

    def phi(mu: float) -> float:
        value, route = route_dp(cd, slot_gains(cd, pr, mu, h), mu, block, pr.enter_bonus, pr.stay_bonus)
        tried[mu] = (mu * cd.budget_kwh + value, route)
        return tried[mu][0]

    ratio = (np.sqrt(5.0) - 1.0) / 2.0
    a, b = 0.0, hi
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = phi(c), phi(d)
    phi(0.0)
    for _ in range(GOLDEN_STEPS):
        if fc <= fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = phi(c)
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = phi(d)
    ordered = sorted(tried.values(), key=lambda x: x[0])
    routes: list[Route] = []
    for _, route in ordered:
        if route not in routes:
            routes.append(route)
    return ordered[0][0] - pr.convexity, routes[:COLUMNS_PER_CLASS]
