"""Electric cars for the planner, from the charging package: which bookings each car cannot make even charging
whenever it is parked (``can_serve``), how far it can drive for the batch, and how ready it is.

Each booking is checked alone as a there-and-back trip (twice its routed km, plus the charging reserve) leaving
at its earliest pick-up; the car's route in the batch is then bounded by the range it can have at its first
trip. Plug-in hybrids have fuel behind the battery and are not bounded. A battery car without a charging profile
is bounded by its live SOC when it reports one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.events import EventBus
from gongwu.dispatch.charging.feasibility import can_serve
from gongwu.dispatch.charging.flows import build_problem
from gongwu.dispatch.charging.problem import TripDemand
from gongwu.dispatch.charging.settings import ChargingSettings
from gongwu.dispatch.charging.sources import LatestSoc, NoTrips

__all__ = ["EnergyView", "energy_of"]


@dataclass(frozen=True, slots=True)
class EnergyView:
    range_km: float | None
    readiness: float | None
    refused: frozenset[int]


@dataclass(frozen=True, slots=True)
class TripNeed:
    booking_id: int
    departure: datetime
    back: datetime
    km: float


async def energy_of(
    session: AsyncSession,
    bus: EventBus | None,
    settings: ChargingSettings,
    now: datetime,
    cars: Sequence[tuple[int, str, float | None, float | None]],
    trips: Sequence[TripNeed],
) -> dict[int, EnergyView]:
    """``cars``: (vehicle id, energy type, battery kWh, kWh per 100 km) of the cars in service."""
    battery_cars = [c for c in cars if c[1] == "bev" and c[2]]
    if not battery_cars:
        return {}
    inputs = await build_problem(session, settings, now=now, trips=NoTrips(), soc=LatestSoc(bus))
    sites = {s.id: s for s in inputs.problem.sites}
    evs = {ev.vehicle_id: ev for ev in inputs.problem.evs}
    readings = await LatestSoc(bus).latest(session, [c[0] for c in battery_cars])
    out: dict[int, EnergyView] = {}
    ordered = sorted(trips, key=lambda t: t.departure)
    for vid, _, battery, per100 in battery_cars:
        ev = evs.get(str(vid))
        if ev is None:
            reading = readings.get(vid)
            per_km = (per100 or 15.0) / 100
            km = None if reading is None else float(battery or 0) * reading.soc_pct / 100 * 0.9 / per_km
            out[vid] = EnergyView(km, None, frozenset())
            continue
        refused: set[int] = set()
        first = None
        for trip in ordered:
            demand = TripDemand.routed(
                f"booking-{trip.booking_id}",
                ev.vehicle_id,
                max(trip.departure, now),
                max(trip.back, now + timedelta(minutes=1)),
                distance_km=trip.km,
                kwh_per_km=ev.kwh_per_km,
                reserve=settings.trip_reserve,
            )
            answer = can_serve(ev, demand, sites, now)
            if not answer.ok:
                refused.add(trip.booking_id)
            elif first is None:
                first = answer
        floor = ev.min_soc * ev.battery_kwh
        best = first.best_kwh if first is not None else ev.soc_kwh
        out[vid] = EnergyView(
            max(0.0, best - floor) / ev.kwh_per_km / (1 + settings.trip_reserve),
            first.readiness if first is not None else None,
            frozenset(refused),
        )
    return out
