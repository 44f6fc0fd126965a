"""HTTP routes of EV charging: sites, connectors, tariffs, cars' profiles, the plan (timeline, re-plan, drivers'
instructions), SOC reports and recorded sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request

from gongwu.core.errors import InvalidInput, NotFound
from gongwu.core.http import DbSession, require
from gongwu.core.identity.principal import Principal
from gongwu.core.identity.service import get_unit
from gongwu.dispatch.charging import flows, service
from gongwu.dispatch.charging.models import ChargingConnector, ChargingSite, Tariff
from gongwu.dispatch.charging.schemas import (
    BandIn,
    BandsIn,
    ConnectorIn,
    ConnectorOut,
    ConnectorPatch,
    ProfileIn,
    ProfileOut,
    ReplanOut,
    SessionIn,
    SessionOut,
    SiteIn,
    SiteOut,
    SitePatch,
    SocIn,
    TariffIn,
    TariffOut,
)
from gongwu.dispatch.charging.settings import ChargingSettings

router = APIRouter(prefix="/api/charging", tags=["charging"])


def _settings(request: Request) -> ChargingSettings:
    found = getattr(request.app.state.platform.settings, "charging", None)
    return found if isinstance(found, ChargingSettings) else ChargingSettings()


async def _site_out(session: DbSession, site: ChargingSite) -> SiteOut:
    connectors = [ConnectorOut.model_validate(c) for c in await service.connectors_of(session, [site.id])]
    return SiteOut.model_validate(site).model_copy(update={"connectors": connectors})


async def _tariff_out(session: DbSession, tariff: Tariff) -> TariffOut:
    rows = await service.bands_of(session, tariff.id)
    bands = [BandIn.model_validate({"kind": b.kind, "start": b.start, "end": b.end, "price": b.price}) for b in rows]
    return TariffOut(id=tariff.id, name=tariff.name, timezone=tariff.timezone, source=tariff.source, bands=bands)


def _bands(bands: list[BandIn]) -> list[tuple[str, str, str, float]]:
    return [(b.kind, b.start, b.end, b.price) for b in bands]


# -- tariffs -----------------------------------------------------------------------------------------------


@router.get("/tariffs", response_model=list[TariffOut])
async def list_tariffs(session: DbSession, _: Principal = require("charging.plan.read")) -> list[TariffOut]:
    return [await _tariff_out(session, t) for t in await service.list_tariffs(session)]


@router.post("/tariffs", response_model=TariffOut, status_code=201)
async def create_tariff(
    body: TariffIn, session: DbSession, _: Principal = require("charging.site.manage")
) -> TariffOut:
    tariff = await service.create_tariff(
        session, name=body.name, bands=_bands(body.bands), timezone=body.timezone, source=body.source
    )
    await session.commit()
    return await _tariff_out(session, tariff)


@router.put("/tariffs/{tariff_id}/bands", response_model=TariffOut)
async def replace_bands(
    tariff_id: int, body: BandsIn, session: DbSession, _: Principal = require("charging.site.manage")
) -> TariffOut:
    tariff = await service.replace_bands(session, tariff_id, _bands(body.bands))
    await session.commit()
    return await _tariff_out(session, tariff)


# -- sites and connectors ------------------------------------------------------------------------------------


@router.get("/sites", response_model=list[SiteOut])
async def list_sites(session: DbSession, principal: Principal = require("charging.plan.read")) -> list[SiteOut]:
    return [await _site_out(session, s) for s in await service.list_sites(session, principal)]


@router.post("/sites", response_model=SiteOut, status_code=201)
async def create_site(
    body: SiteIn, session: DbSession, principal: Principal = require("charging.site.manage")
) -> SiteOut:
    principal.check_unit(await get_unit(session, body.unit_id), writing=True)
    site = await service.create_site(
        session,
        code=body.code,
        name=body.name,
        unit_id=body.unit_id,
        cap_kw=body.cap_kw,
        tariff_id=body.tariff_id,
        lat=body.lat,
        lon=body.lon,
        address=body.address,
        connectors=[(c.code, c.kind, c.kw, c.label) for c in body.connectors],
    )
    await session.commit()
    return await _site_out(session, site)


@router.get("/sites/{site_id}", response_model=SiteOut)
async def get_site(site_id: int, session: DbSession, principal: Principal = require("charging.plan.read")) -> SiteOut:
    return await _site_out(session, await service.get_site(session, principal, site_id))


@router.patch("/sites/{site_id}", response_model=SiteOut)
async def update_site(
    site_id: int, body: SitePatch, session: DbSession, principal: Principal = require("charging.site.manage")
) -> SiteOut:
    site = await service.get_site(session, principal, site_id)
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise InvalidInput("Nothing to change.", code="charging.empty_change", message_zh="没有需要修改的内容。")
    site = await service.update_site(session, site, changes)
    await session.commit()
    return await _site_out(session, site)


@router.post("/sites/{site_id}/connectors", response_model=ConnectorOut, status_code=201)
async def add_connector(
    site_id: int, body: ConnectorIn, session: DbSession, principal: Principal = require("charging.site.manage")
) -> ConnectorOut:
    await service.get_site(session, principal, site_id)
    connector = await service.add_connector(
        session, site_id, code=body.code, kind=body.kind, kw=body.kw, label=body.label
    )
    await session.commit()
    return ConnectorOut.model_validate(connector)


@router.patch("/connectors/{connector_id}", response_model=ConnectorOut)
async def update_connector(
    connector_id: int, body: ConnectorPatch, session: DbSession, principal: Principal = require("charging.site.manage")
) -> ConnectorOut:
    connector = await session.get(ChargingConnector, connector_id)
    if connector is None:
        raise NotFound(
            f"Connector {connector_id} not found.",
            code="charging.connector_not_found",
            message_zh=f"未找到充电枪 {connector_id}。",
        )
    await service.get_site(session, principal, connector.site_id)
    await service.update_connector(session, connector, body.model_dump(exclude_unset=True))
    await session.commit()
    return ConnectorOut.model_validate(connector)


# -- the plan ---------------------------------------------------------------------------------------------


@router.get("/sites/{site_id}/plan")
async def site_plan(
    site_id: int, session: DbSession, principal: Principal = require("charging.plan.read")
) -> dict[str, Any]:
    """The plan in force at a site as a timeline: connectors × time, sessions, the power against the cap."""
    return await flows.timeline(session, principal, site_id)


@router.post("/plan", response_model=ReplanOut)
async def replan(request: Request, session: DbSession, _: Principal = require("charging.plan.run")) -> ReplanOut:
    """Re-plan now (every site together); the solver runs in a worker thread."""
    bus = request.app.state.platform.bus
    result = await flows.replan(session, _settings(request), bus=bus, trigger="on demand")
    if result is None:
        return ReplanOut(planned=False)
    return ReplanOut(
        planned=True,
        cost=result.cost,
        peak_kw=result.peak_kw,
        plug_moves=result.plug_moves,
        unserved=[
            {"trip_id": t.trip_id, "vehicle_id": int(t.vehicle_id), "reason": t.reason, "message": t.message}
            for t in result.unserved
        ],
        wall_s=result.stats.wall_s,
        kept_previous=result.stats.kept_previous,
    )


@router.get("/instructions")
async def instructions(
    session: DbSession, vehicle_id: int | None = None, principal: Principal = require("charging.plan.read")
) -> list[dict[str, Any]]:
    """ "Charge car X at connector Y from 22:00" for the cars in sight (a driver: the cars of his unit)."""
    return await flows.instructions(session, principal, vehicle_id=vehicle_id)


# -- cars -------------------------------------------------------------------------------------------------


@router.put("/vehicles/{vehicle_id}/profile", response_model=ProfileOut)
async def set_profile(
    vehicle_id: int, body: ProfileIn, session: DbSession, principal: Principal = require("charging.site.manage")
) -> ProfileOut:
    vehicle = await service.visible_vehicle(session, principal, vehicle_id)
    if vehicle.energy_type == "fuel":
        raise InvalidInput(
            f"{vehicle.plate} is not a new-energy car.",
            code="charging.not_electric",
            message_zh=f"{vehicle.plate} 不是新能源车。",
        )
    profile = await service.set_profile(session, vehicle_id, **body.model_dump(exclude_unset=True))
    await session.commit()
    return ProfileOut.model_validate(profile)


@router.post("/vehicles/{vehicle_id}/soc", status_code=201)
async def report_soc(
    vehicle_id: int, body: SocIn, session: DbSession, principal: Principal = require("charging.soc.report")
) -> dict[str, Any]:
    vehicle = await service.visible_vehicle(session, principal, vehicle_id)
    report = await service.report_soc(session, vehicle, body.soc_pct, principal.user_id)
    await session.commit()
    return {"vehicle_id": vehicle.id, "soc_pct": report.soc_pct, "reported_at": report.reported_at.isoformat()}


# -- recorded sessions --------------------------------------------------------------------------------------


@router.get("/sessions", response_model=list[SessionOut])
async def list_sessions(
    session: DbSession,
    vehicle_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    principal: Principal = require("charging.session.read"),
) -> list[SessionOut]:
    rows = await service.list_sessions(session, principal, vehicle_id=vehicle_id, start=start, end=end)
    return [SessionOut.model_validate(r) for r in rows]


@router.post("/sessions", response_model=SessionOut, status_code=201)
async def record_session(
    body: SessionIn, request: Request, session: DbSession, principal: Principal = require("charging.session.record")
) -> SessionOut:
    """Record a session (entered by hand); its cost goes to the owning unit's 30231 budget line."""
    vehicle = await service.visible_vehicle(session, principal, body.vehicle_id)
    if body.site_id is not None:
        await service.get_site(session, None, body.site_id)
    row = await service.record_session(
        session,
        vehicle,
        started_at=body.started_at,
        ended_at=body.ended_at,
        energy_kwh=body.energy_kwh,
        source="entered",
        site_id=body.site_id,
        connector_id=body.connector_id,
        soc_before=body.soc_before,
        soc_after=body.soc_after,
        cost=body.cost,
        note=body.note,
        actor_id=principal.user_id,
        public_price=_settings(request).public_price,
    )
    await session.commit()
    return SessionOut.model_validate(row)
