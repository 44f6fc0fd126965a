"""The demo bureau's charging: two sites with the Beijing commercial tariff, every new-energy car's profile, and
demo bookings for the planner until dispatch provides the real ones. Idempotent."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core import audit
from gongwu.core.db import Database, utcnow
from gongwu.core.fleet import service as fleet
from gongwu.core.identity.models import OrgUnit
from gongwu.dispatch.charging import service
from gongwu.dispatch.charging.models import ChargingSite
from gongwu.dispatch.charging.sources import AssignedTrip
from gongwu.dispatch.charging.tariffs import BEIJING_COMMERCIAL_BANDS

__all__ = ["DemoTrips", "seed_charging"]

TARIFF_SOURCE = (
    "Beijing general industrial & commercial, single-system, below 1 kV: peak 10–15 h and 18–21 h, valley 23–7 h; "
    "peak:flat:valley 1.71:1:0.36 (Beijing DRC, Aug 2023) on a flat price of 0.80 yuan/kWh — see docs/charging.md"
)
GARAGE = "GWYC-GARAGE"
EAST_YARD = "JGSWJ-EAST"


async def seed_charging(db: Database) -> bool:
    """Sites, tariff and car profiles of the demo bureau; False if they exist already (or there is no bureau)."""
    async with db.session() as session:
        if await session.scalar(select(ChargingSite.id).where(ChargingSite.code == GARAGE)):
            return False
        units = {u.code: u.id for u in await session.scalars(select(OrgUnit))}
        if "JGSWJ-GWYC" not in units:
            return False
        audit.set_actor(session, audit.Actor(None, "demo-seed"), context="demo.seed")
        tariff = await service.create_tariff(
            session, name="北京一般工商业分时电价（不满1千伏）", bands=BEIJING_COMMERCIAL_BANDS, source=TARIFF_SOURCE
        )
        garage = await service.create_site(
            session,
            code=GARAGE,
            name="公务用车服务中心车库",
            unit_id=units["JGSWJ-GWYC"],
            cap_kw=120.0,
            tariff_id=tariff.id,
            lat=39.9065,
            lon=116.3912,
            address="车库B1层",
            connectors=[(f"AC{i:02d}", "ac", 7.0, f"交流{i}号") for i in range(1, 9)]
            + [(f"DC{i:02d}", "dc", 60.0, f"直流{i}号") for i in range(1, 3)],
        )
        east = await service.create_site(
            session,
            code=EAST_YARD,
            name="机关东院停车场",
            unit_id=units["JGSWJ"],
            cap_kw=40.0,
            tariff_id=tariff.id,
            lat=39.9089,
            lon=116.3975,
            address="东院地面停车场",
            connectors=[(f"AC{i:02d}", "ac", 7.0, f"东院交流{i}号") for i in range(1, 5)]
            + [("DC01", "dc", 30.0, "东院直流")],
        )
        garage_units = {units["JGSWJ-GWYC"], units.get("JGSWJ-GWYC-DD", -1)}
        for car in await fleet.list_vehicles(session, None):
            if car.energy_type == "fuel":
                continue
            home = garage.id if car.unit_id in garage_units else east.id
            minibus = (car.battery_kwh or 0) > 100
            await service.set_profile(
                session,
                car.id,
                home_site_id=home,
                max_ac_kw=3.3 if car.energy_type == "phev" else 7.0,
                max_dc_kw=None if car.energy_type == "phev" else (120.0 if minibus else 60.0),
                min_soc_pct=10.0,
                max_soc_pct=100.0,
            )
        await session.commit()
        return True


class DemoTrips:
    """Bookings for the demo's new-energy cars, the same on every machine for a given day: weekday office trips,
    airport and railway runs, a few evening returns."""

    def __init__(self, seed: int = 20261127) -> None:
        self.seed = seed
        self._cache: dict[tuple[int, ...], list[AssignedTrip]] = {}

    async def upcoming(self, session: AsyncSession, start: datetime, end: datetime) -> Sequence[AssignedTrip]:
        cars = [c for c in await fleet.list_vehicles(session, None) if c.energy_type != "fuel"]
        tz = ZoneInfo("Asia/Shanghai")
        first = start.astimezone(tz).date()
        trips: list[AssignedTrip] = []
        for d in range((end.astimezone(tz).date() - first).days + 1):
            day = first + timedelta(days=d)
            trips += self._day(cars, datetime(day.year, day.month, day.day, tzinfo=tz))
        return [t for t in trips if start <= t.departure < end]

    def _day(self, cars: Sequence[object], day: datetime) -> list[AssignedTrip]:
        key = (day.toordinal(), len(cars))
        if key in self._cache:
            return self._cache[key]
        rng = random.Random(self.seed * 1000 + day.toordinal())
        out = []
        weekend = day.weekday() >= 5
        for car in cars:
            vid = int(car.id)  # type: ignore[attr-defined]
            busy_until = day
            for n in range(2):
                if rng.random() > (0.2 if weekend else 0.7):
                    continue
                kind = rng.choice(["office", "office", "airport", "railway", "evening"])
                hour = {"office": (8, 15), "airport": (6, 19), "railway": (6, 19), "evening": (17, 19)}[kind]
                leaves = day + timedelta(minutes=15 * rng.randrange(hour[0] * 4, hour[1] * 4))
                if leaves < busy_until + timedelta(hours=1):
                    continue
                hours = {"office": 2.5, "airport": 3.0, "railway": 1.5, "evening": 3.5}[kind]
                km = {"office": 30, "airport": 90, "railway": 35, "evening": 40}[kind] * rng.uniform(0.6, 1.3)
                back = leaves + timedelta(minutes=15 * round(hours * 4 * rng.uniform(0.8, 1.2)))
                out.append(
                    AssignedTrip(
                        f"demo-{day:%m%d}-{vid}-{n}",
                        vid,
                        leaves,
                        back,
                        distance_km=round(km, 1),
                        label=f"{kind} {km:.0f} km",
                    )
                )
                busy_until = back
        self._cache[key] = out
        return out


def today() -> datetime:
    return utcnow()
