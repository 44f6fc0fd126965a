"""``solve(problem) -> Solution``: the portfolio around the compiled search and OR-Tools.

Worker 0 runs in the calling process, further workers are forked processes (one per core); each runs the
ruin-and-recreate search with its own seed (worker 1 may start from OR-Tools' solution), they post their
best to shared memory about twice a second, and at two sync points (half and four fifths of the time) a
worker that is behind adopts the best. The plan returned is always re-checked by the independent
:func:`gongwu.routing.vrp.check`; if it fails, the best plan that passes is returned instead.

Call it in a worker process (e.g. a ``ProcessPoolExecutor`` of the dispatch service), never on the event
loop: it blocks for the time limit, and it forks its helper workers, which is only safe from a process
that runs no other threads (``workers=1`` runs everything in the calling process).
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import sys
import time
from typing import Any, Literal

import numpy as np

from gongwu.routing.vrp import _kernels as K
from gongwu.routing.vrp.alns import (
    Arrays,
    State,
    build_arrays,
    clone,
    initial_state,
    search,
    state_cost,
    state_from_routes,
    state_routes,
    to_solution,
    workspace,
)
from gongwu.routing.vrp.checker import check
from gongwu.routing.vrp.problem import Problem
from gongwu.routing.vrp.solution import Solution, SolveStats

__all__ = ["solve", "warm_up"]

Method = Literal["alns", "ortools"]


def warm_up() -> None:
    """Load (or compile, the first time on a machine: ~20 s) the search kernels. Call once at start-up."""
    from gongwu.routing.vrp.problem import Matrix, Request, Vehicle

    m = Matrix.of([[0.0, 1.0], [1.0, 0.0]])
    problem = Problem((Request("r", 0, 1),), (Vehicle("v", 0, 1, end=0),), m)
    arr = build_arrays(problem)
    start = initial_state(arr)
    search(arr, start, 0.01)


class _Board:
    """Shared memory where workers post their best routes."""

    def __init__(self, ctx: Any, arr: Arrays) -> None:
        V, maxlen = arr.n_vehicles, 2 * arr.n_requests + 2
        self.lock = ctx.Lock()
        self.cost = ctx.RawValue("d", math.inf)
        self.rows = ctx.RawArray("q", max(1, V * maxlen))
        self.lens = ctx.RawArray("q", max(1, V))
        self.iterations = ctx.RawArray("q", 8)
        self.shape = (V, maxlen)

    def post(self, cost: float, S: State) -> None:
        with self.lock:
            if cost < self.cost.value - 1e-9:
                np.frombuffer(self.rows, np.int64).reshape(self.shape)[:] = S[0]
                np.frombuffer(self.lens, np.int64)[:] = S[1]
                self.cost.value = cost

    def read(self) -> tuple[float, list[list[int]]]:
        with self.lock:
            rows = np.frombuffer(self.rows, np.int64).reshape(self.shape).copy()
            lens = np.frombuffer(self.lens, np.int64).copy()
            cost = float(self.cost.value)
        return cost, [[int(x) for x in rows[v, 1 : lens[v] - 1]] for v in range(self.shape[0])]


def _run_worker(
    arr: Arrays, board: _Board, start: State, deadline: float, seed: int, worker: int, ortools_start: bool
) -> None:
    limit = deadline - time.perf_counter()
    t0 = time.perf_counter()
    if ortools_start:
        from gongwu.routing.vrp.ortools_model import solve_ortools

        routes = solve_ortools(arr, max(0.05, min(2.0, 0.1 * limit)), initial=state_routes(start))
        if routes is not None:
            candidate = state_from_routes(arr, routes)
            if state_cost(arr, candidate) < state_cost(arr, start) and _routes_ok(arr, candidate):
                start = candidate
    sync = [t0 + 0.5 * limit, t0 + 0.8 * limit]

    def exchange(cost: float, S: State) -> State | None:
        board.post(cost, S)
        if sync and time.perf_counter() >= sync[0]:
            sync.pop(0)
            best, routes = board.read()
            if best < cost - 1e-9:
                return state_from_routes(arr, routes)
        return None

    result = search(arr, start, deadline - time.perf_counter(), seed=seed, exchange=exchange)
    board.post(result.cost, result.state)
    board.iterations[worker] = result.iterations


def _routes_ok(arr: Arrays, S: State) -> bool:
    """Every route of ``S`` passes the kernels' exact test (guards states read back from OR-Tools)."""
    W = workspace(arr)
    return all(K.route_schedule(v, arr.D, S, W).shape[0] > 0 or int(S[1][v]) <= 2 for v in range(arr.n_vehicles))


def solve(
    problem: Problem,
    time_limit_s: float = 10.0,
    *,
    workers: int | None = None,
    previous: Solution | None = None,
    stability_penalty: float = 0.0,
    seed: int = 0,
    method: Method = "alns",
    ortools_start: bool = False,
) -> Solution:
    """Plan ``problem`` within about ``time_limit_s`` seconds of wall time.

    ``workers``: processes to use (default: the cores, at most 2 is what the benchmark measured).
    ``previous``: the plan in force; the search starts from it (what is still feasible) and, with
    ``stability_penalty`` > 0, pays that much for every request moved to another vehicle.
    ``method="ortools"`` runs the plain OR-Tools model only (the baseline).
    """
    t0 = time.perf_counter()
    deadline = t0 + max(0.05, time_limit_s)
    arr = build_arrays(problem, previous, stability_penalty)
    notes: list[str] = []
    if method == "ortools":
        from gongwu.routing.vrp.ortools_model import solve_ortools

        routes = solve_ortools(arr, max(0.05, deadline - time.perf_counter() - 0.05))
        state = state_from_routes(arr, routes) if routes is not None else initial_state(arr)
        if routes is None:
            notes.append("OR-Tools found no solution; greedy insertion used")
        return _finish(arr, [state], t0, 0, 1, "ortools", notes, state_cost(arr, state))
    start = initial_state(arr, previous)
    first_cost = state_cost(arr, start)
    n_workers = max(1, workers if workers is not None else min(2, os.cpu_count() or 1))
    margin = 0.05 + 2e-5 * arr.n_requests * arr.n_vehicles
    end = deadline - margin
    if end - time.perf_counter() <= 0.02 or arr.n_requests == 0:
        return _finish(arr, [start], t0, 0, 1, "greedy", notes, first_cost)
    ctx = mp.get_context("fork") if sys.platform.startswith("linux") else None
    if ctx is None:
        n_workers = 1
    board = _Board(ctx or mp.get_context(), arr)
    board.post(first_cost, start)
    children = []
    if ctx is not None and n_workers > 1:
        search(arr, clone(start), 0.0)  # make sure the kernels are loaded before forking
        for w in range(1, n_workers):
            proc = ctx.Process(
                target=_run_worker, args=(arr, board, clone(start), end, seed + 1000 * w, w, ortools_start)
            )
            proc.daemon = True
            proc.start()
            children.append(proc)
    _run_worker(arr, board, clone(start), end, seed, 0, False)
    for proc in children:
        proc.join(timeout=max(0.5, margin))
        if proc.is_alive():
            proc.terminate()
            notes.append("a worker overran its time and was stopped")
    _, routes = board.read()
    best = state_from_routes(arr, routes)
    iterations = int(sum(board.iterations[:n_workers]))
    method_name = f"alns x{n_workers}" + (" (OR-Tools start)" if ortools_start and n_workers > 1 else "")
    return _finish(arr, [best, start], t0, iterations, n_workers, method_name, notes, first_cost)


def _finish(
    arr: Arrays,
    candidates: list[State],
    t0: float,
    iterations: int,
    n_workers: int,
    method: str,
    notes: list[str],
    first_cost: float,
) -> Solution:
    """The first candidate the independent checker accepts (never an unchecked plan)."""
    fallback: Solution | None = None
    for k, S in enumerate(candidates):
        stats = SolveStats(
            wall_s=time.perf_counter() - t0,
            iterations=iterations,
            workers=n_workers,
            first_cost=first_cost,
            method=method if k == 0 else "initial plan (search result failed the check)",
            verified=True,
            notes=tuple(notes),
        )
        solution = to_solution(arr, S, stats)
        violations = check(arr.problem, solution)
        if not violations:
            return solution
        bad = tuple(f"{v.kind}: {v.vehicle_id} {v.request_id} {v.detail}" for v in violations[:5])
        notes.append(f"candidate {k} rejected by the checker: {'; '.join(bad)}")
        if fallback is None:
            fallback = solution
    assert fallback is not None
    stats = SolveStats(
        wall_s=time.perf_counter() - t0,
        iterations=iterations,
        workers=n_workers,
        first_cost=first_cost,
        method=method,
        verified=False,
        notes=tuple(notes),
    )
    return Solution(fallback.routes, fallback.unserved, fallback.cost, fallback.distance, stats)
