"""Generated charging scenarios (deterministic by seed) for the benchmark, the tests and the demo.

A week of a bureau's new-energy cars at the car-service centre's garage: weekday office trips, airport and
railway-station runs, evening returns from meetings; fewer trips at the weekend. Each trip is booked some
hours or days ahead (``booked_at``) and uses a little more or less than its routed estimate (``actual_kwh``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from gongwu.dispatch.charging.problem import ChargingSite, Connector, EvState, TripDemand
from gongwu.dispatch.charging.tariffs import BEIJING_COMMERCIAL

__all__ = ["MODELS", "Scenario", "ScenarioTrip", "garage", "generate"]

BEIJING = ZoneInfo("Asia/Shanghai")

# (model, battery kWh, kWh per km, max AC kW, max DC kW, share of the fleet)
MODELS = (
    ("比亚迪 汉 EV", 76.9, 0.145, 7.0, 110.0, 0.55),
    ("红旗 E-QM5", 65.0, 0.138, 7.0, 60.0, 0.35),
    ("宇通 ZK6826BEV 中巴", 142.0, 0.38, 7.0, 120.0, 0.10),
)


def garage(site_id: str = "garage", ac: int = 8, dc: int = 2, cap_kw: float = 120.0) -> ChargingSite:
    """The car-service centre's garage: ``ac`` 7 kW AC and ``dc`` 60 kW DC connectors under a ``cap_kw`` supply."""
    connectors = [Connector(f"AC{i:02d}", "ac", 7.0, f"交流{i}号") for i in range(1, ac + 1)]
    connectors += [Connector(f"DC{i:02d}", "dc", 60.0, f"直流{i}号") for i in range(1, dc + 1)]
    return ChargingSite(site_id, tuple(connectors), cap_kw, BEIJING_COMMERCIAL, "公务用车服务中心车库")


@dataclass(frozen=True, slots=True)
class ScenarioTrip:
    demand: TripDemand
    booked_at: datetime
    actual_kwh: float
    kind: str
    distance_km: float


@dataclass(frozen=True, slots=True)
class Scenario:
    site: ChargingSite
    evs: tuple[EvState, ...]
    trips: tuple[ScenarioTrip, ...]
    start: datetime
    end: datetime
    seed: int


def _plate(rng: random.Random, used: set[str]) -> str:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    while True:
        plate = f"京A{rng.choice('DF')}{rng.choice(letters)}{rng.randrange(1000, 9999)}"
        if plate not in used:
            used.add(plate)
            return plate


def _trip_of_day(rng: random.Random, day: datetime, minibus: bool) -> tuple[str, datetime, float, float]:
    """(kind, departure, hours out, km) of one trip on ``day`` (local midnight)."""
    roll = rng.random()

    def quarter(lo: int, hi: int) -> datetime:
        return day + timedelta(minutes=15 * rng.randrange(lo * 4, hi * 4))

    if minibus:
        return "shuttle", quarter(7, 15), rng.uniform(3, 8), rng.uniform(50, 160)
    if roll < 0.55:
        return "office", quarter(8, 16), rng.uniform(1.0, 4.0), rng.uniform(12, 60)
    if roll < 0.75:
        return "airport", quarter(6, 20), rng.uniform(2.0, 3.5), rng.uniform(60, 110)
    if roll < 0.87:
        return "railway", quarter(6, 20), rng.uniform(1.0, 2.0), rng.uniform(20, 45)
    return "evening", quarter(17, 19), rng.uniform(2.5, 4.5), rng.uniform(20, 60)


def generate(
    seed: int = 1,
    *,
    cars: int = 40,
    days: int = 7,
    start: datetime | None = None,
    reserve: float = 0.15,
    busy: int = 2,
) -> Scenario:
    """``cars`` new-energy cars over ``days`` days from ``start`` (a Monday, local midnight by default); each car
    draws ``busy`` candidate trips a day (2: a normal week, about 1.6 trips per car and weekday)."""
    rng = random.Random(seed)
    start = start or datetime(2026, 3, 2, tzinfo=BEIJING)
    site = garage()
    used: set[str] = set()
    evs, trips = [], []
    for i in range(cars):
        roll, acc = rng.random(), 0.0
        model = MODELS[-1]
        for m in MODELS:
            acc += m[5]
            if roll < acc:
                model = m
                break
        name, battery, per_km, ac, dc, _ = model
        ev = EvState(
            vehicle_id=f"ev{i:02d}",
            battery_kwh=battery,
            kwh_per_km=per_km,
            soc_kwh=round(battery * rng.uniform(0.35, 0.8), 2),
            site_id=site.id,
            max_ac_kw=ac,
            max_dc_kw=dc,
            label=_plate(rng, used),
        )
        evs.append(ev)
        trips += _trips_of(rng, ev, start, days, name.endswith("中巴"), reserve, busy)
    return Scenario(
        site,
        tuple(evs),
        tuple(sorted(trips, key=lambda t: t.demand.departure)),
        start,
        start + timedelta(days=days),
        seed,
    )


def _trips_of(
    rng: random.Random, ev: EvState, start: datetime, days: int, minibus: bool, reserve: float, busy: int
) -> list[ScenarioTrip]:
    out: list[ScenarioTrip] = []
    busy_until = start
    for d in range(days):
        day = start + timedelta(days=d)
        weekend = day.weekday() >= 5
        count = sum(rng.random() < (0.25 if weekend else 0.8) for _ in range(busy))
        wanted = sorted((_trip_of_day(rng, day, minibus) for _ in range(count)), key=lambda x: x[1])
        for kind, departure, hours, km in wanted:
            if departure < busy_until + timedelta(minutes=45):
                continue
            back = departure + timedelta(minutes=15 * round(hours * 4))
            used = km * ev.kwh_per_km
            lead = rng.random()
            if lead < 0.6:
                booked = departure - timedelta(hours=rng.uniform(20, 60))
            elif lead < 0.9:
                booked = departure - timedelta(hours=rng.uniform(2, 8))
            else:
                booked = departure - timedelta(hours=rng.uniform(1, 2))
            demand = TripDemand.routed(
                f"{ev.vehicle_id}-{len(out):02d}",
                ev.vehicle_id,
                departure,
                back,
                distance_km=km,
                kwh_per_km=ev.kwh_per_km,
                reserve=reserve,
                label=f"{kind} {km:.0f} km",
            )
            out.append(ScenarioTrip(demand, max(start, booked), round(used * rng.uniform(0.9, 1.08), 3), kind, km))
            busy_until = back
    return out
