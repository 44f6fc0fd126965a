"""The pooled-dispatch problem as value objects: requests, vehicles, a travel matrix.

拼车调度 (pooled dispatch) is a dial-a-ride problem: every request is a pickup and a drop-off served by the
same vehicle, the pickup first, inside time windows, with a maximum ride time per rider. All times share one
unit (seconds on the platform, minutes in the Cordeau benchmark) and all places are indices into one
:class:`Matrix`. Nothing here knows about OR-Tools or the search; :func:`gongwu.routing.vrp.solve` does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from gongwu.core.errors import InvalidInput

__all__ = ["INF", "Matrix", "Problem", "Request", "TimeWindow", "Vehicle"]

INF = math.inf

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """Service may start at any time in ``[start, end]``; waiting before ``start`` is allowed."""

    start: float = 0.0
    end: float = INF

    def __post_init__(self) -> None:
        if not self.start <= self.end:
            raise InvalidInput(
                f"time window ends before it starts: [{self.start}, {self.end}]",
                message_zh=f"时间窗口的结束早于开始：[{self.start}, {self.end}]",
            )


OPEN = TimeWindow()


@dataclass(frozen=True, slots=True)
class Request:
    """One rider (or party) to carry from ``pickup`` to ``dropoff`` (matrix indices).

    ``max_ride_time`` bounds the time from the end of pickup service to the start of drop-off service.
    ``poolable=False`` is for confidential (机要) and leader (定向化保障) trips: while this rider is aboard the
    car carries no one else. ``categories`` lists the vehicle categories that may serve it (empty: any).
    ``locked_vehicle`` is a dispatcher's override: the request must go on that vehicle.
    ``picked_up_at`` marks a rider already aboard ``locked_vehicle`` (time their pickup service ended); only
    the drop-off is planned, and it stays on that vehicle.
    """

    id: str
    pickup: int
    dropoff: int
    pickup_window: TimeWindow = OPEN
    dropoff_window: TimeWindow = OPEN
    pickup_service: float = 0.0
    dropoff_service: float = 0.0
    load: int = 1
    max_ride_time: float = INF
    poolable: bool = True
    categories: frozenset[str] = frozenset()
    locked_vehicle: str | None = None
    picked_up_at: float | None = None

    @property
    def onboard(self) -> bool:
        """True when the rider is already in the car (the leg has started)."""
        return self.picked_up_at is not None


@dataclass(frozen=True, slots=True)
class Vehicle:
    """A car available for the batch.

    ``start`` is where the car is free from ``start_time`` on (for a car driving a leg: the end of that leg
    and its arrival time, so the started leg stays fixed). ``end`` is where it must finish (None: the route
    ends at its last stop). ``shift_end`` bounds the arrival at the end; ``max_duration`` bounds end − start.
    ``max_distance`` is the energy range in matrix distance units (None: unlimited).
    """

    id: str
    start: int
    capacity: int
    end: int | None = None
    start_time: float = 0.0
    shift_end: float = INF
    max_duration: float = INF
    category: str = ""
    max_distance: float | None = None


@dataclass(frozen=True, eq=False)
class Matrix:
    """Travel ``durations`` and ``distances`` between places, square arrays indexed by place.

    The cost of a route is the sum of the distances of its arcs. Values may be fractional (they are used
    in double precision); the OR-Tools adapter scales them to integers, rounding durations up.
    """

    durations: FloatArray
    distances: FloatArray

    @classmethod
    def of(cls, durations: object, distances: object | None = None) -> Matrix:
        """Build from anything array-like; ``distances`` defaults to ``durations``."""
        dur = np.ascontiguousarray(np.asarray(durations, dtype=np.float64))
        dist = dur if distances is None else np.ascontiguousarray(np.asarray(distances, dtype=np.float64))
        return cls(dur, dist)

    def __post_init__(self) -> None:
        dur, dist = self.durations, self.distances
        if dur.ndim != 2 or dur.shape[0] != dur.shape[1] or dist.shape != dur.shape:
            raise InvalidInput(
                "durations and distances must be square arrays of the same shape",
                message_zh="时长矩阵和距离矩阵须为形状相同的方阵。",
            )
        if not (np.all(np.isfinite(dur)) and np.all(dur >= 0) and np.all(dist >= 0)):
            raise InvalidInput(
                "matrix entries must be finite and non-negative", message_zh="矩阵中的值须为有限的非负数。"
            )

    @property
    def size(self) -> int:
        return int(self.durations.shape[0])


@dataclass(frozen=True, eq=False)
class Problem:
    """Requests, vehicles and the matrix they refer to. Ids must be unique."""

    requests: tuple[Request, ...]
    vehicles: tuple[Vehicle, ...]
    matrix: Matrix
    unserved_penalty: float = 1e6
    _vehicle_index: dict[str, int] = field(init=False, repr=False)
    _request_index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "requests", tuple(self.requests))
        object.__setattr__(self, "vehicles", tuple(self.vehicles))
        vix = {v.id: k for k, v in enumerate(self.vehicles)}
        rix = {r.id: k for k, r in enumerate(self.requests)}
        if len(vix) != len(self.vehicles) or len(rix) != len(self.requests):
            raise InvalidInput("request and vehicle ids must be unique", message_zh="订单编号和车辆编号不能重复。")
        object.__setattr__(self, "_vehicle_index", vix)
        object.__setattr__(self, "_request_index", rix)
        n = self.matrix.size
        for v in self.vehicles:
            if not (0 <= v.start < n and (v.end is None or 0 <= v.end < n)):
                raise InvalidInput(
                    f"vehicle {v.id}: place outside the matrix", message_zh=f"车辆 {v.id}：位置超出矩阵范围。"
                )
            if v.capacity < 0:
                raise InvalidInput(f"vehicle {v.id}: negative capacity", message_zh=f"车辆 {v.id}：载客量不能为负数。")
        for r in self.requests:
            if not (0 <= r.pickup < n and 0 <= r.dropoff < n):
                raise InvalidInput(
                    f"request {r.id}: place outside the matrix", message_zh=f"订单 {r.id}：位置超出矩阵范围。"
                )
            if r.load < 0 or r.pickup_service < 0 or r.dropoff_service < 0 or r.max_ride_time < 0:
                raise InvalidInput(
                    f"request {r.id}: negative load, service or ride time",
                    message_zh=f"订单 {r.id}：人数、上下车时长或乘车时长不能为负数。",
                )
            if r.locked_vehicle is not None and r.locked_vehicle not in vix:
                raise InvalidInput(
                    f"request {r.id}: locked to unknown vehicle {r.locked_vehicle}",
                    message_zh=f"订单 {r.id}：锁定的车辆 {r.locked_vehicle} 不存在。",
                )
            if r.onboard and r.locked_vehicle is None:
                raise InvalidInput(
                    f"request {r.id}: a rider aboard must name its vehicle (locked_vehicle)",
                    message_zh=f"订单 {r.id}：乘客已在车上，须指明所在车辆（locked_vehicle）。",
                )

    def vehicle_index(self, vehicle_id: str) -> int:
        return self._vehicle_index[vehicle_id]

    def request_index(self, request_id: str) -> int:
        return self._request_index[request_id]

    def compatible(self, request: Request, vehicle: Vehicle) -> bool:
        """Category, seats and lock allow ``vehicle`` to carry ``request`` (time not considered)."""
        if request.locked_vehicle is not None and request.locked_vehicle != vehicle.id:
            return False
        if request.categories and vehicle.category not in request.categories:
            return False
        return request.load <= vehicle.capacity
