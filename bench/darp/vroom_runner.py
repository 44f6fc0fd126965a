"""VROOM (pyvroom) on a Cordeau instance as pickup-and-delivery: raw, and with "decoupled windows".

VROOM has no ride-time limit. *Raw* solves the PDPTW relaxation. *Decoupled* first tightens each rider's
windows so that any pickup and drop-off time inside them keeps the ride time ≤ L (Cordeau's implied
windows, then the wider window is cut until ``l_d − e_p − d_p ≤ L``): always feasible, but it throws away
good schedules. Times are scaled to integers (×1000, rounded up for travel, inward for windows).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import vroom

from gongwu.routing.vrp import CordeauInstance, Problem, Route, Solution, Visit, check, route_cost

SCALE = 1000


@dataclass
class VroomResult:
    routes: list[list[int]]
    cost: float
    wall_s: float
    feasible: bool
    riders_over: int
    unassigned: int


def decoupled_windows(problem: Problem, horizon: float) -> list[tuple[float, float, float, float]]:
    out = []
    dur = problem.matrix.durations
    for r in problem.requests:
        L, sp = r.max_ride_time, r.pickup_service
        t = float(dur[r.pickup, r.dropoff])
        ep, lp = r.pickup_window.start, min(r.pickup_window.end, horizon)
        ed, ld = r.dropoff_window.start, min(r.dropoff_window.end, horizon)
        ep, lp = max(ep, ed - L - sp), min(lp, ld - t - sp)
        ed, ld = max(ed, ep + sp + t), min(ld, lp + sp + L)
        excess = (ld - ep - sp) - L
        if excess > 0:
            if lp - ep >= ld - ed:
                cut = min(excess, lp - ep)
                ep += cut
                ld -= excess - cut
            else:
                cut = min(excess, ld - ed)
                ld -= cut
                ep += excess - cut
        out.append((ep, lp, ed, ld))
    return out


def solve_vroom(inst: CordeauInstance, decoupled: bool, threads: int = 2, level: int = 5) -> VroomResult:
    problem = inst.problem
    n = inst.requests
    horizon = problem.vehicles[0].shift_end
    dur = problem.matrix.durations
    matrix = np.ceil(dur * SCALE - 1e-9).astype(np.uint32)
    cost = np.rint(dur * SCALE).astype(np.uint32)
    vi = vroom.Input()
    vi.set_durations_matrix("car", matrix)
    vi.set_costs_matrix("car", cost)
    for k, v in enumerate(problem.vehicles):
        vi.add_vehicle(
            vroom.Vehicle(
                k,
                start=v.start,
                end=v.end,
                capacity=vroom.Amount([v.capacity]),
                time_window=vroom.TimeWindow(0, math.floor(horizon * SCALE)),
            )
        )
    windows = (
        decoupled_windows(problem, horizon)
        if decoupled
        else [
            (
                r.pickup_window.start,
                min(r.pickup_window.end, horizon),
                r.dropoff_window.start,
                min(r.dropoff_window.end, horizon),
            )
            for r in problem.requests
        ]
    )
    for i, (r, (ep, lp, ed, ld)) in enumerate(zip(problem.requests, windows, strict=True), start=1):
        pick = vroom.ShipmentStep(
            i,
            r.pickup,
            default_service=math.ceil(r.pickup_service * SCALE),
            time_windows=[vroom.TimeWindow(math.ceil(ep * SCALE), math.floor(lp * SCALE))],
        )
        drop = vroom.ShipmentStep(
            n + i,
            r.dropoff,
            default_service=math.ceil(r.dropoff_service * SCALE),
            time_windows=[vroom.TimeWindow(math.ceil(ed * SCALE), math.floor(ld * SCALE))],
        )
        vi.add_shipment(pick, drop, amount=vroom.Amount([r.load]))
    t0 = time.perf_counter()
    sol = vi.solve(exploration_level=level, nb_threads=threads)
    wall = time.perf_counter() - t0
    frame = sol.routes
    routes: list[list[int]] = []
    visits_by_vehicle: dict[int, list[Visit]] = {}
    starts: dict[int, float] = {}
    riders_over = 0
    pick_done: dict[int, float] = {}
    for row in frame.itertuples(index=False):
        vid = int(row.vehicle_id)
        kind = str(row.type)
        start = (float(row.arrival) + float(row.waiting_time)) / SCALE
        if kind == "start":
            starts[vid] = start
            visits_by_vehicle[vid] = []
            continue
        if kind not in ("pickup", "delivery"):
            continue
        node = int(row.id)
        req = problem.requests[(node if node <= n else node - n) - 1]
        if kind == "pickup":
            pick_done[node] = start + req.pickup_service
            visits_by_vehicle[vid].append(Visit(req.id, "pickup", req.pickup, start, start, 0))
        else:
            if start - pick_done[node - n] > req.max_ride_time + 1e-6:
                riders_over += 1
            visits_by_vehicle[vid].append(Visit(req.id, "dropoff", req.dropoff, start, start, 0))
    out_routes = []
    for vid, visits in visits_by_vehicle.items():
        if not visits:
            continue
        routes.append([0, *(v.place for v in visits), inst.end_node])
        out_routes.append(Route(problem.vehicles[vid].id, tuple(visits), starts[vid], 0.0, 0.0))
    total = route_cost(inst, routes)
    candidate = Solution(tuple(out_routes), (), total, total)
    served = {v.request_id for r in out_routes for v in r.visits}
    # sequence feasibility only: VROOM's own printed times are not DARP schedules
    bad = [v for v in check(problem, candidate) if v.kind not in ("times", "cost", "missing")]
    return VroomResult(routes, total, wall, not bad and len(served) == n, riders_over, n - len(served))
