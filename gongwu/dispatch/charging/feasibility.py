"""Quick per-car checks for dispatch: can this car make this trip in time, even with charging, and how ready is it.

Both assume the car has the best connector of its site to itself whenever it is parked (the per-car bound):
a trip that fails here cannot be served by any plan, so dispatch must not give it to the car. A trip that passes
may still compete with other cars for connectors and the site's power cap; the planner settles that and says
so (reason ``site_busy``). Microseconds per call, no solver.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from gongwu.dispatch.charging.plan import Reason
from gongwu.dispatch.charging.problem import ChargingSite, EvState, TripDemand, _aware

__all__ = ["Feasibility", "best_kw", "can_serve", "readiness", "simulate_alone"]


@dataclass(frozen=True, slots=True)
class Feasibility:
    """The answer of :func:`can_serve` for one trip (and the car's other trips it might push out)."""

    ok: bool
    reason: Reason
    message: str
    trip_id: str
    needed_kwh: float
    best_kwh: float
    """The most the car can have in the battery when the trip leaves."""
    readiness: float
    """1: the charge is in the battery now; → 0: it needs all the charging time there is; 0: cannot."""


def best_kw(ev: EvState, site: ChargingSite | None) -> tuple[float, float]:
    """The car's best (power into the battery kW, grid kW) on any connector of ``site``."""
    if site is None:
        return 0.0, 0.0
    options = [(ev.max_kw(c) * c.efficiency, ev.max_kw(c)) for c in site.connectors]
    return max(options, default=(0.0, 0.0))


@dataclass(frozen=True, slots=True)
class _Leg:
    trip: TripDemand
    soc_before: float
    best_at_departure: float
    charge_possible: float
    site_id: str | None
    free_at: datetime


def simulate_alone(
    ev: EvState,
    trips: Sequence[TripDemand],
    sites: Mapping[str, ChargingSite],
    now: datetime,
    hours: Callable[[datetime, datetime], float] | None = None,
) -> list[_Leg]:
    """Charge at full power whenever parked, capped at ``max_soc``; one leg per trip, in departure order.

    ``hours(free, departure)`` is the charging time of a stay (default: the wall-clock hours; the planner
    passes whole slots so its reasons agree with its grid).
    """
    span = hours or (lambda a, b: max(0.0, (b - a).total_seconds() / 3600))
    top = max(ev.battery_kwh * ev.max_soc, ev.soc_kwh)
    soc, site_id = ev.soc_kwh, ev.site_id
    free = max(ev.available_from or now, now)
    legs = []
    for trip in sorted(trips, key=lambda t: t.departure):
        power, _ = best_kw(ev, sites.get(site_id) if site_id else None)
        possible = power * span(free, trip.departure)
        best = min(top, soc + possible)
        legs.append(_Leg(trip, soc, best, possible, site_id, free))
        soc = best - trip.uses_kwh
        site_id = trip.returns_to or ev.site_id
        free = max(free, trip.return_time)
    return legs


def local(when: datetime, tz: str = "Asia/Shanghai") -> str:
    return when.astimezone(ZoneInfo(tz)).strftime("%H:%M")


def explain(ev: EvState, leg: _Leg, needed: float, sites: Mapping[str, ChargingSite], tz: str) -> tuple[Reason, str]:
    """Why a car alone cannot have ``needed`` kWh when ``leg`` leaves (or ``ok``)."""
    if leg.best_at_departure + 1e-6 >= needed:
        return "ok", ""
    name, when = ev.name, local(leg.trip.departure, tz)
    head = f"car {name} needs {needed:.1f} kWh before {when} for trip {leg.trip.name}"
    if needed > ev.battery_kwh * ev.max_soc + 1e-6:
        return "battery_too_small", f"{head} but its battery holds {ev.battery_kwh * ev.max_soc:.1f} kWh"
    site = sites.get(leg.site_id) if leg.site_id else None
    if site is None:
        return "no_site", f"{head} but has {leg.soc_before:.1f} kWh and is not parked at a charging site before"
    if best_kw(ev, site)[0] <= 0:
        return (
            "no_connector",
            f"{head} but has {leg.soc_before:.1f} kWh and no connector at {site.name or site.id} fits it",
        )
    return "not_enough_time", (
        f"{head} but can have at most {leg.best_at_departure:.1f} kWh by then "
        f"({leg.soc_before:.1f} kWh on return, charging from {local(leg.free_at, tz)} at "
        f"{best_kw(ev, site)[1]:.0f} kW)"
    )


def can_serve(
    ev: EvState,
    trip: TripDemand,
    site: ChargingSite | Mapping[str, ChargingSite] | None,
    now: datetime,
    *,
    assigned: Sequence[TripDemand] = (),
) -> Feasibility:
    """Can ``ev`` make ``trip`` with enough charge, charging at ``site`` (its home; or a map of every site a
    trip may return to) whenever it is parked, without starving the trips it already has (``assigned``)?"""
    now = _aware(now, "now")
    sites = _sites(site, ev)
    tz = next(iter(sites.values())).tariff.timezone if sites else "Asia/Shanghai"
    others = [t for t in assigned if t.id != trip.id]
    for other in others:
        if other.departure < trip.return_time and trip.departure < other.return_time:
            span = f"{local(other.departure, tz)} to {local(other.return_time, tz)}"
            message = f"car {ev.name} is on trip {other.name} from {span}"
            return Feasibility(False, "not_enough_time", message, trip.id, trip.energy_kwh, 0.0, 0.0)
    if ev.available_from is not None and trip.departure < ev.available_from:
        message = f"car {ev.name} is not back before {local(ev.available_from, tz)}"
        return Feasibility(False, "not_enough_time", message, trip.id, trip.energy_kwh, 0.0, 0.0)
    floor = ev.min_soc * ev.battery_kwh
    legs = simulate_alone(ev, [*others, trip], sites, now)
    mine: Feasibility | None = None
    for leg in legs:
        needed = leg.trip.energy_kwh + floor
        reason, message = explain(ev, leg, needed, sites, tz)
        if leg.trip.id == trip.id:
            mine = Feasibility(
                reason == "ok", reason, message, trip.id, needed, leg.best_at_departure, _ready(leg, needed)
            )
            if reason != "ok":
                return mine
        elif reason != "ok" and mine is not None:  # the new trip starves a later one
            message = f"taking trip {trip.name} leaves too little for a later trip: {message}"
            return Feasibility(False, reason, message, trip.id, mine.needed_kwh, mine.best_kwh, 0.0)
    assert mine is not None
    return mine


def _ready(leg: _Leg, needed: float) -> float:
    missing = max(0.0, needed - leg.soc_before)
    if missing <= 1e-9:
        return 1.0
    if leg.charge_possible <= 1e-9:
        return 0.0
    return max(0.0, 1.0 - missing / leg.charge_possible)


def readiness(
    ev: EvState,
    trip: TripDemand,
    site: ChargingSite | Mapping[str, ChargingSite] | None,
    now: datetime,
    *,
    assigned: Sequence[TripDemand] = (),
) -> float:
    """How ready ``ev`` is for ``trip`` in [0, 1]: 1 when the charge it needs is in the battery already,
    falling to 0 as the charge it still needs approaches all it can take before leaving; 0 if it cannot.
    Dispatch adds ``weight × (1 − readiness)`` to a car's cost to prefer charged cars."""
    return can_serve(ev, trip, site, now, assigned=assigned).readiness


def _sites(site: ChargingSite | Mapping[str, ChargingSite] | None, ev: EvState) -> dict[str, ChargingSite]:
    if site is None:
        return {}
    if isinstance(site, ChargingSite):  # the car's home site, whatever id the car has for it
        return {site.id: site} | ({ev.site_id: site} if ev.site_id else {})
    return dict(site)
