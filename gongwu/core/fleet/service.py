"""Fleet use cases: cars within the unit's quota, drivers, sealed periods. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.errors import Conflict, InvalidInput, NotFound
from gongwu.core.fleet.identifiers import normalise_plate, normalise_vin
from gongwu.core.fleet.models import Driver, Vehicle, VehicleQuota, VehicleSeal
from gongwu.core.identity.models import OrgUnit
from gongwu.core.identity.principal import Principal

__all__ = [
    "CATEGORIES",
    "ENERGY_TYPES",
    "LICENCE_CLASSES",
    "STATUSES",
    "QuotaUse",
    "active_seal",
    "create_driver",
    "create_seal",
    "create_vehicle",
    "get_driver",
    "get_vehicle",
    "list_drivers",
    "list_seals",
    "list_vehicles",
    "quota_use",
    "set_quota",
    "update_vehicle",
]

CATEGORIES = {
    "confidential": ("机要通信", "Confidential communications"),
    "emergency": ("应急保障", "Emergency support"),
    "law_enforcement": ("执法执勤", "Law enforcement"),
    "special_technical": ("特种专业技术", "Special technical"),
    "other": ("其他", "Other"),
}
ENERGY_TYPES = {
    "fuel": ("燃油", "Fuel"),
    "bev": ("纯电动", "Battery electric"),
    "phev": ("插电混动", "Plug-in hybrid"),
}
STATUSES = {
    "available": "在库",
    "in_use": "出车",
    "maintenance": "维修",
    "sealed": "封存",
    "retired": "报废",
    "placeholder": "待登记",
}
UNCOUNTED = ("retired", "placeholder")
"""Statuses that do not take a place in the quota (a retired car; a terminal's car not yet registered)."""
LICENCE_CLASSES = ("A1", "A2", "A3", "B1", "B2", "C1", "C2")


def _choice(value: str, allowed: dict[str, Any] | tuple[str, ...], what: str, code: str) -> str:
    if value not in allowed:
        raise InvalidInput(
            f"{what} must be one of {list(allowed)}, not {value!r}.",
            code=code,
            message_zh=f"{what} 须为 {list(allowed)} 之一，而不是 {value!r}。",
        )
    return value


async def _unit(session: AsyncSession, unit_id: int) -> OrgUnit:
    unit = await session.get(OrgUnit, unit_id)
    if unit is None:
        raise NotFound(
            f"Unit {unit_id} not found.", code="identity.unit_not_found", message_zh=f"未找到单位 {unit_id}。"
        )
    return unit


async def _check_quota(session: AsyncSession, unit_id: int, category: str, *, adding: int = 1) -> None:
    quota = await session.scalar(
        select(VehicleQuota).where(VehicleQuota.unit_id == unit_id, VehicleQuota.category == category).with_for_update()
    )
    allowed = quota.allowed if quota else 0
    used = await session.scalar(
        select(func.count(Vehicle.id)).where(
            Vehicle.unit_id == unit_id, Vehicle.category == category, Vehicle.status.not_in(UNCOUNTED)
        )
    )
    if (used or 0) + adding > allowed:
        unit = await _unit(session, unit_id)
        raise Conflict(
            f"{unit.name} may hold {allowed} {CATEGORIES[category][0]} car(s) and holds {used}; "
            "adding another would exceed its quota (编制).",
            code="fleet.quota_exceeded",
            message_zh=f"{unit.name}的{CATEGORIES[category][0]}编制为 {allowed} 辆、已有 {used} 辆，再增加将超出编制。",
            details={"unit_id": unit_id, "category": category, "allowed": allowed, "used": used},
        )


async def create_vehicle(
    session: AsyncSession,
    *,
    plate: str,
    unit_id: int,
    category: str,
    energy_type: str,
    seats: int,
    vin: str | None = None,
    dedicated: bool = False,
    make_model: str = "",
    purchase_date: date | None = None,
    purchase_price: Decimal | None = None,
    odometer_km: float = 0.0,
    status: str = "available",
    battery_kwh: float | None = None,
    kwh_per_100km: float | None = None,
    fuel_tank_l: float | None = None,
    l_per_100km: float | None = None,
) -> Vehicle:
    plate = normalise_plate(plate)
    vin = normalise_vin(vin) if vin else None
    _choice(category, CATEGORIES, "Category", "fleet.bad_category")
    _choice(energy_type, ENERGY_TYPES, "Energy type", "fleet.bad_energy_type")
    _choice(status, STATUSES, "Status", "fleet.bad_status")
    if not 1 <= seats <= 60:
        raise InvalidInput(
            f"A car has 1 to 60 seats, not {seats}.",
            code="fleet.bad_seats",
            message_zh=f"座位数应在 1 到 60 之间，而不是 {seats}。",
        )
    if energy_type in ("bev", "phev") and not battery_kwh:
        raise InvalidInput(
            "A new-energy car needs its battery capacity (kWh).",
            code="fleet.battery_required",
            message_zh="新能源车须填写电池容量（kWh）。",
        )
    await _unit(session, unit_id)
    if await session.scalar(select(Vehicle.id).where(Vehicle.plate == plate)):
        raise Conflict(
            f"A car with plate {plate} exists already.", code="fleet.plate_taken", message_zh=f"车牌 {plate} 已登记。"
        )
    if vin and await session.scalar(select(Vehicle.id).where(Vehicle.vin == vin)):
        raise Conflict(
            f"A car with VIN {vin} exists already.", code="fleet.vin_taken", message_zh=f"车架号 {vin} 已登记。"
        )
    if status not in UNCOUNTED:
        await _check_quota(session, unit_id, category)
    vehicle = Vehicle(
        plate=plate,
        vin=vin,
        unit_id=unit_id,
        category=category,
        energy_type=energy_type,
        seats=seats,
        dedicated=dedicated,
        make_model=make_model,
        purchase_date=purchase_date,
        purchase_price=purchase_price,
        odometer_km=odometer_km,
        status=status,
        battery_kwh=battery_kwh,
        kwh_per_100km=kwh_per_100km,
        fuel_tank_l=fuel_tank_l,
        l_per_100km=l_per_100km,
    )
    session.add(vehicle)
    await session.flush()
    return vehicle


async def update_vehicle(session: AsyncSession, vehicle: Vehicle, changes: dict[str, Any]) -> Vehicle:
    """Apply changes; moving a car to another unit or category (or back into service) re-checks the quota."""
    if "plate" in changes:
        changes["plate"] = normalise_plate(changes["plate"])
    if changes.get("vin"):
        changes["vin"] = normalise_vin(changes["vin"])
    if "category" in changes:
        _choice(changes["category"], CATEGORIES, "Category", "fleet.bad_category")
    if "energy_type" in changes:
        _choice(changes["energy_type"], ENERGY_TYPES, "Energy type", "fleet.bad_energy_type")
    if "status" in changes:
        _choice(changes["status"], STATUSES, "Status", "fleet.bad_status")
    if "unit_id" in changes:
        await _unit(session, changes["unit_id"])
    unit_id = changes.get("unit_id", vehicle.unit_id)
    category = changes.get("category", vehicle.category)
    status = changes.get("status", vehicle.status)
    moves_place = (unit_id, category) != (vehicle.unit_id, vehicle.category) or (
        vehicle.status in UNCOUNTED and status not in UNCOUNTED
    )
    if moves_place and status not in UNCOUNTED:
        await _check_quota(session, unit_id, category)
    for key, value in changes.items():
        setattr(vehicle, key, value)
    await session.flush()
    return vehicle


async def get_vehicle(session: AsyncSession, principal: Principal | None, vehicle_id: int) -> Vehicle:
    """A car the principal may see (None: internal use without scoping)."""
    query = select(Vehicle).where(Vehicle.id == vehicle_id)
    if principal is not None and (clause := principal.unit_filter(Vehicle.unit_id)) is not None:
        query = query.where(clause)
    vehicle = await session.scalar(query)
    if vehicle is None:
        raise NotFound(
            f"Vehicle {vehicle_id} not found.", code="fleet.vehicle_not_found", message_zh=f"未找到车辆 {vehicle_id}。"
        )
    return vehicle


async def list_vehicles(
    session: AsyncSession,
    principal: Principal | None,
    *,
    unit_id: int | None = None,
    category: str | None = None,
    energy_type: str | None = None,
    status: str | None = None,
    search: str | None = None,
) -> Sequence[Vehicle]:
    query = select(Vehicle).order_by(Vehicle.plate)
    if principal is not None and (clause := principal.unit_filter(Vehicle.unit_id)) is not None:
        query = query.where(clause)
    for column, value in (
        (Vehicle.unit_id, unit_id),
        (Vehicle.category, category),
        (Vehicle.energy_type, energy_type),
        (Vehicle.status, status),
    ):
        if value is not None:
            query = query.where(column == value)
    if search:
        query = query.where(Vehicle.plate.contains(search.upper()))
    return (await session.scalars(query)).all()


async def set_quota(session: AsyncSession, unit_id: int, category: str, allowed: int) -> VehicleQuota:
    _choice(category, CATEGORIES, "Category", "fleet.bad_category")
    if allowed < 0:
        raise InvalidInput("A quota cannot be negative.", code="fleet.bad_quota", message_zh="编制数不能为负。")
    await _unit(session, unit_id)
    used = await session.scalar(
        select(func.count(Vehicle.id)).where(
            Vehicle.unit_id == unit_id, Vehicle.category == category, Vehicle.status.not_in(UNCOUNTED)
        )
    )
    if (used or 0) > allowed:
        raise Conflict(
            f"The unit already holds {used} such cars; retire or transfer some before lowering the quota.",
            code="fleet.quota_below_use",
            message_zh=f"该单位已有 {used} 辆此类车辆，请先报废或调出后再调低编制。",
        )
    quota = await session.get(VehicleQuota, (unit_id, category))
    if quota is None:
        quota = VehicleQuota(unit_id=unit_id, category=category, allowed=allowed)
        session.add(quota)
    else:
        quota.allowed = allowed
    await session.flush()
    return quota


@dataclass(frozen=True, slots=True)
class QuotaUse:
    unit_id: int
    category: str
    allowed: int
    used: int


async def quota_use(session: AsyncSession, principal: Principal) -> list[QuotaUse]:
    query = select(VehicleQuota)
    if (clause := principal.unit_filter(VehicleQuota.unit_id)) is not None:
        query = query.where(clause)
    quotas = (await session.scalars(query)).all()
    counts = {
        (u, c): n
        for u, c, n in await session.execute(
            select(Vehicle.unit_id, Vehicle.category, func.count(Vehicle.id))
            .where(Vehicle.status.not_in(UNCOUNTED))
            .group_by(Vehicle.unit_id, Vehicle.category)
        )
    }
    return [QuotaUse(q.unit_id, q.category, q.allowed, counts.get((q.unit_id, q.category), 0)) for q in quotas]


async def create_driver(
    session: AsyncSession,
    *,
    name: str,
    unit_id: int,
    licence_class: str,
    licence_expiry: date,
    phone: str | None = None,
    user_id: int | None = None,
) -> Driver:
    _choice(licence_class, LICENCE_CLASSES, "Licence class", "fleet.bad_licence_class")
    await _unit(session, unit_id)
    driver = Driver(
        name=name,
        unit_id=unit_id,
        licence_class=licence_class,
        licence_expiry=licence_expiry,
        phone=phone,
        user_id=user_id,
    )
    session.add(driver)
    await session.flush()
    return driver


async def get_driver(session: AsyncSession, principal: Principal | None, driver_id: int) -> Driver:
    query = select(Driver).where(Driver.id == driver_id)
    if principal is not None and (clause := principal.unit_filter(Driver.unit_id)) is not None:
        query = query.where(clause)
    driver = await session.scalar(query)
    if driver is None:
        raise NotFound(
            f"Driver {driver_id} not found.", code="fleet.driver_not_found", message_zh=f"未找到驾驶员 {driver_id}。"
        )
    return driver


async def list_drivers(session: AsyncSession, principal: Principal | None) -> Sequence[Driver]:
    query = select(Driver).order_by(Driver.id)
    if principal is not None and (clause := principal.unit_filter(Driver.unit_id)) is not None:
        query = query.where(clause)
    return (await session.scalars(query)).all()


async def create_seal(
    session: AsyncSession,
    *,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    vehicle_id: int | None = None,
    unit_id: int | None = None,
) -> VehicleSeal:
    if (vehicle_id is None) == (unit_id is None):
        raise InvalidInput(
            "Seal either one car or every car of one unit.",
            code="fleet.bad_seal_target",
            message_zh="封存对象须为一辆车或一个单位的全部车辆。",
        )
    if ends_at <= starts_at:
        raise InvalidInput(
            "A sealed period must end after it starts.",
            code="fleet.bad_seal_period",
            message_zh="封存结束时间须晚于开始时间。",
        )
    seal = VehicleSeal(vehicle_id=vehicle_id, unit_id=unit_id, starts_at=starts_at, ends_at=ends_at, reason=reason)
    session.add(seal)
    await session.flush()
    return seal


async def list_seals(session: AsyncSession, principal: Principal) -> Sequence[VehicleSeal]:
    query = select(VehicleSeal).order_by(VehicleSeal.starts_at)
    clause = principal.unit_filter(VehicleSeal.unit_id)
    if clause is not None:
        visible = select(Vehicle.id).where(principal.unit_filter(Vehicle.unit_id))  # type: ignore[arg-type]
        query = query.where(or_(clause, VehicleSeal.vehicle_id.in_(visible)))
    return (await session.scalars(query)).all()


async def active_seal(session: AsyncSession, vehicle: Vehicle, start: datetime, end: datetime) -> VehicleSeal | None:
    """A seal of this car (or of its unit or an ancestor unit) overlapping [start, end), if any."""
    unit = await _unit(session, vehicle.unit_id)
    chain = [int(x) for x in unit.path.strip("/").split("/") if x]
    return await session.scalar(
        select(VehicleSeal)
        .where(
            or_(VehicleSeal.vehicle_id == vehicle.id, VehicleSeal.unit_id.in_(chain)),
            VehicleSeal.starts_at < end,
            VehicleSeal.ends_at > start,
        )
        .limit(1)
    )
