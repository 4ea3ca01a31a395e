"""Exact pricing for the route LP (route_lp.py): the best route of one class under the master's duals, by
branch and bound over routes, with an upper bound that holds however early the search stops.

A route's value is a fractional knapsack: its slots' net values (route_pricing.Prices.net, per kW) with the
energy left after its drives (route_pricing.route_value). For any energy multiplier mu >= 0 a route's value is
at most its slots' gains cap x max(net - mu x h, 0) plus mu x (budget - drives), so a route that has reached
station j at the end of block b with prefix gains A(mu) and drives D is worth at most
min over mu of A(mu) + T(mu, b, j) + mu x (budget - D), where T is the best suffix (blocks b+1 on, their
drives at mu) by a backward blocks x stations DP, for every mu of a grid at once. The search pops the open
route prefix with the largest bound, dives along the best child to a complete route (valued exactly, the
incumbent) and pushes the other children; prefixes whose bound does not exceed the incumbent are dropped.
When it stops, the best route found is exact if nothing is open, and max(incumbent, the open bounds) bounds
every route either way. Units: kW per 30-min slot, kWh (AC at the shelter); slots and blocks from data.start.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np

from optimizer.outage.route_pricing import CarData, Prices, Route, route_value

GRID = 160  # energy multipliers on the grid the bounds are taken over
TOLERANCE = 1e-7  # kWh: a prefix whose bound is within this of the incumbent is dropped


@dataclass(frozen=True)
class Pricing:
    """What the search reached: an upper bound on the best route's value, the best routes found (value,
    route; best first) and whether the bound is the best value (every prefix closed)."""

    bound: float
    routes: tuple[tuple[float, Route], ...]
    exact: bool
    nodes: int


@dataclass(frozen=True)
class _Tables:
    """Per multiplier of the grid: cumulative slot gains per (station, slot) and the best suffix after each
    (block, station); the multipliers and the car's block length, blocks and slots."""

    mu: np.ndarray  # (L,)
    cum: np.ndarray  # (L, stations, slots + 1)
    suffix: np.ndarray  # (blocks, stations, L)
    block: int
    n_b: int
    n_t: int


def _tables(cd: CarData, pr: Prices, h: float, block: int, n_t: int) -> _Tables:
    """Cumulative gains and the backward suffix DP (see the module docstring) over a multiplier grid from 0
    to where no slot gains any more."""
    hi = max(float(pr.net.max(initial=0.0)) / h, 0.0) + 1e-3
    mu = np.linspace(0.0, hi, GRID)
    gains = cd.cap[None] * np.maximum(pr.net[None] - mu[:, None, None] * h, 0.0)
    cum = np.zeros((GRID, *cd.cap.shape[:1], n_t + 1))
    cum[:, :, 1:] = np.cumsum(gains, axis=2)
    n_b, n = cd.depart_arrival.shape[0], len(cd.stations)
    suffix = np.zeros((n_b, n, GRID))
    ok = cd.move_arrival >= 0
    drive = cd.move_drive[None] * mu[:, None, None]  # (L, from, to)
    cols = np.arange(n)[None, :]
    for b in range(n_b - 2, -1, -1):
        start, end = (b + 1) * block, min((b + 2) * block, n_t)
        arrive = np.clip(start + np.maximum(cd.move_arrival, 0), 0, end)  # (from, to)
        take = cum[:, :, end][:, None, :] - cum[:, cols, arrive]  # (L, from, to)
        total = np.where(ok[None], take - drive + suffix[b + 1].T[:, None, :], -np.inf)
        suffix[b] = total.max(axis=2).T
    return _Tables(mu, cum, suffix, block, n_b, n_t)


@dataclass(order=True)
class _Node:
    """An open route prefix (ordered by its bound, negated for heapq, then by creation): stations per block up
    to block b (-1 before it leaves), arrivals, drives (kWh AC) and its slots' gains per multiplier."""

    neg_bound: float
    order: int
    b: int = field(compare=False)
    stations: tuple[int, ...] = field(compare=False)
    arrivals: tuple[int, ...] = field(compare=False)
    drive: float = field(compare=False)
    gains: np.ndarray = field(compare=False)


class _Search:
    """The branch and bound over one class's routes (see the module docstring)."""

    def __init__(self, cd: CarData, pr: Prices, h: float, block: int, n_t: int) -> None:
        self.cd, self.pr, self.h, self.n_t = cd, pr, h, n_t
        self.tb = _tables(cd, pr, h, block, n_t)
        self.heap: list[_Node] = []
        self.count = 0
        self.found: dict[Route, float] = {}
        self.best = 0.0  # the empty route (never leaves) is worth 0 before the convexity dual

    def extend(
        self,
        b: int,
        head: tuple[tuple[int, ...], tuple[int, ...], np.ndarray],
        ks: np.ndarray,
        arrive: np.ndarray,
        drive: np.ndarray,
    ) -> list[_Node]:
        """The prefix `head` (stations, arrivals, gains per multiplier up to block b - 1) extended by block b at
        each station of ks, arriving in slot `arrive` with `drive` kWh (AC) driven in all (arrays over ks): the
        nodes whose bound beats the incumbent."""
        stations, arrivals, prefix_gains = head
        tb = self.tb
        end = min((b + 1) * tb.block, tb.n_t)
        arrive = np.minimum(arrive, end)
        gains = prefix_gains[None] + tb.cum[:, ks, end].T - tb.cum[:, ks, arrive].T  # (len(ks), L)
        left = self.cd.budget_kwh - drive
        bounds = (gains + tb.suffix[b, ks] + left[:, None] * tb.mu[None]).min(axis=1)
        bounds = np.where(left < -1e-9, -np.inf, bounds)
        out = []
        for i in np.flatnonzero(bounds > self.best + TOLERANCE):
            self.count += 1
            path, times = (*stations, int(ks[i])), (*arrivals, int(arrive[i]))
            out.append(_Node(-float(bounds[i]), self.count, b, path, times, float(drive[i]), gains[i]))
        return out

    def roots(self) -> list[_Node]:
        """First departures: to station j in block b (blocks before it at the start site)."""
        out, cd, tb = [], self.cd, self.tb
        for b in range(tb.n_b):
            ks = np.flatnonzero(cd.depart_arrival[b] >= 0)
            head = ((-1,) * b, tuple((k + 1) * tb.block for k in range(b)), np.zeros(len(tb.mu)))
            out += self.extend(b, head, ks, cd.depart_arrival[b, ks], cd.home_drive[ks])
        return out

    def children(self, nd: _Node) -> list[_Node]:
        """The prefix one block longer: stay, or move along a direct trip that fits in the block."""
        b, j, cd = nd.b + 1, nd.stations[-1], self.cd
        ks = np.flatnonzero(cd.move_arrival[j] >= 0)
        arrive = b * self.tb.block + cd.move_arrival[j, ks]
        return self.extend(b, (nd.stations, nd.arrivals, nd.gains), ks, arrive, nd.drive + cd.move_drive[j, ks])

    def leaf(self, nd: _Node) -> None:
        route = Route(nd.stations, nd.arrivals, nd.drive)
        value = route_value(self.cd, self.pr, route, self.h, self.n_t, self.tb.block) + self.pr.convexity
        self.found[route] = value
        self.best = max(self.best, value)

    def dive(self, nd: _Node) -> None:
        """Follow the best child to a complete route, pushing the others."""
        while nd.b < self.tb.n_b - 1:
            kids = sorted(self.children(nd))
            if not kids:
                return
            nd = kids[0]
            for other in kids[1:]:
                heapq.heappush(self.heap, other)
        self.leaf(nd)

    def run(self, node_limit: int) -> Pricing:
        for nd in self.roots():
            heapq.heappush(self.heap, nd)
        while self.heap and self.count < node_limit:
            nd = heapq.heappop(self.heap)
            if -nd.neg_bound <= self.best + TOLERANCE:
                break  # the heap is ordered by bound: nothing open can beat the incumbent
            self.dive(nd)
        open_bound = max((-n.neg_bound for n in self.heap if -n.neg_bound > self.best + TOLERANCE), default=-np.inf)
        routes = sorted(((v, r) for r, v in self.found.items()), key=lambda x: -x[0])
        bound = max(self.best, open_bound)
        c = self.pr.convexity
        return Pricing(bound - c, tuple((v - c, r) for v, r in routes), open_bound == -np.inf, self.count)


def search_pricing(cd: CarData, pr: Prices, h: float, block: int, n_t: int, node_limit: int = 200_000) -> Pricing:
    """The class's best route under prices pr (reduced cost, convexity dual subtracted) by branch and bound,
    stopping after node_limit prefixes: a valid upper bound either way, exact when ``Pricing.exact``. Prices
    with presence windows are not supported (their visit values are not in the bound)."""
    if pr.windows:
        raise ValueError("prices: presence windows are not priced by the route search; build the master without them")
    if len(cd.stations) == 0:  # a car that can serve no shelter: only the route that never leaves
        return Pricing(-pr.convexity, (), True, 0)
    return _Search(cd, pr, h, block, n_t).run(node_limit)
