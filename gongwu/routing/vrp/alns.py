"""The dial-a-ride search: a Problem becomes plain arrays, the compiled ruin-and-recreate search improves
a state of routes, and the state becomes a Solution again.

Ruin: random, related (Shaw), string (SISR-like runs of consecutive stops in neighbouring routes) and worst
removal. Recreate: greedy insertion with blinks in random, time or load order, or regret-2. Acceptance:
simulated annealing with a temperature that falls with the wall clock. Every insertion is tested exactly
(:func:`_kernels.seq_feasible`), so the search only ever holds feasible routes.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from gongwu.routing.vrp import _kernels as K
from gongwu.routing.vrp.problem import Problem
from gongwu.routing.vrp.solution import Route, Solution, SolveStats, StopKind, Unserved, Visit

__all__ = ["Arrays", "SearchResult", "build_arrays", "initial_state", "search", "to_solution"]

FINITE = 1e12
IntArray = npt.NDArray[np.int64]
State = tuple[Any, ...]


def _fin(x: float) -> float:
    return FINITE if math.isinf(x) else float(x)


@dataclass(frozen=True, eq=False)
class Arrays:
    """The problem as the kernels see it (``D``), with the penalties of the objective."""

    problem: Problem
    D: tuple[Any, ...]
    stability: float
    unserved_penalty: float

    @property
    def n_requests(self) -> int:
        return len(self.problem.requests)

    @property
    def n_vehicles(self) -> int:
        return len(self.problem.vehicles)


def build_arrays(problem: Problem, previous: Solution | None = None, stability: float = 0.0) -> Arrays:
    """Node tables (with implied window tightening), compatibility, neighbour lists."""
    reqs, vehs = problem.requests, problem.vehicles
    R, V, P = len(reqs), len(vehs), problem.matrix.size
    N = 2 * R + 2 * V
    tt = np.zeros((P + 1, P + 1))
    dd = np.zeros((P + 1, P + 1))
    tt[:P, :P] = problem.matrix.durations
    dd[:P, :P] = problem.matrix.distances
    loc = np.zeros(N, np.int64)
    early, late, serv = np.zeros(N), np.zeros(N), np.zeros(N)
    dem = np.zeros(N, np.int64)
    ride = np.zeros(R)
    npool = np.zeros(R, np.bool_)
    virt = np.zeros(R, np.bool_)
    allowed = np.zeros((R, V), np.bool_)
    horizon = max((_fin(v.shift_end) for v in vehs), default=FINITE)
    for r, q in enumerate(reqs):
        p, d = 2 * r, 2 * r + 1
        npool[r] = not q.poolable
        dem[p], dem[d] = q.load, -q.load
        loc[d], serv[d] = q.dropoff, q.dropoff_service
        early[d], late[d] = q.dropoff_window.start, min(_fin(q.dropoff_window.end), horizon)
        for v, veh in enumerate(vehs):
            allowed[r, v] = problem.compatible(q, veh)
        if q.picked_up_at is not None:
            veh = vehs[problem.vehicle_index(q.locked_vehicle or "")]
            virt[r] = True
            loc[p], serv[p] = veh.start, 0.0
            early[p] = late[p] = veh.start_time
            ride[r] = _fin(q.picked_up_at + q.max_ride_time - veh.start_time)
        else:
            loc[p], serv[p] = q.pickup, q.pickup_service
            early[p], late[p] = q.pickup_window.start, min(_fin(q.pickup_window.end), horizon)
            ride[r] = _fin(q.max_ride_time)
            t_pd = tt[loc[p], loc[d]]
            # implied windows (Cordeau 2006): they only remove times no schedule can use
            early[p] = max(early[p], early[d] - ride[r] - serv[p])
            late[p] = min(late[p], late[d] - t_pd - serv[p])
            early[d] = max(early[d], early[p] + serv[p] + t_pd)
            late[d] = min(late[d], late[p] + serv[p] + ride[r])
    cap = np.array([v.capacity for v in vehs], np.int64)
    maxdist = np.array([FINITE if v.max_distance is None else v.max_distance for v in vehs])
    maxdur = np.array([_fin(v.max_duration) for v in vehs])
    for v, veh in enumerate(vehs):
        s, e = 2 * R + v, 2 * R + V + v
        loc[s], loc[e] = veh.start, (P if veh.end is None else veh.end)
        early[s] = early[e] = veh.start_time
        late[s] = late[e] = _fin(veh.shift_end)
    prevveh = np.full(R, -1, np.int64)
    if previous is not None:
        for rid, vid in previous.assignment().items():
            try:
                prevveh[problem.request_index(rid)] = problem.vehicle_index(vid)
            except KeyError:
                continue
    nbr = _neighbours(tt, loc, early, late, R)
    nfix = np.zeros(V, np.int64)
    removable = np.ones(R, np.bool_)
    D = (
        loc,
        early,
        late,
        serv,
        dem,
        ride,
        npool,
        virt,
        allowed,
        cap,
        maxdist,
        maxdur,
        nfix,
        prevveh,
        tt,
        dd,
        nbr,
        removable,
    )
    return Arrays(problem, D, float(stability), float(problem.unserved_penalty))


def _neighbours(tt: Any, loc: Any, early: Any, late: Any, R: int) -> IntArray:
    if R == 0:
        return np.zeros((0, 0), np.int64)
    p, d = loc[0 : 2 * R : 2], loc[1 : 2 * R : 2]
    mid_p = (early[0 : 2 * R : 2] + np.minimum(late[0 : 2 * R : 2], early[0 : 2 * R : 2] + 120.0)) / 2
    mid_d = (early[1 : 2 * R : 2] + np.minimum(late[1 : 2 * R : 2], early[1 : 2 * R : 2] + 120.0)) / 2
    rel = tt[np.ix_(p, p)] + tt[np.ix_(d, d)]
    rel = rel + np.abs(mid_p[:, None] - mid_p[None, :]) + np.abs(mid_d[:, None] - mid_d[None, :])
    np.fill_diagonal(rel, -1.0)
    return np.argsort(rel, axis=1, kind="stable").astype(np.int64)


def empty_state(arr: Arrays) -> State:
    R, V = arr.n_requests, arr.n_vehicles
    maxlen = 2 * R + 2
    rt = np.zeros((V, maxlen), np.int64)
    rl = np.full(V, 2, np.int64)
    for v in range(V):
        rt[v, 0], rt[v, 1] = 2 * R + v, 2 * R + V + v
    S = (
        rt,
        rl,
        np.full(R, -1, np.int64),
        np.zeros(V),
        np.zeros((V, maxlen)),
        np.zeros((V, maxlen)),
        np.zeros((V, maxlen), np.int64),
    )
    for v in range(V):
        K.update_route(v, arr.D, S)
    return S


def workspace(arr: Arrays) -> tuple[Any, ...]:
    n = 2 * arr.n_requests + 2 * arr.n_vehicles + 4
    return (np.zeros(n, np.int64), np.zeros(n), np.zeros(n), np.zeros(n, np.int64))


def clone(S: State) -> State:
    return tuple(a.copy() for a in S)


def initial_state(arr: Arrays, previous: Solution | None = None, seeded: list[list[int]] | None = None) -> State:
    """A feasible start: riders aboard first, then the previous plan (or ``seeded`` request routes per
    vehicle) kept where still feasible, then everything else by greedy insertion in time order."""
    S = empty_state(arr)
    W = workspace(arr)
    D = arr.D
    R = arr.n_requests
    problem = arr.problem
    virt = D[7]
    order = [r for r in range(R) if virt[r]]
    K.greedy_fill(np.array(order, np.int64), D, S, W, arr.stability)
    routes: list[list[int]] = seeded or []
    if previous is not None and not routes:
        routes = [[] for _ in problem.vehicles]
        for route in previous.routes:
            try:
                v = problem.vehicle_index(route.vehicle_id)
            except KeyError:
                continue
            for visit in route.visits:
                if visit.kind == "pickup" and visit.request_id in problem._request_index:
                    routes[v].append(problem.request_index(visit.request_id))
    for v, rids in enumerate(routes):
        for r in rids:
            if S[2][r] < 0 and not virt[r]:
                _delta, i, j = K.best_insertion(r, v, K.BIG, 0.0, D, S, W)
                if i >= 0:
                    K.insert_at(r, v, i, j, D, S, W)
    rest = [r for r in range(R) if S[2][r] < 0]
    rest.sort(key=lambda r: (D[1][2 * r] + D[1][2 * r + 1], D[2][2 * r]))
    K.greedy_fill(np.array(rest, np.int64), D, S, W, arr.stability)
    return S


def state_cost(arr: Arrays, S: State) -> float:
    return float(K.total_cost(arr.D, S, arr.stability, arr.unserved_penalty))


@dataclass
class SearchResult:
    state: State
    cost: float
    first_cost: float
    iterations: int
    accepted: int
    improvements: int


Exchange = Callable[[float, State], State | None]


def search(
    arr: Arrays,
    start: State,
    time_limit_s: float,
    seed: int = 0,
    exchange: Exchange | None = None,
    temperature: tuple[float, float] = (0.3, 0.001),
    ruin_fraction: float = 0.2,
    weights: tuple[float, float, float, float] = (0.2, 0.3, 0.35, 0.15),
) -> SearchResult:
    """Ruin and recreate from ``start`` until ``time_limit_s`` has passed.

    ``temperature`` is (start, end) as a fraction of the average cost per request; ``exchange`` (if any)
    is called about every half second with the best cost and state, and may hand back a better state to
    continue from (the other worker's best).
    """
    t0 = time.perf_counter()
    D = arr.D
    R = arr.n_requests
    cur, best, work = clone(start), clone(start), clone(start)
    W = workspace(arr)
    first = state_cost(arr, cur)
    stats = np.zeros(3, np.int64)
    if R == 0:
        return SearchResult(best, first, first, 0, 0, 0)
    served_cost = sum(float(c) for c in cur[3])
    scale = max(served_cost / max(R, 1), 1e-9)
    t_hi, t_lo = temperature[0] * scale, temperature[1] * scale
    qmax = max(min(R, 8), min(int(ruin_fraction * R), 40))
    qmin = min(2, qmax)
    w = np.array(weights, np.float64)
    iters = 20
    best_cost = first
    next_exchange = t0 + 0.5
    rng_seed = seed
    while True:
        now = time.perf_counter()
        frac = (now - t0) / time_limit_s if time_limit_s > 0 else 1.0
        if frac >= 1.0:
            break
        temp = t_hi * (t_lo / t_hi) ** frac
        c0 = time.perf_counter()
        _, best_cost = K.alns_chunk(
            D,
            cur,
            best,
            work,
            W,
            iters,
            temp,
            qmin,
            qmax,
            arr.stability,
            arr.unserved_penalty,
            rng_seed,
            w,
            stats,
        )
        rng_seed = -1
        spent = time.perf_counter() - c0
        remaining = t0 + time_limit_s - time.perf_counter()
        target = min(0.1, max(remaining, 0.0) / 2)
        iters = int(max(1, min(iters * 4, iters * target / max(spent, 1e-6))))
        if exchange is not None and time.perf_counter() >= next_exchange:
            next_exchange = time.perf_counter() + 0.5
            other = exchange(best_cost, best)
            if other is not None:
                K.copy_state(other, best)
                K.copy_state(other, cur)
                best_cost = state_cost(arr, best)
    return SearchResult(best, best_cost, first, int(stats[0]), int(stats[1]), int(stats[2]))


def to_solution(arr: Arrays, S: State, stats: SolveStats) -> Solution:
    """Routes with their least schedule; unserved requests with a reason."""
    problem = arr.problem
    D = arr.D
    W = workspace(arr)
    R = arr.n_requests
    loc, serv, dem, tt = D[0], D[3], D[4], D[14]
    routes: list[Route] = []
    distance = 0.0
    for v, veh in enumerate(problem.vehicles):
        m = int(S[1][v])
        if m <= 2:
            continue
        B = K.route_schedule(v, D, S, W)
        if B.shape[0] == 0:  # cannot happen for a state the kernels built; keep the routes honest anyway
            B = np.array(S[4][v, :m])
        row = S[0][v, :m]
        visits: list[Visit] = []
        load = 0
        for k in range(1, m - 1):
            x = int(row[k])
            r = x >> 1
            load += int(dem[x])
            if x % 2 == 0 and D[7][r]:
                continue  # rider already aboard: no pickup visit
            a = int(row[k - 1])
            arrival = float(B[k - 1] + serv[a] + tt[loc[a], loc[x]])
            req = problem.requests[r]
            kind: StopKind = "pickup" if x % 2 == 0 else "dropoff"
            visits.append(Visit(req.id, kind, int(loc[x]), min(arrival, float(B[k])), float(B[k]), load))
        places = [veh.start] + [vi.place for vi in visits] + ([veh.end] if veh.end is not None else [])
        dist = float(sum(float(problem.matrix.distances[a, b]) for a, b in itertools.pairwise(places)))
        distance += dist
        # leave as late as the first service allows (no waiting at the first stop; B[0] only bounds it)
        a0, a1 = int(row[0]), int(row[1])
        departure = max(float(B[0]), float(B[1] - serv[a0] - tt[loc[a0], loc[a1]]))
        if visits and not (a1 % 2 == 0 and a1 < 2 * R and D[7][a1 >> 1]):
            first = visits[0]
            visits[0] = Visit(
                first.request_id,
                first.kind,
                first.place,
                departure + float(tt[loc[a0], loc[a1]]),
                first.start,
                first.load_after,
            )
        routes.append(Route(veh.id, tuple(visits), departure, float(B[m - 1]), dist))
    unserved = tuple(Unserved(problem.requests[r].id, unserved_reason(arr, r)) for r in range(R) if S[2][r] < 0)
    penalty = 0.0
    prevveh = D[13]
    for r in range(R):
        w = int(S[2][r])
        if w >= 0 and prevveh[r] >= 0 and prevveh[r] != w:
            penalty += arr.stability
    return Solution(tuple(routes), unserved, distance + penalty, distance, stats)


def unserved_reason(arr: Arrays, r: int) -> str:
    """Why request ``r`` is left out, in the dispatcher's words."""
    problem = arr.problem
    req = problem.requests[r]
    compatible = [v for v, veh in enumerate(problem.vehicles) if problem.compatible(req, veh)]
    if not compatible:
        if req.locked_vehicle is not None:
            return f"locked to vehicle {req.locked_vehicle}, which cannot carry it (category or seats)"
        return "no vehicle of an allowed category with enough seats"
    S = empty_state(arr)
    W = workspace(arr)
    if all(K.best_insertion(r, v, K.BIG, 0.0, arr.D, S, W)[1] < 0 for v in compatible):
        return "no compatible vehicle can serve it within its windows, ride time, shift and range"
    return "no room: every compatible vehicle is busy at that time"


def state_from_routes(arr: Arrays, routes: list[list[int]]) -> State:
    """A state holding the given kernel-node routes (start and end excluded), caches computed."""
    S = empty_state(arr)
    R, V = arr.n_requests, arr.n_vehicles
    for v, route in enumerate(routes):
        row = [2 * R + v, *route, 2 * R + V + v]
        S[0][v, : len(row)] = row
        S[1][v] = len(row)
        for x in route:
            S[2][x >> 1] = v
        K.update_route(v, arr.D, S)
    return S


def state_routes(S: State) -> list[list[int]]:
    """The kernel-node routes of a state (start and end excluded)."""
    return [[int(x) for x in S[0][v, 1 : int(S[1][v]) - 1]] for v in range(S[1].shape[0])]
