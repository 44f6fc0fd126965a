"""The optimizer's worker process: ``solve`` never runs on the event loop, nor in a thread of the server.

The search kernels hold the GIL and ``solve`` forks helper processes, which is only safe from a process that
runs no other threads; so each server process keeps one *spawned* worker process (a fresh interpreter, no
threads) and sends it the problem. The worker loads the compiled kernels once (``warm_up``), then solves one
problem after another; a worker that dies is replaced at once (the call tries once more; a second death answers
:class:`~gongwu.dispatch.pooling.errors.SolverUnavailable`, 503, and nothing is stored or assigned). The worker
dies with its parent (Linux: ``PR_SET_PDEATHSIG``; it holds both ends of its own queue pipes, so it would never
see the parent go), and the parent stops it at exit.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import multiprocessing as mp
import os
import signal
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from gongwu.dispatch.pooling.errors import SolverUnavailable
from gongwu.dispatch.pooling.metrics import SOLVE_SECONDS, WORKER_DEATHS
from gongwu.routing.vrp import Problem, Solution, Violation, check, solve, warm_up

__all__ = ["Solved", "shutdown", "solve_off_loop", "worker_pids"]

_lock = threading.Lock()
_pool: list[ProcessPoolExecutor] = []

Solved = tuple[Solution, list[Violation]]


PR_SET_PDEATHSIG = 1


def _initialise(parent: int) -> None:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):  # no glibc: the atexit shutdown still stops the worker
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(0)
    warm_up()


def _solve(problem: Problem, time_limit_s: float, previous: Solution | None, stability: float, workers: int) -> Solved:
    solution = solve(problem, time_limit_s, workers=workers, previous=previous, stability_penalty=stability)
    return solution, check(problem, solution)


def _executor() -> ProcessPoolExecutor:
    with _lock:
        if not _pool:
            context = mp.get_context("spawn")
            _pool.append(ProcessPoolExecutor(1, mp_context=context, initializer=_initialise, initargs=(os.getpid(),)))
        return _pool[0]


def shutdown() -> None:
    """Stop the worker process and wait for it (at exit; commands that plan once; tests)."""
    with _lock:
        pools = list(_pool)
        _pool.clear()
    for pool in pools:
        pool.shutdown(wait=True, cancel_futures=True)


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
            with SOLVE_SECONDS.time():
                return await loop.run_in_executor(pool, _solve, problem, time_limit_s, previous, stability, workers)
        except BrokenProcessPool:
            with _lock:
                if _pool and _pool[0] is pool:
                    _pool.pop()
            WORKER_DEATHS.inc()
            if attempt == 2:
                raise SolverUnavailable() from None
    raise AssertionError("unreachable")


def worker_pids() -> list[int]:
    """The worker processes alive now (for operators and the fault test)."""
    with _lock:
        pools = list(_pool)
    return [pid for pool in pools for pid in list(getattr(pool, "_processes", None) or {})]
