"""EV charging planned together with the bookings (充电计划): value objects → ``plan`` → a checked plan.

    problem = ChargingProblem(sites, evs, trips, now)
    result = plan(problem, time_limit_s=10, previous=plan_in_force)
    result.sessions   # charge car X at connector Y from 22:00, how much, at what cost
    result.unserved   # each trip that cannot start with enough charge, and why

For dispatch (cheap, no solver): :func:`can_serve` — can a car make a trip in time even with charging (never give
it the trip if not); :func:`readiness` — 1 for a car already charged for it, → 0 for one that needs all the
charging time there is (prefer charged cars). :func:`plan` blocks for a second or two: call it in a worker.

The platform side (sites, tariffs and recorded sessions in the database, the HTTP API, re-planning on events)
is in :mod:`.service`, :mod:`.flows` and :mod:`.router`; trips come through :class:`.sources.TripSource`.
"""

from gongwu.dispatch.charging.feasibility import Feasibility, can_serve, readiness
from gongwu.dispatch.charging.plan import REASONS, ChargingPlan, PlanStats, Session, SiteLoad, TripOutcome
from gongwu.dispatch.charging.problem import (
    BAND_KINDS,
    ChargingProblem,
    ChargingSite,
    Connector,
    EvState,
    Tariff,
    TariffBand,
    TripDemand,
)
from gongwu.dispatch.charging.solver import plan

__all__ = [
    "BAND_KINDS",
    "REASONS",
    "ChargingPlan",
    "ChargingProblem",
    "ChargingSite",
    "Connector",
    "EvState",
    "Feasibility",
    "PlanStats",
    "Session",
    "SiteLoad",
    "Tariff",
    "TariffBand",
    "TripDemand",
    "TripOutcome",
    "can_serve",
    "plan",
    "readiness",
]
