"""The demo's running costs and findings: the fixed fuel supplier's stations, last month's card statement for every
fuel car (imported through the importer), work orders of the fixed repair shop, each car's insurance for the
year, the demo's completed bookings settled, last month closed — and a few findings of last month with evidence
on the demo map (private use at night, a refuel away from the station, a detour, a night away), one explained.
Deterministic and idempotent (nothing happens when the stations exist)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from gongwu.core.audit import Actor, set_actor
from gongwu.core.db import Database
from gongwu.core.fleet.models import Vehicle
from gongwu.dispatch.bookings.demo import PLACES
from gongwu.dispatch.bookings.models import Booking
from gongwu.dispatch.costs import flows, ledger, sources
from gongwu.dispatch.costs.models import FuelStation
from gongwu.dispatch.costs.settings import CostsSettings
from gongwu.dispatch.costs.settlement import Policy
from gongwu.dispatch.supervision.models import Finding
from gongwu.dispatch.supervision.rules import RULES

__all__ = ["seed_costs"]

STATIONS = [
    ("HEL-01", "中石化 Bulevardi 加油站", 60.1650, 24.9380),
    ("HEL-02", "中石化 Kaisaniemi 加油站", 60.1730, 24.9470),
    ("HEL-03", "中石化 Kruununhaka 加油站", 60.1705, 24.9560),
]


def _last_month(today: date) -> str:
    first = today.replace(day=1) - timedelta(days=1)
    return ledger.month_of(first)


async def seed_costs(db: Database, timezone: str = "Asia/Shanghai", settings: CostsSettings | None = None) -> bool:
    async with db.session() as session:
        if await session.scalar(select(FuelStation.code).limit(1)):
            return False
    policy = Policy(settings or CostsSettings(), timezone)
    zone = ZoneInfo(timezone)
    today = datetime.now(UTC).astimezone(zone).date()
    month = _last_month(today)
    first, nxt = ledger.month_bounds(month)
    rng = random.Random(20261201)
    async with db.session() as session:
        set_actor(session, Actor(None, "demo-seed"), context="demo.seed")
        for code, name, lat, lon in STATIONS:
            session.add(FuelStation(code=code, name=name, lat=lat, lon=lon, supplier="中国石化"))
        await session.flush()
        cars = (await session.scalars(select(Vehicle).order_by(Vehicle.id))).all()
        lines = ["交易流水号,卡号,车牌号,交易时间,油站编码,油站名称,油品,数量(升),单价,金额"]
        for car in cars:
            if car.energy_type == "bev":
                continue
            for n in range(3 if car.energy_type == "fuel" else 1):
                day = first + timedelta(days=rng.randrange((nxt - first).days))
                code, name, _, _ = rng.choice(STATIONS)
                litres = round(rng.uniform(25, min(55, (car.fuel_tank_l or 60) - 3)), 2)
                price = Decimal("7.68")
                amount = (Decimal(str(litres)) * price).quantize(Decimal("0.01"))
                when = f"{day.isoformat()} {rng.randrange(7, 19):02d}:{rng.randrange(60):02d}"
                lines.append(f"D{car.id:03d}{n}{day:%m%d},9100{car.id:06d},{car.plate},{when},{code},{name},92#汽油,"
                             f"{litres},{price},{amount}")  # fmt: skip
        await sources.import_fuel(session, ("\n".join(lines) + "\n").encode(), f"中石化-{month}.csv", policy)
        for index, car in enumerate(cars[:6]):
            await sources.add_work_order(
                session, car, policy, number=f"WX-{month}-{index + 1:03d}", shop="市公务用车定点维修厂",
                kind="maintenance" if index % 2 else "repair", closed_on=first + timedelta(days=3 + index * 4),
                parts=Decimal(rng.choice([180, 420, 960, 1380])), labour=Decimal(rng.choice([120, 200, 350])),
                description="常规保养" if index % 2 else "更换刹车片",
            )  # fmt: skip
        for car in cars:
            await sources.add_fixed_cost(
                session, car, policy, kind="insurance", payee="中国人保", reference=f"PICC-{car.id:05d}",
                amount=Decimal(rng.choice([3800, 4600, 5200])), first_month=month, months=12,
            )  # fmt: skip
        for booking_id in (await session.scalars(select(Booking.id).where(Booking.status == "completed"))).all():
            await flows.settle(session, booking_id, policy)
        await flows.close_month(session, month, policy)
        await _findings(session, cars, first, zone)
        await session.commit()
    return True


def _line(a: tuple[float, float], b: tuple[float, float], start: datetime, n: int = 30) -> list[list[object]]:
    return [
        [round(a[1] + (b[1] - a[1]) * i / n, 6), round(a[0] + (b[0] - a[0]) * i / n, 6),
         (start + timedelta(seconds=20 * i)).isoformat()]
        for i in range(n + 1)
    ]  # fmt: skip


async def _findings(session: object, cars: object, first: date, zone: ZoneInfo) -> None:
    from sqlalchemy.ext.asyncio import AsyncSession

    assert isinstance(session, AsyncSession)
    fleet = list(cars)  # type: ignore[call-overload]
    bureau, station, centre = PLACES[0], PLACES[5], PLACES[7]

    def p(place: tuple[str, str, str, float, float]) -> tuple[float, float]:
        return place[3], place[4]

    night = datetime(first.year, first.month, first.day + 5, 22, 40, tzinfo=zone).astimezone(UTC)
    refuel = datetime(first.year, first.month, first.day + 9, 15, 5, tzinfo=zone).astimezone(UTC)
    detour = datetime(first.year, first.month, first.day + 12, 9, 30, tzinfo=zone).astimezone(UTC)
    away = datetime(first.year, first.month, first.day + 17, 1, 0, tzinfo=zone).astimezone(UTC)
    rows = [
        ("outside_hours", fleet[0], f"trip:demo-{fleet[0].id}", night, night + timedelta(minutes=10),
         f"{fleet[0].plate} 2.1 km：非工作时间行驶且无用车预约",
         f"{fleet[0].plate} 2.1 km driven outside working hours without a booking",
         {"numbers": {"km": 2.1, "minutes": 10.0}, "points": _line(p(bureau), p(centre), night),
          "places": [_place("start", bureau), _place("end", centre)]}, "open"),
        ("refuel_elsewhere", fleet[1], f"fuel:demo-{fleet[1].id}", refuel, refuel + timedelta(minutes=20),
         f"{fleet[1].plate}：{STATIONS[0][1]} 加油时车辆在 1.4 公里外",
         f"{fleet[1].plate}: refuelled at {STATIONS[0][1]} while the car was 1.4 km away",
         {"numbers": {"litres": 48.5, "amount": "372.48", "distance_m": 1400},
          "points": _line(p(station), p(centre), refuel - timedelta(minutes=10)),
          "places": [{"role": "station", "lat": STATIONS[0][2], "lon": STATIONS[0][3], "name": STATIONS[0][1]},
                     _place("car", centre, fleet[1].plate)]}, "open"),
        ("detour", fleet[2], f"booking:demo-{fleet[2].id}", detour, detour + timedelta(minutes=40),
         f"{fleet[2].plate}：行驶 3.4 公里，为规划路线 1.2 公里的 2.8 倍",
         f"{fleet[2].plate} drove 3.4 km, 2.8× the routed 1.2 km",
         {"numbers": {"ride_km": 3.4, "routed_km": 1.2, "ratio": 2.83},
          "points": _line(p(bureau), p(centre), detour) + _line(p(centre), p(station), detour + timedelta(minutes=10)),
          "places": [_place("pickup", bureau), _place("dropoff", station)]}, "explained"),
        ("unusual_night", fleet[3], f"day:demo-{fleet[3].id}", away, away + timedelta(hours=4),
         f"{fleet[3].plate}：凌晨停放在距常驻地点 1.3 公里处",
         f"{fleet[3].plate} spent the night 1.3 km from its usual places",
         {"numbers": {"distance_m": 1300, "nights_observed": 24},
          "places": [_place("night", centre, fleet[3].plate), _place("usual_night", bureau, "22 晚")]}, "open"),
    ]  # fmt: skip
    for rule, car, subject, start, end, zh, en, evidence, status in rows:
        session.add(
            Finding(
                rule=rule, severity=RULES[rule][2], subject=subject, vehicle_id=car.id, unit_id=car.unit_id,
                starts_at=start, ends_at=end, summary_zh=zh, summary_en=en, evidence=evidence, status=status,
                reason="驾驶员按调度临时改道接送，已补充说明" if status == "explained" else None,
                decided_by_name="钱监督" if status == "explained" else None,
                decided_at=end + timedelta(days=1) if status == "explained" else None,
            )
        )  # fmt: skip
    await session.flush()


def _place(role: str, place: tuple[str, str, str, float, float], name: str | None = None) -> dict[str, object]:
    return {"role": role, "lat": place[3], "lon": place[4], "name": name or place[0]}
