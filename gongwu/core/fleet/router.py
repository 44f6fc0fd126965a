"""HTTP routes of the fleet: cars, drivers, quotas, sealed periods."""

from __future__ import annotations

from fastapi import APIRouter

from gongwu.core.errors import InvalidInput
from gongwu.core.fleet import service
from gongwu.core.fleet.schemas import (
    DriverIn,
    DriverOut,
    QuotaIn,
    QuotaOut,
    SealIn,
    SealOut,
    VehicleIn,
    VehicleOut,
    VehiclePatch,
)
from gongwu.core.http import DbSession, require
from gongwu.core.identity.principal import Principal
from gongwu.core.identity.service import get_unit

router = APIRouter(prefix="/api/fleet", tags=["fleet"])


@router.get("/catalog")
async def catalog(_: Principal = require("fleet.vehicle.read")) -> dict[str, object]:
    """The categories, energy types, statuses and licence classes, with their Chinese names."""
    return {
        "categories": service.CATEGORIES,
        "energy_types": service.ENERGY_TYPES,
        "statuses": service.STATUSES,
        "licence_classes": service.LICENCE_CLASSES,
    }


@router.get("/vehicles", response_model=list[VehicleOut])
async def list_vehicles(
    session: DbSession,
    unit_id: int | None = None,
    category: str | None = None,
    energy_type: str | None = None,
    status: str | None = None,
    q: str | None = None,
    principal: Principal = require("fleet.vehicle.read"),
) -> list[VehicleOut]:
    vehicles = await service.list_vehicles(
        session,
        principal,
        unit_id=unit_id,
        category=category,
        energy_type=energy_type,
        status=status,
        search=q,
    )
    return [VehicleOut.model_validate(v) for v in vehicles]


@router.post("/vehicles", response_model=VehicleOut, status_code=201)
async def create_vehicle(
    body: VehicleIn, session: DbSession, principal: Principal = require("fleet.vehicle.manage")
) -> VehicleOut:
    principal.check_unit(await get_unit(session, body.unit_id), writing=True)
    vehicle = await service.create_vehicle(session, **body.model_dump())
    await session.commit()
    return VehicleOut.model_validate(vehicle)


@router.get("/vehicles/{vehicle_id}", response_model=VehicleOut)
async def get_vehicle(
    vehicle_id: int, session: DbSession, principal: Principal = require("fleet.vehicle.read")
) -> VehicleOut:
    return VehicleOut.model_validate(await service.get_vehicle(session, principal, vehicle_id))


@router.patch("/vehicles/{vehicle_id}", response_model=VehicleOut)
async def update_vehicle(
    vehicle_id: int,
    body: VehiclePatch,
    session: DbSession,
    principal: Principal = require("fleet.vehicle.manage"),
) -> VehicleOut:
    vehicle = await service.get_vehicle(session, principal, vehicle_id)
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise InvalidInput("Nothing to change.", code="fleet.empty_change", message_zh="没有需要修改的内容。")
    if "unit_id" in changes:
        principal.check_unit(await get_unit(session, changes["unit_id"]), writing=True)
    vehicle = await service.update_vehicle(session, vehicle, changes)
    await session.commit()
    return VehicleOut.model_validate(vehicle)


@router.get("/drivers", response_model=list[DriverOut])
async def list_drivers(session: DbSession, principal: Principal = require("fleet.driver.read")) -> list[DriverOut]:
    return [DriverOut.model_validate(d) for d in await service.list_drivers(session, principal)]


@router.post("/drivers", response_model=DriverOut, status_code=201)
async def create_driver(
    body: DriverIn, session: DbSession, principal: Principal = require("fleet.driver.manage")
) -> DriverOut:
    principal.check_unit(await get_unit(session, body.unit_id), writing=True)
    driver = await service.create_driver(session, **body.model_dump())
    await session.commit()
    return DriverOut.model_validate(driver)


@router.get("/drivers/{driver_id}", response_model=DriverOut)
async def get_driver(
    driver_id: int, session: DbSession, principal: Principal = require("fleet.driver.read")
) -> DriverOut:
    return DriverOut.model_validate(await service.get_driver(session, principal, driver_id))


@router.get("/quotas", response_model=list[QuotaOut])
async def list_quotas(session: DbSession, principal: Principal = require("fleet.vehicle.read")) -> list[QuotaOut]:
    return [QuotaOut.model_validate(q) for q in await service.quota_use(session, principal)]


@router.put("/quotas/{unit_id}/{category}", response_model=QuotaOut)
async def set_quota(
    unit_id: int,
    category: str,
    body: QuotaIn,
    session: DbSession,
    principal: Principal = require("fleet.quota.manage"),
) -> QuotaOut:
    principal.check_unit(await get_unit(session, unit_id), writing=True)
    quota = await service.set_quota(session, unit_id, category, body.allowed)
    await session.commit()
    use = [q for q in await service.quota_use(session, principal) if (q.unit_id, q.category) == (unit_id, category)]
    return (
        QuotaOut.model_validate(use[0])
        if use
        else QuotaOut(unit_id=unit_id, category=category, allowed=quota.allowed, used=0)
    )


@router.get("/seals", response_model=list[SealOut])
async def list_seals(session: DbSession, principal: Principal = require("fleet.vehicle.read")) -> list[SealOut]:
    return [SealOut.model_validate(s) for s in await service.list_seals(session, principal)]


@router.post("/seals", response_model=SealOut, status_code=201)
async def create_seal(body: SealIn, session: DbSession, principal: Principal = require("fleet.seal.manage")) -> SealOut:
    if body.unit_id is not None:
        principal.check_unit(await get_unit(session, body.unit_id), writing=True)
    if body.vehicle_id is not None:
        await service.get_vehicle(session, principal, body.vehicle_id)
    seal = await service.create_seal(session, **body.model_dump())
    await session.commit()
    return SealOut.model_validate(seal)
