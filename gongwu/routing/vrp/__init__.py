"""Pooled dispatch (拼车调度) as a dial-a-ride problem: value objects → ``solve`` → a checked solution.

    problem = Problem(requests, vehicles, Matrix.of(durations, distances))
    solution = solve(problem, time_limit_s=10, previous=plan_in_force, stability_penalty=600)
    assert not check(problem, solution)

``solve`` blocks for the time limit and forks one worker per core: run it in a worker, never on the event
loop. Cordeau benchmark files are read by :func:`read_cordeau`.
"""

from gongwu.routing.vrp.checker import Violation, check
from gongwu.routing.vrp.cordeau import CordeauInstance, node_routes, read_cordeau, route_cost
from gongwu.routing.vrp.problem import INF, Matrix, Problem, Request, TimeWindow, Vehicle
from gongwu.routing.vrp.solution import Route, Solution, SolveStats, Unserved, Visit
from gongwu.routing.vrp.solver import solve, warm_up

__all__ = [
    "INF",
    "CordeauInstance",
    "Matrix",
    "Problem",
    "Request",
    "Route",
    "Solution",
    "SolveStats",
    "TimeWindow",
    "Unserved",
    "Vehicle",
    "Violation",
    "Visit",
    "check",
    "node_routes",
    "read_cordeau",
    "route_cost",
    "solve",
    "warm_up",
]
