"""A second, booking-level check of a plan before it is stored, independent of the optimizer's model: it reads
the plan as the drivers will (stops in order with their times) against the booking and car as the database has
them. The optimizer's own independent checker (:func:`gongwu.routing.vrp.check`) has already tested the
routes against the problem; this one catches a problem built wrong (a car of another category, too few seats,
a window moved).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from gongwu.dispatch.pooling.drafts import StopDraft
from gongwu.dispatch.pooling.problem import Car, Job

__all__ = ["Finding", "check_plan"]

SLACK = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class Finding:
    booking_id: int | None
    vehicle_id: int
    what: str


def check_plan(stops: Sequence[StopDraft], jobs: Mapping[int, Job], cars: Mapping[int, Car]) -> list[Finding]:
    """Everything wrong with the stops: each car's stops in sequence order, one pick-up then one drop-off per
    booking, seats, categories, windows of legs not yet started, nobody riding with a non-pooled rider."""
    out: list[Finding] = []
    per_car: dict[int, list[StopDraft]] = {}
    for s in stops:
        per_car.setdefault(s.vehicle_id, []).append(s)
    seen: set[int] = set()
    for vid, mine in per_car.items():
        car = cars.get(vid)
        if car is None:
            out.append(Finding(None, vid, "car not in service"))
            continue
        mine.sort(key=lambda s: s.sequence)
        aboard = {j.booking_id for j in jobs.values() if j.aboard and j.vehicle_id == vid}
        load = sum(jobs[b].passengers for b in aboard)
        previous_start = None
        for s in mine:
            job = jobs.get(s.booking_id)
            if job is None:
                out.append(Finding(s.booking_id, vid, "unknown booking"))
                continue
            if previous_start is not None and s.start_at < previous_start:
                out.append(Finding(s.booking_id, vid, "stops out of time order"))
            previous_start = s.start_at
            fixed = job.aboard or job.started
            if s.kind == "pickup":
                if s.booking_id in seen or s.booking_id in aboard:
                    out.append(Finding(s.booking_id, vid, "picked up twice"))
                seen.add(s.booking_id)
                aboard.add(s.booking_id)
                load += job.passengers
                if not fixed and s.start_at < job.earliest_pickup - SLACK:
                    out.append(Finding(s.booking_id, vid, "picked up before the window opens"))
                if not fixed and (job.category != car.category or car.seats < job.min_seats):
                    out.append(Finding(s.booking_id, vid, "car of another category or too few seats"))
                if not fixed and car.dedicated and not job.leader:
                    out.append(Finding(s.booking_id, vid, "a leader's car on an ordinary trip"))
            else:
                if s.booking_id not in aboard:
                    out.append(Finding(s.booking_id, vid, "dropped off without being picked up"))
                aboard.discard(s.booking_id)
                load -= job.passengers
                if not fixed and s.start_at > job.latest_arrival + SLACK:
                    out.append(Finding(s.booking_id, vid, "arrives after the window closes"))
            if load > car.seats - 1:
                out.append(Finding(s.booking_id, vid, f"{load} riders in a car of {car.seats} seats"))
            lone = [b for b in aboard if not jobs[b].may_pool]
            if lone and len(aboard) > 1:
                out.append(Finding(lone[0], vid, "a trip that may not be pooled shares the car"))
        if aboard:
            out.append(Finding(min(aboard), vid, "never dropped off"))
    return out
