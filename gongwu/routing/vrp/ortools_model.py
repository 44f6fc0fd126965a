"""The OR-Tools routing model of the problem (the adapter; nothing else imports OR-Tools).

Modelling choices from ``shared/darp/BASELINE.md``: pickup-and-delivery pairs with ``VehicleVar`` equality
and precedence; ride time both as ``SetPickupToDeliveryLimitFunctionForPair`` (seen by the local-search
filters) and as an explicit cumul constraint (the former alone is not enforced as a hard constraint);
one disjunction per pair with a large penalty; integer scaling with times rounded *up* (so an integer
schedule is feasible in real arithmetic); ``RegisterTransitMatrix`` for speed. The node numbering is the
kernels' one (pickup 2r, drop-off 2r+1, then vehicle starts and ends), and so is the data (``Arrays.D``),
window tightening included.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from gongwu.routing.vrp.alns import FINITE, Arrays

__all__ = ["solve_ortools"]

FIRST_SOLUTION = {
    "parallel": routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION,
    "local": routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION,
}


def _scaled_up(x: float, scale: float) -> int:
    return math.ceil(x * scale - 1e-9)


def _scaled_down(x: float, scale: float) -> int:
    return math.floor(x * scale + 1e-9)


def solve_ortools(
    arr: Arrays,
    time_limit_s: float,
    scale: float = 1000.0,
    initial: list[list[int]] | None = None,
    first_solution: str = "parallel",
) -> list[list[int]] | None:
    """Solve with OR-Tools routing (first solution, then guided local search for ``time_limit_s``).

    Returns, per vehicle, the kernel node ids visited (start and end excluded), or None if OR-Tools found
    no solution. ``initial`` (same shape) is used as the starting assignment when given.
    """
    D = arr.D
    loc, early, late, serv, dem, ride, npool, virt, allowed, cap, maxdist, maxdur = D[:12]
    tt, dd = D[14], D[15]
    R, V = arr.n_requests, arr.n_vehicles
    N = 2 * R + 2 * V
    starts = [2 * R + v for v in range(V)]
    ends = [2 * R + V + v for v in range(V)]
    manager = pywrapcp.RoutingIndexManager(N, V, starts, ends)
    model = pywrapcp.RoutingModel(manager)
    idx = [manager.NodeToIndex(n) for n in range(2 * R)]
    idx += [model.Start(v) for v in range(V)] + [model.End(v) for v in range(V)]
    L = loc  # transit matrices and vectors are indexed by node
    time_m = np.ceil((serv[:, None] + tt[np.ix_(L, L)]) * scale - 1e-9).astype(np.int64)
    cost_m = np.rint(dd[np.ix_(L, L)] * scale).astype(np.int64)
    dist_m = np.ceil(dd[np.ix_(L, L)] * scale - 1e-9).astype(np.int64)
    cost_cb = model.RegisterTransitMatrix(cost_m.tolist())
    model.SetArcCostEvaluatorOfAllVehicles(cost_cb)
    horizon = _scaled_down(min(float(np.max(late)), FINITE), scale)
    time_cb = model.RegisterTransitMatrix(time_m.tolist())
    model.AddDimension(time_cb, horizon, horizon, False, "time")
    tdim = model.GetDimensionOrDie("time")
    load_cb = model.RegisterUnaryTransitVector([int(x) for x in dem])
    model.AddDimensionWithVehicleCapacity(load_cb, 0, [int(c) for c in cap], True, "load")
    ldim = model.GetDimensionOrDie("load")
    if np.any(maxdist < FINITE):
        dist_cb = model.RegisterTransitMatrix(dist_m.tolist())
        limits = [min(_scaled_down(float(x), scale), 2**62) for x in maxdist]
        model.AddDimensionWithVehicleCapacity(dist_cb, 0, limits, True, "distance")
    solver = model.solver()
    for n in range(N):
        tdim.CumulVar(idx[n]).SetRange(_scaled_up(early[n], scale), min(_scaled_down(late[n], scale), horizon))
    for v in range(V):
        if maxdur[v] < FINITE:
            tdim.SetSpanUpperBoundForVehicle(_scaled_down(maxdur[v], scale), v)
        model.AddVariableMaximizedByFinalizer(tdim.CumulVar(model.Start(v)))
        model.AddVariableMinimizedByFinalizer(tdim.CumulVar(model.End(v)))
    keep: list[Any] = []
    big = int(1e9) if arr.unserved_penalty * scale > 1e9 else int(arr.unserved_penalty * scale)
    for r in range(R):
        p, d = idx[2 * r], idx[2 * r + 1]
        model.AddPickupAndDelivery(p, d)
        solver.Add(model.VehicleVar(p) == model.VehicleVar(d))
        solver.Add(tdim.CumulVar(p) <= tdim.CumulVar(d))
        model.AddDisjunction([p, d], big * (100 if virt[r] else 1), 2)
        if ride[r] < FINITE:
            lim = _scaled_down(ride[r] + serv[2 * r], scale)
            keep.append(lambda _a, _b, lim=lim: lim)  # SWIG does not own the callback: keep it alive
            tdim.SetPickupToDeliveryLimitFunctionForPair(keep[-1], r)
            solver.Add(tdim.CumulVar(d) - tdim.CumulVar(p) <= lim)
        if not allowed[r].all():
            ok = [v for v in range(V) if allowed[r, v]]
            model.SetAllowedVehiclesForIndex(ok, p)
            model.SetAllowedVehiclesForIndex(ok, d)
        if npool[r] and not virt[r]:
            ldim.CumulVar(p).SetMax(0)
            model.NextVar(p).SetValues([p, d])
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = FIRST_SOLUTION.get(first_solution, FIRST_SOLUTION["parallel"])
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    solution: Any = None
    if initial is not None:
        start = model.ReadAssignmentFromRoutes([[idx[n] for n in route] for route in initial], True)
        if start is not None:
            solution = model.SolveFromAssignmentWithParameters(start, params)
    if solution is None:
        solution = model.SolveWithParameters(params)
    if solution is None:
        return None
    routes: list[list[int]] = []
    for v in range(V):
        route: list[int] = []
        i = solution.Value(model.NextVar(model.Start(v)))
        while not model.IsEnd(i):
            route.append(int(manager.IndexToNode(i)))
            i = solution.Value(model.NextVar(i))
        routes.append(route)
    return routes
