"""An independent feasibility checker for a :class:`Solution` of a :class:`Problem`.

It shares no code with the model or the search: it reads the routes as plain sequences and tests every
rule in double precision. The time rules (windows, travel, ride time, route duration, shift end) are
difference constraints on the service start times, so a route is schedulable iff the constraint graph has
no negative cycle; Bellman-Ford decides that exactly, which "serve everything as early as possible" does not
(with ride-time limits a later departure can be the only feasible schedule).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from gongwu.routing.vrp.problem import Problem, Request, Vehicle
from gongwu.routing.vrp.solution import Route, Solution

__all__ = ["TOLERANCE", "Violation", "check"]

TOLERANCE = 1e-6


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: ``kind`` is one of assignment, pairing, missing, duplicate, compatibility,
    capacity, pooling, distance, schedule (no feasible times exist), times (the reported times break a
    rule), cost."""

    kind: str
    vehicle_id: str | None
    request_id: str | None
    detail: str


def check(problem: Problem, solution: Solution) -> list[Violation]:
    """Every rule the solution breaks; an empty list means feasible."""
    out: list[Violation] = []
    seen: dict[str, int] = {}
    vehicles_seen: set[str] = set()
    total = 0.0
    for route in solution.routes:
        if route.vehicle_id in vehicles_seen or route.vehicle_id not in _vehicles(problem):
            out.append(Violation("assignment", route.vehicle_id, None, "unknown or repeated vehicle"))
            continue
        vehicles_seen.add(route.vehicle_id)
        vehicle = problem.vehicles[problem.vehicle_index(route.vehicle_id)]
        out.extend(_check_route(problem, vehicle, route, seen))
        total += _route_distance(problem, vehicle, route)
    unserved = [u.request_id for u in solution.unserved]
    for rid in unserved:
        seen[rid] = seen.get(rid, 0) + 1
    for req in problem.requests:
        count = seen.get(req.id, 0)
        if count == 0:
            out.append(Violation("missing", None, req.id, "neither served nor reported unserved"))
        elif count > 1:
            out.append(Violation("duplicate", None, req.id, "served or reported more than once"))
        if req.onboard and req.id in unserved:
            out.append(Violation("assignment", req.locked_vehicle, req.id, "rider aboard left unserved"))
    if abs(total - solution.distance) > TOLERANCE * max(1.0, total):
        out.append(Violation("cost", None, None, f"distance {solution.distance} but routes drive {total}"))
    return out


def _vehicles(problem: Problem) -> set[str]:
    return {v.id for v in problem.vehicles}


def _route_distance(problem: Problem, vehicle: Vehicle, route: Route) -> float:
    places = [vehicle.start] + [v.place for v in route.visits]
    if vehicle.end is not None:
        places.append(vehicle.end)
    if not route.visits:
        return 0.0
    dist = problem.matrix.distances
    return float(sum(float(dist[a, b]) for a, b in itertools.pairwise(places)))


def _check_route(problem: Problem, vehicle: Vehicle, route: Route, seen: dict[str, int]) -> list[Violation]:
    out: list[Violation] = []
    vid = vehicle.id
    requests: dict[str, Request] = {}
    picked: dict[str, int] = {}
    dropped: dict[str, int] = {}
    for pos, visit in enumerate(route.visits):
        try:
            req = problem.requests[problem.request_index(visit.request_id)]
        except KeyError:
            out.append(Violation("pairing", vid, visit.request_id, "unknown request"))
            continue
        requests[req.id] = req
        target = picked if visit.kind == "pickup" else dropped
        if visit.request_id in target:
            out.append(Violation("pairing", vid, req.id, f"{visit.kind} visited twice"))
        target[req.id] = pos
        expected = req.pickup if visit.kind == "pickup" else req.dropoff
        if visit.place != expected:
            out.append(Violation("pairing", vid, req.id, f"{visit.kind} at place {visit.place} not {expected}"))
    for rid, req in requests.items():
        seen[rid] = seen.get(rid, 0) + 1
        if rid not in dropped:
            out.append(Violation("pairing", vid, rid, "picked up but never dropped off"))
        if req.onboard:
            if rid in picked:
                out.append(Violation("pairing", vid, rid, "rider aboard is picked up again"))
        elif rid not in picked:
            out.append(Violation("pairing", vid, rid, "dropped off but never picked up"))
        elif rid in dropped and picked[rid] > dropped[rid]:
            out.append(Violation("pairing", vid, rid, "drop-off before pickup"))
        if req.locked_vehicle is not None and req.locked_vehicle != vid:
            out.append(Violation("assignment", vid, rid, f"locked to {req.locked_vehicle}"))
        if req.categories and vehicle.category not in req.categories:
            out.append(Violation("compatibility", vid, rid, f"category {vehicle.category!r} not allowed"))
    for req in problem.requests:
        if req.onboard and req.locked_vehicle == vid and req.id not in requests:
            out.append(Violation("assignment", vid, req.id, "rider aboard is not dropped off by their car"))
    if out:
        return out
    out.extend(_check_load(vehicle, route, requests))
    if vehicle.max_distance is not None:
        d = _route_distance(problem, vehicle, route)
        if d > vehicle.max_distance + TOLERANCE:
            out.append(Violation("distance", vid, None, f"drives {d:.3f} > range {vehicle.max_distance}"))
    out.extend(_check_schedule_exists(problem, vehicle, route, requests))
    out.extend(_check_reported_times(problem, vehicle, route, requests))
    return out


def _check_load(vehicle: Vehicle, route: Route, requests: dict[str, Request]) -> list[Violation]:
    out: list[Violation] = []
    aboard = {rid for rid, r in requests.items() if r.onboard}
    initially = set(aboard)
    load = sum(requests[rid].load for rid in aboard)
    if load > vehicle.capacity:
        out.append(Violation("capacity", vehicle.id, None, f"load {load} at start > {vehicle.capacity}"))
    for visit in route.visits:
        req = requests[visit.request_id]
        if visit.kind == "pickup":
            aboard.add(req.id)
            load += req.load
        else:
            aboard.discard(req.id)
            load -= req.load
        if load > vehicle.capacity:
            out.append(Violation("capacity", vehicle.id, req.id, f"load {load} > {vehicle.capacity}"))
        lone = [rid for rid in aboard if not requests[rid].poolable]
        if lone and len(aboard) > 1 and aboard - initially:
            out.append(Violation("pooling", vehicle.id, lone[0], "a non-poolable rider shares the car"))
    return out


def _time_rows(
    problem: Problem, vehicle: Vehicle, route: Route, requests: dict[str, Request]
) -> tuple[list[tuple[float, float, float]], list[tuple[int, int, float]]]:
    """Per time point (start, visits…, end): (earliest, latest, service) and extra edges (u, v, w) for
    x_v − x_u ≤ w beyond travel."""
    rows: list[tuple[float, float, float]] = [(vehicle.start_time, vehicle.shift_end, 0.0)]
    pick_pos: dict[str, int] = {}
    extra: list[tuple[int, int, float]] = []
    for k, visit in enumerate(route.visits, start=1):
        req = requests[visit.request_id]
        if visit.kind == "pickup":
            w, s = req.pickup_window, req.pickup_service
            pick_pos[req.id] = k
        else:
            w, s = req.dropoff_window, req.dropoff_service
            if req.id in pick_pos:  # B_d − B_p ≤ L + s_p
                extra.append((pick_pos[req.id], k, req.max_ride_time + req.pickup_service))
            elif req.picked_up_at is not None:  # B_d ≤ picked_up_at + L
                rows.append((w.start, min(w.end, req.picked_up_at + req.max_ride_time), s))
                continue
        rows.append((w.start, w.end, s))
    rows.append((-math.inf, vehicle.shift_end, 0.0))
    extra.append((0, len(rows) - 1, vehicle.max_duration))
    return rows, extra


def _travel(problem: Problem, vehicle: Vehicle, route: Route) -> list[float]:
    dur = problem.matrix.durations
    places = [vehicle.start] + [v.place for v in route.visits]
    legs = [float(dur[a, b]) for a, b in itertools.pairwise(places)]
    if vehicle.end is not None:
        legs.append(float(dur[places[-1], vehicle.end]) if route.visits else 0.0)
    else:
        legs.append(0.0)
    return legs


def _check_schedule_exists(
    problem: Problem, vehicle: Vehicle, route: Route, requests: dict[str, Request]
) -> list[Violation]:
    """Bellman-Ford negative-cycle test; node 0 is the zero reference, node k+1 is time point k."""
    rows, extra = _time_rows(problem, vehicle, route, requests)
    if any(lo > hi + TOLERANCE for lo, hi, _ in rows):
        return [Violation("schedule", vehicle.id, None, "a time window cannot be met")]
    legs = _travel(problem, vehicle, route)
    edges: list[tuple[int, int, float]] = []
    for k, (lo, hi, _s) in enumerate(rows):
        if math.isfinite(hi):
            edges.append((0, k + 1, hi))  # x_k − z ≤ hi
        if math.isfinite(lo):
            edges.append((k + 1, 0, -lo))  # z − x_k ≤ −lo
    for k in range(len(rows) - 1):  # x_k − x_{k+1} ≤ −(s_k + t_k)
        edges.append((k + 2, k + 1, -(rows[k][2] + legs[k])))
    for u, v, w in extra:
        if math.isfinite(w):
            edges.append((u + 1, v + 1, w))
    n = len(rows) + 1
    dist = [0.0] * n
    for _ in range(n + 1):
        changed = False
        for u, v, w in edges:
            if dist[u] + w < dist[v] - 1e-9:
                dist[v] = dist[u] + w
                changed = True
        if not changed:
            return []
    return [Violation("schedule", vehicle.id, None, _explain(rows, legs, extra, route))]


def _explain(
    rows: list[tuple[float, float, float]],
    legs: list[float],
    extra: list[tuple[int, int, float]],
    route: Route,
) -> str:
    """A readable hint: which rule the earliest schedule breaks first."""
    t = rows[0][0]
    times = [t]
    for k in range(1, len(rows)):
        t = max(rows[k][0], t + rows[k - 1][2] + legs[k - 1])
        times.append(t)
        if t > rows[k][1] + TOLERANCE:
            return f"time window missed at stop {k}"
    for u, v, w in extra:
        if times[v] - times[u] > w + TOLERANCE:
            what = "route duration" if u == 0 else f"ride time of {route.visits[u - 1].request_id}"
            return f"{what} cannot be met by any schedule"
    return "no schedule meets windows, ride times and duration together"


def _check_reported_times(
    problem: Problem, vehicle: Vehicle, route: Route, requests: dict[str, Request]
) -> list[Violation]:
    """The times printed on the plan obey the rules too (a driver follows them)."""
    rows, extra = _time_rows(problem, vehicle, route, requests)
    legs = _travel(problem, vehicle, route)
    times = [route.departure] + [v.start for v in route.visits] + [route.arrival]
    if len(times) != len(rows):
        return []
    tol = TOLERANCE * max(1.0, max(abs(x) for x in times if math.isfinite(x)))
    bad: list[str] = []
    for k, (lo, hi, _s) in enumerate(rows):
        if not lo - tol <= times[k] <= hi + tol:
            bad.append(f"stop {k} at {times[k]:.3f} outside [{lo}, {hi}]")
        if k and times[k] < times[k - 1] + rows[k - 1][2] + legs[k - 1] - tol:
            bad.append(f"stop {k} reached before the car can get there")
    for k, visit in enumerate(route.visits, start=1):
        if visit.arrival > visit.start + tol:
            bad.append(f"stop {k} served before arrival")
    for u, v, w in extra:
        if times[v] - times[u] > w + tol:
            bad.append(f"ride/duration limit between stops {u} and {v} broken by the reported times")
    return [Violation("times", vehicle.id, None, b) for b in bad[:3]]
