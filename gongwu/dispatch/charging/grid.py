"""Time slots of a plan and where each car is in them.

The horizon is cut into slots aligned to the clock, so plans made at different times share slot boundaries and
can be compared: ``slot_minutes`` slots for the first ``fine_hours`` (what is about to happen), hourly slots after
that (the tariff changes by the hour; a rolling re-plan refines them as they come near). A car can charge in a
slot only if it is parked at a site for the whole slot: a stay runs from the first slot that starts after the
car is free to the last slot that ends before it leaves.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gongwu.dispatch.charging.problem import ChargingProblem, EvState, TripDemand

__all__ = ["Grid", "Stay", "Timeline", "timelines"]

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _ceil(when: datetime, minutes: int) -> datetime:
    step = minutes * 60
    return EPOCH + timedelta(seconds=math.ceil((when - EPOCH).total_seconds() / step - 1e-9) * step)


@dataclass(frozen=True, slots=True)
class Grid:
    """Slots ``[bounds[t], bounds[t + 1])``; ``base_minutes`` is the finest slot (what plans report in)."""

    bounds: tuple[datetime, ...]
    base_minutes: int

    @classmethod
    def of(cls, problem: ChargingProblem) -> Grid:
        base = problem.slot_minutes
        start = _ceil(problem.now, base)
        end = max(_ceil(problem.now + problem.horizon, base), start + timedelta(minutes=base))
        fine_end = min(end, _ceil(start + timedelta(hours=problem.fine_hours), 60))
        bounds = [start]
        while bounds[-1] < fine_end:
            bounds.append(bounds[-1] + timedelta(minutes=base))
        while bounds[-1] < end:
            bounds.append(min(end, bounds[-1] + timedelta(minutes=60)))
        return cls(tuple(bounds), base)

    @property
    def count(self) -> int:
        return len(self.bounds) - 1

    @property
    def start(self) -> datetime:
        return self.bounds[0]

    @property
    def end(self) -> datetime:
        return self.bounds[-1]

    def time(self, slot: int) -> datetime:
        return self.bounds[slot]

    def hours(self, slot: int) -> float:
        return (self.bounds[slot + 1] - self.bounds[slot]).total_seconds() / 3600

    def base_slots(self, slot: int) -> int:
        """How many base slots slot ``slot`` spans."""
        return round(self.hours(slot) * 60 / self.base_minutes)

    @property
    def base_count(self) -> int:
        return round((self.end - self.start).total_seconds() / 60 / self.base_minutes)

    def first_slot_from(self, when: datetime) -> int:
        """The first slot that starts at or after ``when`` (``count`` if none)."""
        return min(self.count, bisect.bisect_left(self.bounds, when))

    def slots_before(self, when: datetime) -> int:
        """How many slots end at or before ``when``."""
        return max(0, min(self.count, bisect.bisect_right(self.bounds, when) - 1))

    def slot_of(self, when: datetime) -> int | None:
        """The index of the slot starting exactly at ``when``, if there is one."""
        index = bisect.bisect_left(self.bounds, when)
        return index if index < self.count and self.bounds[index] == when else None


@dataclass(frozen=True, slots=True)
class Stay:
    """The car parked at ``site_id`` for slots ``[first, end)`` (free from ``free_at``), then leaving on trip
    ``trip_next`` (index into the timeline's trips; None: still parked at the end of the horizon)."""

    site_id: str | None
    first: int
    end: int
    trip_next: int | None
    free_at: datetime


@dataclass(frozen=True, slots=True)
class Timeline:
    """A car's stays and its trips inside the horizon (``trips[k]`` leaves after ``stays[k]``, in slot
    ``departures[k]``)."""

    ev: EvState
    trips: tuple[TripDemand, ...]
    departures: tuple[int, ...]
    stays: tuple[Stay, ...]


def timelines(problem: ChargingProblem, grid: Grid) -> list[Timeline]:
    """Each car's stays between its trips that leave before the end of the grid."""
    out = []
    for ev in problem.evs:
        trips = tuple(t for t in problem.trips_of(ev.vehicle_id) if t.departure < grid.end)
        site = ev.site_id
        free = max(ev.available_from or problem.now, problem.now)
        stays = []
        for k, trip in enumerate(trips):
            first = grid.first_slot_from(free)
            stays.append(Stay(site, first, max(first, grid.slots_before(trip.departure)), k, free))
            site = trip.returns_to or ev.site_id
            free = trip.return_time
        first = grid.first_slot_from(free)
        stays.append(Stay(site, first, max(first, grid.count), None, free))
        departures = tuple(grid.slots_before(t.departure) for t in trips)
        out.append(Timeline(ev, trips, departures, tuple(stays)))
    return out
