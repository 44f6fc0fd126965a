"""Cordeau dial-a-ride benchmark files → :class:`Problem`, and routes back to the file's node ids.

Two header conventions (see ``shared/darp/README.md``):

* ``cordeau2006`` (a/b sets): ``K n T Q L``, node lines 0 … 2n+1, node 2n+1 is the end depot;
* ``cordeau-laporte2003`` (R sets): ``K 2n T Q L``, node lines 0 … 2n, the route ends at node 0 again.

Node lines are ``id x y service load earliest latest``. Travel time = cost = Euclidean distance. Node i is
the pickup of request i, node n+i its drop-off. Place indices in the :class:`Matrix` are the node ids, so a
route's visits map back to node ids directly.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gongwu.core.errors import InvalidInput
from gongwu.routing.vrp.problem import Matrix, Problem, Request, TimeWindow, Vehicle
from gongwu.routing.vrp.solution import Solution

__all__ = ["CordeauInstance", "node_routes", "read_cordeau", "route_cost"]


@dataclass(frozen=True, eq=False)
class CordeauInstance:
    """A parsed instance: the header, the raw node table, and the equivalent :class:`Problem`."""

    name: str
    vehicles: int
    requests: int
    max_duration: float
    capacity: int
    max_ride_time: float
    xy: np.ndarray
    end_node: int
    problem: Problem


def read_cordeau(path: str | Path, fmt: str = "auto") -> CordeauInstance:
    """Parse a Cordeau file. ``fmt``: ``"cordeau2006"``, ``"cordeau-laporte2003"`` or ``"auto"`` (by the
    number of node lines: 2n+2 lines for the first, 2n+1 for the second)."""
    path = Path(path)
    lines = [ln.split() for ln in path.read_text().splitlines() if ln.strip()]
    if not lines or len(lines[0]) < 5:
        raise InvalidInput(
            f"{path.name}: not a Cordeau DARP file (header)",
            message_zh=f"{path.name}：不是 Cordeau DARP 文件（文件头不符）。",
        )
    k, second, horizon, cap, ride = lines[0][:5]
    rows = [[float(x) for x in ln[:7]] for ln in lines[1:] if len(ln) >= 7]
    m = int(second)
    if fmt == "auto":
        fmt = "cordeau2006" if len(rows) == 2 * m + 2 else "cordeau-laporte2003"
    if fmt == "cordeau2006":
        n, end = m, 2 * m + 1
        if len(rows) < 2 * n + 2:
            raise InvalidInput(
                f"{path.name}: expected {2 * n + 2} node lines, found {len(rows)}",
                message_zh=f"{path.name}：应有 {2 * n + 2} 行节点，实有 {len(rows)} 行。",
            )
    elif fmt == "cordeau-laporte2003":
        n, end = m // 2, 0
        if len(rows) < 2 * n + 1:
            raise InvalidInput(
                f"{path.name}: expected {2 * n + 1} node lines, found {len(rows)}",
                message_zh=f"{path.name}：应有 {2 * n + 1} 行节点，实有 {len(rows)} 行。",
            )
    else:
        raise InvalidInput(f"unknown Cordeau format {fmt!r}", message_zh=f"未知的 Cordeau 文件格式 {fmt!r}。")
    table = np.array(rows[: max(2 * n + 2 if end else 2 * n + 1, 1)], dtype=np.float64)
    xy = table[:, 1:3]
    diff = xy[:, None, :] - xy[None, :, :]
    dist = np.sqrt((diff**2).sum(axis=2))
    T, Q, L = float(horizon), int(cap), float(ride)
    requests = tuple(
        Request(
            id=str(i),
            pickup=i,
            dropoff=n + i,
            pickup_window=TimeWindow(table[i, 5], table[i, 6]),
            dropoff_window=TimeWindow(table[n + i, 5], table[n + i, 6]),
            pickup_service=float(table[i, 3]),
            dropoff_service=float(table[n + i, 3]),
            load=int(table[i, 4]),
            max_ride_time=L,
        )
        for i in range(1, n + 1)
    )
    vehicles = tuple(
        Vehicle(
            id=str(v),
            start=0,
            end=end,
            capacity=Q,
            start_time=float(table[0, 5]),
            shift_end=float(min(table[0, 6], table[end, 6])),
            max_duration=T,
        )
        for v in range(int(k))
    )
    problem = Problem(requests, vehicles, Matrix(dist, dist))
    return CordeauInstance(path.stem, int(k), n, T, Q, L, xy, end, problem)


def node_routes(instance: CordeauInstance, solution: Solution) -> list[list[int]]:
    """Each used vehicle's route as file node ids, depot first and last (start 0, end 2n+1 or 0)."""
    out: list[list[int]] = []
    for route in solution.routes:
        if route.visits:
            out.append([0, *(v.place for v in route.visits), instance.end_node])
    return out


def route_cost(instance: CordeauInstance, routes: list[list[int]]) -> float:
    """Total Euclidean length of node-id routes, in double precision from the coordinates."""
    xy = instance.xy
    total = 0.0
    for r in routes:
        for a, b in itertools.pairwise(r):
            total += math.hypot(float(xy[a, 0] - xy[b, 0]), float(xy[a, 1] - xy[b, 1]))
    return total
