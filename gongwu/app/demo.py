"""The demo bureau: a municipal offices-administration bureau, four client organs, their people, cars and
budgets. Deterministic (the same data on every machine) and idempotent (seeding twice changes nothing)."""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.app.settings import load_settings
from gongwu.core import audit
from gongwu.core.budget import service as budget
from gongwu.core.db import Database
from gongwu.core.fleet import service as fleet
from gongwu.core.fleet.identifiers import vin_check_digit
from gongwu.core.identity import service as identity
from gongwu.core.identity.models import OrgUnit
from gongwu.dispatch.bookings.demo import seed_bookings
from gongwu.dispatch.charging.demo import seed_charging
from gongwu.dispatch.costs.demo import seed_costs
from gongwu.dispatch.pooling.demo import seed_dispatch
from gongwu.telematics import demo as telematics_demo

__all__ = ["DEMO_PASSWORD", "LOGINS", "LOGINS_TEXT", "drive_demo_fleet", "seed"]

log = logging.getLogger(__name__)

DEMO_PASSWORD = "gongwu-demo"
YEAR = 2026

# (code, name, name_en, kind, parent code)
UNITS = [
    ("JGSWJ", "市机关事务管理局", "Municipal Offices Administration Bureau", "bureau", None),
    ("JGSWJ-BGS", "办公室", "General Office", "department", "JGSWJ"),
    ("JGSWJ-GWYC", "公务用车服务中心", "Official Car Service Centre", "department", "JGSWJ"),
    ("JGSWJ-GWYC-DD", "调度科", "Dispatch Section", "office", "JGSWJ-GWYC"),
    ("JGSWJ-CWC", "财务处", "Finance Division", "department", "JGSWJ"),
    ("JGSWJ-ZCC", "资产管理处", "Asset Management Division", "department", "JGSWJ"),
    ("JGSWJ-JNC", "节能处", "Energy Conservation Division", "department", "JGSWJ"),
    ("FGW", "市发展和改革委员会", "Development and Reform Commission", "bureau", None),
    ("FGW-BGS", "办公室", "General Office", "department", "FGW"),
    ("FGW-GHC", "规划处", "Planning Division", "office", "FGW"),
    ("CZJ", "市财政局", "Finance Bureau", "bureau", None),
    ("CZJ-BGS", "办公室", "General Office", "department", "CZJ"),
    ("CZJ-YSC", "预算处", "Budget Division", "office", "CZJ"),
    ("STHJ", "市生态环境局", "Ecology and Environment Bureau", "bureau", None),
    ("STHJ-BGS", "办公室", "General Office", "department", "STHJ"),
    ("STHJ-JCC", "监测处", "Monitoring Division", "office", "STHJ"),
    ("YJGL", "市应急管理局", "Emergency Management Bureau", "bureau", None),
    ("YJGL-BGS", "办公室", "General Office", "department", "YJGL"),
    ("YJGL-ZHZX", "指挥中心", "Command Centre", "office", "YJGL"),
]
CLIENTS = ["FGW", "CZJ", "STHJ", "YJGL"]


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    unit: str
    rank: str
    roles: tuple[str, ...]


USERS = [
    DemoUser("admin", "系统管理员", "JGSWJ-BGS", "section_chief", ("admin",)),
    DemoUser("dispatcher", "王调度", "JGSWJ-GWYC-DD", "staff", ("dispatcher", "requester")),
    DemoUser("dispatcher2", "李调度", "JGSWJ-GWYC-DD", "staff", ("dispatcher",)),
    DemoUser("fleet", "赵车管", "JGSWJ-GWYC", "division_chief", ("fleet_manager", "requester")),
    DemoUser("auditor", "钱监督", "JGSWJ-BGS", "division_chief", ("supervisor",)),
    DemoUser("finance", "孙财务", "JGSWJ-CWC", "deputy_division_chief", ("finance",)),
    DemoUser("assets", "周资产", "JGSWJ-ZCC", "staff", ("asset_officer",)),
    DemoUser("energy", "吴节能", "JGSWJ-JNC", "staff", ("energy_officer",)),
    DemoUser("offices", "郑房管", "JGSWJ-ZCC", "staff", ("office_officer",)),
    DemoUser("procure", "冯采购", "JGSWJ-CWC", "staff", ("procurement_officer",)),
    DemoUser("reception", "陈接待", "JGSWJ-BGS", "staff", ("reception_officer",)),
    DemoUser("director", "韩局长", "JGSWJ", "director_general", ("approver", "requester")),
]
_PEOPLE = {
    "FGW": ["刘", "杨", "黄", "林"],
    "CZJ": ["何", "高", "罗", "梁"],
    "STHJ": ["宋", "谢", "唐", "许"],
    "YJGL": ["邓", "冯", "曹", "彭"],
}
for _code, (_a, _b, _c, _d) in _PEOPLE.items():
    _low = _code.lower()
    USERS += [
        DemoUser(f"{_low}-leader", f"{_a}主任", _code, "director_general", ("approver", "requester")),
        DemoUser(f"{_low}-admin", f"{_b}管理", f"{_code}-BGS", "section_chief", ("unit_admin", "requester")),
        DemoUser(
            f"{_low}-staff",
            f"{_c}科员",
            f"{_code}-{['GHC', 'YSC', 'JCC', 'ZHZX'][CLIENTS.index(_code)]}",
            "staff",
            ("requester",),
        ),
        DemoUser(f"{_low}-chief", f"{_d}处长", f"{_code}-BGS", "division_chief", ("requester",)),
    ]
DRIVERS = [
    ("driver1", "马师傅"),
    ("driver2", "朱师傅"),
    ("driver3", "胡师傅"),
    ("driver4", "郭师傅"),
    ("driver5", "何师傅"),
    ("driver6", "孟师傅"),
]
for _username, _name in DRIVERS:
    USERS.append(DemoUser(_username, _name, "JGSWJ-GWYC", "worker", ("driver",)))

LOGINS = [
    (u.username, u.name, "/".join(u.roles))
    for u in USERS
    if u.username
    in {
        "admin",
        "dispatcher",
        "fleet",
        "auditor",
        "finance",
        "fgw-leader",
        "fgw-staff",
        "fgw-admin",
        "driver1",
    }
]
LOGINS_TEXT = "Demo logins (password for all: {pw}):\n{rows}".format(
    pw=DEMO_PASSWORD, rows="\n".join(f"  {u:<12} {n}  ({r})" for u, n, r in LOGINS)
)

# (make_model, energy, seats, battery kWh, kWh/100km, tank L, L/100km, WMI)
MODELS = [
    ("大众 帕萨特 Passat", "fuel", 5, None, None, 66.0, 7.8, "LSV"),
    ("丰田 凯美瑞 Camry", "fuel", 5, None, None, 60.0, 6.9, "LVG"),
    ("别克 GL8", "fuel", 7, None, None, 65.0, 9.5, "LSG"),
    ("红旗 H5", "fuel", 5, None, None, 55.0, 7.2, "LFP"),
    ("比亚迪 汉 EV", "bev", 5, 76.9, 14.5, None, None, "LGX"),
    ("比亚迪 秦 PLUS DM-i", "phev", 5, 18.3, 13.0, 48.0, 4.2, "LGX"),
    ("红旗 E-QM5", "bev", 5, 65.0, 13.8, None, None, "LFP"),
    ("宇通 ZK6826BEV 中巴", "bev", 19, 142.0, 38.0, None, None, "LZY"),
    ("江铃 特顺 救援指挥车", "fuel", 9, None, None, 80.0, 11.5, "LEF"),
]
_VIN_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"


def demo_vin(rng: random.Random, wmi: str) -> str:
    body = (
        wmi
        + "".join(rng.choice(_VIN_CHARS) for _ in range(5))
        + "0"
        + "T"
        + "".join(rng.choice(_VIN_CHARS[:10]) for _ in range(7))
    )
    return body[:8] + vin_check_digit(body) + body[9:]


def _fleet_plan() -> list[tuple[str, str, int]]:
    """(unit code, category, model index) for ~40 cars: a third new-energy, every category present."""
    plan = [("JGSWJ-GWYC", "other", i % 4) for i in range(12)]
    plan += [("JGSWJ-GWYC", "other", 4 + i % 3) for i in range(8)]
    plan += [("JGSWJ-GWYC", "other", 7), ("JGSWJ-GWYC", "other", 7)]
    plan += [("FGW", "confidential", 3), ("CZJ", "confidential", 3), ("STHJ", "confidential", 6)]
    plan += [("STHJ", "law_enforcement", 1), ("STHJ", "law_enforcement", 4), ("STHJ", "special_technical", 2)]
    plan += [("YJGL", "emergency", 8), ("YJGL", "emergency", 8), ("YJGL", "emergency", 4)]
    plan += [("YJGL", "law_enforcement", 0), ("FGW", "other", 5), ("CZJ", "other", 4), ("FGW", "other", 0)]
    plan += [("JGSWJ", "other", 3), ("JGSWJ", "other", 6), ("CZJ", "other", 1), ("STHJ", "other", 5)]
    plan += [("YJGL", "other", 6)]
    return plan


async def seed(db: Database) -> bool:
    """Seed the demo bureau; False if it exists already."""
    async with db.session() as session:
        if await session.scalar(select(OrgUnit.id).where(OrgUnit.code == "JGSWJ")):
            return False
        audit.set_actor(session, audit.Actor(None, "demo-seed"), context="demo.seed")
        rng = random.Random(20261127)
        units: dict[str, int] = {}
        for code, name, name_en, kind, parent in UNITS:
            unit = await identity.create_unit(
                session, code=code, name=name, name_en=name_en, kind=kind, parent_id=units.get(parent or "")
            )
            units[code] = unit.id
        users: dict[str, int] = {}
        for u in USERS:
            user = await identity.create_user(
                session,
                username=u.username,
                full_name=u.name,
                password=DEMO_PASSWORD,
                unit_id=units[u.unit],
                rank_code=u.rank,
                roles=u.roles,
                phone=f"139{rng.randrange(10**8):08d}",
            )
            users[u.username] = user.id
        for username, name in DRIVERS:
            await fleet.create_driver(
                session,
                name=name,
                unit_id=units["JGSWJ-GWYC"],
                licence_class=rng.choice(["A1", "B1", "C1"]),
                licence_expiry=date(2028 + rng.randrange(4), 1 + rng.randrange(12), 1),
                phone=f"137{rng.randrange(10**8):08d}",
                user_id=users[username],
            )
        await _seed_fleet(session, units, rng)
        await _seed_budget(session, units)
        await fleet.create_seal(
            session,
            unit_id=units["JGSWJ"],
            reason="元旦假期封存",
            starts_at=datetime(2026, 12, 31, 16, tzinfo=UTC),
            ends_at=datetime(2027, 1, 3, 16, tzinfo=UTC),
        )
        await session.commit()
    await telematics_demo.provision_demo_terminals(db)
    await seed_charging(db)
    settings = load_settings()
    await seed_bookings(db, settings.dispatch, settings.core.local_timezone)
    await seed_dispatch(db, settings.dispatch, settings.core.local_timezone, routing=_demo_routing(settings))
    await seed_costs(db, settings.core.local_timezone, settings.costs)
    return True


def _demo_routing(settings: Any) -> Any:
    """The imported map's routing service when there is one (the demo plan is drawn on its roads)."""
    from gongwu.app.routing_api import create_routing_service

    routing = create_routing_service(settings.core.data_dir, settings.core.local_timezone, settings.routing)
    return routing if routing.network is not None else None


async def drive_demo_fleet(platform: Any, stop: asyncio.Event) -> None:
    """Background task of `gongwu serve --demo`: the demo cars drive with simulated terminals over TCP to the
    gateways, along routes of the imported map when there is one."""
    routes: telematics_demo.RouteProvider | None = None
    bbox = None
    try:
        from gongwu.app.routing_api import create_routing_service
        from gongwu.routing.types import LatLon

        routing = create_routing_service(platform.settings.core.data_dir, platform.settings.core.local_timezone)
        if routing.network is not None:
            box = routing.network.bbox
            bbox = (box.min_lat, box.min_lon, box.max_lat, box.max_lon)

            def road(a: tuple[float, float], b: tuple[float, float]) -> list[tuple[float, float]]:
                return [(lat, lon) for lon, lat in routing.route(LatLon(*a), LatLon(*b)).geometry]

            routes = road
    except Exception:
        log.warning("demo: no road map to drive on; the cars drive loops", exc_info=True)
    await telematics_demo.drive(platform.db, platform.settings.telematics, stop, routes=routes, bbox=bbox)


async def _seed_fleet(session: AsyncSession, units: dict[str, int], rng: random.Random) -> None:
    plan = _fleet_plan()
    quotas: dict[tuple[str, str], int] = {}
    for unit, category, _ in plan:
        quotas[(unit, category)] = quotas.get((unit, category), 0) + 1
    for (unit, category), count in quotas.items():
        await fleet.set_quota(session, units[unit], category, count + 1)
    used_plates: set[str] = set()
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    for index, (unit, category, model_index) in enumerate(plan):
        make_model, energy, seats, battery, kwh, tank, litres, wmi = MODELS[model_index]
        while True:
            if energy == "fuel":
                plate = f"京A{rng.choice(letters)}{rng.randrange(1000, 9999)}"
            else:
                plate = f"京A{rng.choice('DF')}{rng.choice(letters)}{rng.randrange(1000, 9999)}"
            if plate not in used_plates:
                used_plates.add(plate)
                break
        bought = date(2018 + index % 8, 1 + rng.randrange(12), 1 + rng.randrange(28))
        price = Decimal(rng.choice([180_000, 220_000, 250_000, 300_000, 420_000]))
        await fleet.create_vehicle(
            session,
            plate=plate,
            vin=demo_vin(rng, wmi),
            unit_id=units[unit],
            category=category,
            energy_type=energy,
            seats=seats,
            dedicated=(category == "other" and model_index == 3 and index % 2 == 0),
            make_model=make_model,
            purchase_date=bought,
            purchase_price=price,
            odometer_km=float((2026 - bought.year) * rng.randrange(12_000, 26_000)),
            battery_kwh=battery,
            kwh_per_100km=kwh,
            fuel_tank_l=tank,
            l_per_100km=litres,
        )


async def _seed_budget(session: AsyncSession, units: dict[str, int]) -> None:
    await budget.create_fiscal_year(session, YEAR)
    amounts = {"30231": 1_200_000, "30217": 150_000, "30215": 300_000, "30213": 200_000, "30212": 80_000}
    for code in ["JGSWJ", *CLIENTS]:
        scale = 3 if code == "JGSWJ" else 1
        for economic, amount in amounts.items():
            await budget.create_line(
                session,
                unit_id=units[code],
                year=YEAR,
                economic_class=economic,
                functional_class="2010301",
                amount=Decimal(amount * scale),
            )
