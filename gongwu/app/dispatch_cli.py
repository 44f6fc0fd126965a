"""``gongwu dispatch``: run the pooled-dispatch optimizer by hand.

``darp FILE`` solves a Cordeau dial-a-ride benchmark file (``shared/darp/``; both the a/b and the R header
conventions) and prints one JSON object on stdout::

    {"cost": 294.2480, "routes": [[0, 3, 19, …, 33], …]}

``routes`` lists the used vehicles' routes as the file's node ids, **depot included at both ends**: the start
depot 0 first, then the stops, then the end depot (node 2n+1 in the a/b files, node 0 again in the R files).
``cost`` is the total Euclidean length of those routes, recomputed in double precision from the
coordinates. A summary (feasibility by the independent checker, wall time, iterations) goes to stderr.
The time limit counts the search only; loading the compiled kernels comes first (≈1 s, ≈20 s the very
first time on a machine).
"""

from __future__ import annotations

import json
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import typer

from gongwu.routing.vrp import check, node_routes, read_cordeau, route_cost, solve, warm_up

app = typer.Typer(
    help="The pooled-dispatch optimizer (dial-a-ride): benchmark files and diagnostics.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def main() -> None:
    """The pooled-dispatch optimizer (dial-a-ride)."""


class Method(StrEnum):
    alns = "alns"
    ortools = "ortools"


@app.command()
def darp(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A Cordeau DARP instance file.")],
    time_limit: Annotated[float, typer.Option("--time-limit", min=0.1, help="Seconds of search.")] = 10.0,
    workers: Annotated[int, typer.Option(min=1, help="Search processes (one per core).")] = 2,
    seed: Annotated[int, typer.Option(help="Random seed of the first worker.")] = 0,
    method: Annotated[Method, typer.Option(help="alns, or ortools (the plain OR-Tools model).")] = Method.alns,
) -> None:
    """Solve a Cordeau DARP file and print {"cost", "routes"} as JSON (node ids, depots included)."""
    instance = read_cordeau(file)
    warm_up()
    t0 = time.perf_counter()
    engine: Literal["alns", "ortools"] = "ortools" if method is Method.ortools else "alns"
    solution = solve(instance.problem, time_limit, workers=workers, seed=seed, method=engine)
    wall = time.perf_counter() - t0
    routes = node_routes(instance, solution)
    violations = check(instance.problem, solution)
    typer.echo(json.dumps({"cost": round(route_cost(instance, routes), 6), "routes": routes}))
    summary = {
        "instance": instance.name,
        "feasible": not violations,
        "unserved": len(solution.unserved),
        "wall_s": round(wall, 3),
        "iterations": solution.stats.iterations,
        "method": solution.stats.method,
    }
    print(json.dumps(summary), file=sys.stderr)
    if violations or solution.unserved:
        raise typer.Exit(1)
