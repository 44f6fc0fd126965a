"""Small hand-made problems on a plane (travel time = distance = Euclidean length)."""

from __future__ import annotations

import itertools

import numpy as np

from gongwu.routing.vrp import Matrix, Problem, Request, Route, Solution, Vehicle, Visit


def plane(points: list[tuple[float, float]]) -> Matrix:
    xy = np.array(points, dtype=float)
    d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
    return Matrix.of(d, d)


def line(n: int) -> Matrix:
    """Places 0 … n−1 on a line, one unit apart."""
    return plane([(float(i), 0.0) for i in range(n)])


def visit(rid: str, kind: str, place: int, start: float, load: int = 0, arrival: float | None = None) -> Visit:
    return Visit(rid, kind, place, start if arrival is None else arrival, start, load)  # type: ignore[arg-type]


def solution(problem: Problem, plans: dict[str, list[Visit]], unserved: tuple[str, ...] = ()) -> Solution:
    """A solution with the given visits, departure/arrival derived, distance recomputed."""
    from gongwu.routing.vrp import Unserved

    routes = []
    total = 0.0
    for vid, visits in plans.items():
        veh: Vehicle = problem.vehicles[problem.vehicle_index(vid)]
        places = [veh.start] + [v.place for v in visits] + ([veh.end] if veh.end is not None else [])
        dist = float(sum(problem.matrix.distances[a, b] for a, b in itertools.pairwise(places)))
        total += dist
        first = visits[0].start - float(problem.matrix.durations[veh.start, visits[0].place]) if visits else 0.0
        last = visits[-1] if visits else None
        arrival = 0.0
        if last is not None:
            req: Request = problem.requests[problem.request_index(last.request_id)]
            service = req.pickup_service if last.kind == "pickup" else req.dropoff_service
            back = float(problem.matrix.durations[last.place, veh.end]) if veh.end is not None else 0.0
            arrival = last.start + service + back
        routes.append(Route(vid, tuple(visits), max(first, veh.start_time), arrival, dist))
    return Solution(tuple(routes), tuple(Unserved(r, "test") for r in unserved), total, total)
