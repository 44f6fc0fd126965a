"""The optimizer's worker process: ``solve`` never runs on the event loop, nor in a thread of the server.

The search kernels hold the GIL and ``solve`` forks helper processes, which is only safe from a process that
runs no other threads; so each server process keeps one *spawned* worker process (a fresh interpreter, no
threads) and sends it the problem. The worker loads the compiled kernels once (``warm_up``), then solves one
problem after another; a worker that dies is replaced on the next call.
"""

from __future__ import annotations

import asyncio
import atexit
import multiprocessing as mp
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from gongwu.routing.vrp import Problem, Solution, Violation, check, solve, warm_up

__all__ = ["Solved", "shutdown", "solve_off_loop"]

_lock = threading.Lock()
_pool: list[ProcessPoolExecutor] = []

Solved = tuple[Solution, list[Violation]]


def _initialise() -> None:
    warm_up()


def _solve(problem: Problem, time_limit_s: float, previous: Solution | None, stability: float, workers: int) -> Solved:
    solution = solve(problem, time_limit_s, workers=workers, previous=previous, stability_penalty=stability)
    return solution, check(problem, solution)


def _executor() -> ProcessPoolExecutor:
    with _lock:
        if not _pool:
            _pool.append(ProcessPoolExecutor(1, mp_context=mp.get_context("spawn"), initializer=_initialise))
        return _pool[0]


def shutdown() -> None:
    """Stop the worker process (at exit; tests)."""
    with _lock:
        while _pool:
            _pool.pop().shutdown(wait=False, cancel_futures=True)


atexit.register(shutdown)


async def solve_off_loop(
    problem: Problem,
    time_limit_s: float,
    *,
    previous: Solution | None = None,
    stability: float = 0.0,
    workers: int = 1,
) -> Solved:
    """Solve in the worker process; returns the solution and what the independent checker says of it."""
    loop = asyncio.get_running_loop()
    for attempt in (1, 2):
        pool = _executor()
        try:
            return await loop.run_in_executor(pool, _solve, problem, time_limit_s, previous, stability, workers)
        except BrokenProcessPool:
            with _lock:
                if _pool and _pool[0] is pool:
                    _pool.pop()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")
