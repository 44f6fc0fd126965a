"""Charging use cases on our own tables: tariffs, sites and connectors, cars' charging profiles, SOC reports,
recorded sessions (each charged to the owning unit's 30231 budget line), and the plan in force per site.
Scoped by the principal's sight (None: internal use); never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.budget import service as budget
from gongwu.core.errors import Conflict, InvalidInput, NotFound
from gongwu.core.fleet import service as fleet
from gongwu.core.fleet.models import Vehicle
from gongwu.core.identity.principal import Principal
from gongwu.core.identity.service import get_unit
from gongwu.dispatch.charging import problem as values
from gongwu.dispatch.charging.models import (
    ChargingConnector,
    ChargingPlanRecord,
    ChargingProfile,
    ChargingSession,
    ChargingSite,
    SocReport,
    Tariff,
    TariffBand,
)

__all__ = [
    "BUDGET_CLASS",
    "SOURCE_TYPE",
    "add_connector",
    "connectors_of",
    "create_site",
    "create_tariff",
    "get_site",
    "get_tariff",
    "latest_plan",
    "list_sessions",
    "list_sites",
    "list_tariffs",
    "profiles_of",
    "record_session",
    "replace_bands",
    "report_soc",
    "save_plan",
    "set_profile",
    "site_value",
    "tariff_value",
    "update_connector",
    "update_site",
]

BUDGET_CLASS = "30231"
"""公务用车运行维护费: what a car's electricity is charged to."""
SOURCE_TYPE = "charging.session"
KEEP_PLANS = 20
CENT = Decimal("0.01")

Band = tuple[str, str, str, float]


# -- tariffs ---------------------------------------------------------------------------------------------


def _check_bands(bands: Sequence[Band], timezone: str) -> values.Tariff:
    try:
        ZoneInfo(timezone)
    except Exception:
        raise InvalidInput(
            f"Unknown time zone {timezone!r}.", code="charging.bad_timezone", message_zh=f"未知时区 {timezone!r}。"
        ) from None
    try:
        return values.Tariff.of(bands, timezone)
    except ValueError as exc:  # a malformed HH:MM
        raise InvalidInput(
            f"A band time is not HH:MM: {exc}",
            code="charging.bad_tariff",
            message_zh=f"电价时段的时间须为 HH:MM 格式：{exc}",
        ) from None


async def create_tariff(
    session: AsyncSession, *, name: str, bands: Sequence[Band], timezone: str = "Asia/Shanghai", source: str = ""
) -> Tariff:
    _check_bands(bands, timezone)
    tariff = Tariff(name=name, timezone=timezone, source=source)
    session.add(tariff)
    await session.flush()
    session.add_all(TariffBand(tariff_id=tariff.id, kind=k, start=a, end=b, price=float(p)) for k, a, b, p in bands)
    await session.flush()
    return tariff


async def get_tariff(session: AsyncSession, tariff_id: int) -> Tariff:
    tariff = await session.get(Tariff, tariff_id)
    if tariff is None:
        raise NotFound(
            f"Tariff {tariff_id} not found.",
            code="charging.tariff_not_found",
            message_zh=f"未找到电价方案 {tariff_id}。",
        )
    return tariff


async def bands_of(session: AsyncSession, tariff_id: int) -> list[TariffBand]:
    query = select(TariffBand).where(TariffBand.tariff_id == tariff_id).order_by(TariffBand.id)
    return list(await session.scalars(query))


async def replace_bands(session: AsyncSession, tariff_id: int, bands: Sequence[Band]) -> Tariff:
    tariff = await get_tariff(session, tariff_id)
    _check_bands(bands, tariff.timezone)
    await session.execute(delete(TariffBand).where(TariffBand.tariff_id == tariff_id))
    session.add_all(TariffBand(tariff_id=tariff_id, kind=k, start=a, end=b, price=float(p)) for k, a, b, p in bands)
    await session.flush()
    return tariff


async def list_tariffs(session: AsyncSession) -> Sequence[Tariff]:
    return (await session.scalars(select(Tariff).order_by(Tariff.id))).all()


async def tariff_value(session: AsyncSession, tariff_id: int) -> values.Tariff:
    tariff = await get_tariff(session, tariff_id)
    bands = [(b.kind, b.start, b.end, b.price) for b in await bands_of(session, tariff_id)]
    return values.Tariff.of(bands, tariff.timezone, tariff.name)


# -- sites and connectors --------------------------------------------------------------------------------


async def list_sites(session: AsyncSession, principal: Principal | None) -> Sequence[ChargingSite]:
    query = select(ChargingSite).order_by(ChargingSite.id)
    if principal is not None and (clause := principal.unit_filter(ChargingSite.unit_id)) is not None:
        query = query.where(clause)
    return (await session.scalars(query)).all()


async def get_site(session: AsyncSession, principal: Principal | None, site_id: int) -> ChargingSite:
    query = select(ChargingSite).where(ChargingSite.id == site_id)
    if principal is not None and (clause := principal.unit_filter(ChargingSite.unit_id)) is not None:
        query = query.where(clause)
    site = await session.scalar(query)
    if site is None:
        raise NotFound(
            f"Charging site {site_id} not found.",
            code="charging.site_not_found",
            message_zh=f"未找到充电场站 {site_id}。",
        )
    return site


def _check_connector(kind: str, kw: float) -> None:
    if kind not in ("ac", "dc"):
        raise InvalidInput(
            "A connector is 'ac' or 'dc'.",
            code="charging.bad_connector",
            message_zh="充电枪类型须为交流（ac）或直流（dc）。",
        )
    if not 0 < kw <= 1000:
        raise InvalidInput(
            f"{kw} kW is not a plausible connector.",
            code="charging.bad_connector",
            message_zh=f"充电枪功率 {kw} kW 不合理。",
        )


async def create_site(
    session: AsyncSession,
    *,
    code: str,
    name: str,
    unit_id: int,
    cap_kw: float,
    tariff_id: int,
    lat: float | None = None,
    lon: float | None = None,
    address: str = "",
    connectors: Sequence[tuple[str, str, float, str]] = (),
) -> ChargingSite:
    """A site with its connectors ``(code, kind, kW, label)``."""
    await get_unit(session, unit_id)
    await get_tariff(session, tariff_id)
    if cap_kw <= 0:
        raise InvalidInput(
            "A site's power cap must be positive.", code="charging.bad_site", message_zh="充电场站的功率上限须为正数。"
        )
    if await session.scalar(select(ChargingSite.id).where(ChargingSite.code == code)):
        raise Conflict(
            f"A charging site with code {code!r} exists already.",
            code="charging.site_code_taken",
            message_zh=f"编码为 {code!r} 的充电场站已存在。",
        )
    site = ChargingSite(
        code=code, name=name, unit_id=unit_id, cap_kw=cap_kw, tariff_id=tariff_id, lat=lat, lon=lon, address=address
    )
    session.add(site)
    await session.flush()
    for c_code, kind, kw, label in connectors:
        await add_connector(session, site.id, code=c_code, kind=kind, kw=kw, label=label)
    return site


async def update_site(session: AsyncSession, site: ChargingSite, changes: dict[str, Any]) -> ChargingSite:
    if "cap_kw" in changes and changes["cap_kw"] is not None and changes["cap_kw"] <= 0:
        raise InvalidInput(
            "A site's power cap must be positive.", code="charging.bad_site", message_zh="充电场站的功率上限须为正数。"
        )
    if "tariff_id" in changes:
        await get_tariff(session, changes["tariff_id"])
    if "unit_id" in changes:
        await get_unit(session, changes["unit_id"])
    for key, value in changes.items():
        setattr(site, key, value)
    await session.flush()
    return site


async def add_connector(
    session: AsyncSession, site_id: int, *, code: str, kind: str, kw: float, label: str = ""
) -> ChargingConnector:
    _check_connector(kind, kw)
    taken = await session.scalar(
        select(ChargingConnector.id).where(ChargingConnector.site_id == site_id, ChargingConnector.code == code)
    )
    if taken:
        raise Conflict(
            f"The site has a connector {code!r} already.",
            code="charging.connector_code_taken",
            message_zh=f"该充电场站已有编号为 {code!r} 的充电枪。",
        )
    connector = ChargingConnector(site_id=site_id, code=code, kind=kind, kw=kw, label=label, active=True)
    session.add(connector)
    await session.flush()
    return connector


async def update_connector(session: AsyncSession, connector: ChargingConnector, changes: dict[str, Any]) -> None:
    _check_connector(changes.get("kind", connector.kind), changes.get("kw", connector.kw))
    for key, value in changes.items():
        setattr(connector, key, value)
    await session.flush()


async def connectors_of(session: AsyncSession, site_ids: Sequence[int]) -> list[ChargingConnector]:
    query = (
        select(ChargingConnector)
        .where(ChargingConnector.site_id.in_(site_ids))
        .order_by(ChargingConnector.site_id, ChargingConnector.code)
    )
    return list(await session.scalars(query))


async def site_value(session: AsyncSession, site: ChargingSite) -> values.ChargingSite:
    """The planner's view of a site; connectors are named by their database id."""
    connectors = [
        values.Connector(str(c.id), c.kind, c.kw, c.label or c.code)  # type: ignore[arg-type]
        for c in await connectors_of(session, [site.id])
        if c.active
    ]
    return values.ChargingSite(
        str(site.id), tuple(connectors), site.cap_kw, await tariff_value(session, site.tariff_id), site.name
    )


# -- cars ------------------------------------------------------------------------------------------------


async def set_profile(session: AsyncSession, vehicle_id: int, **fields: Any) -> ChargingProfile:
    if fields.get("home_site_id") is not None:
        await get_site(session, None, fields["home_site_id"])
    lo, hi = fields.get("min_soc_pct"), fields.get("max_soc_pct")
    profile = await session.get(ChargingProfile, vehicle_id)
    if profile is None:
        profile = ChargingProfile(vehicle_id=vehicle_id, max_ac_kw=7.0, min_soc_pct=10.0, max_soc_pct=100.0)
        session.add(profile)
    lo = profile.min_soc_pct if lo is None else lo
    hi = profile.max_soc_pct if hi is None else hi
    if not 0 <= lo < hi <= 100:
        raise InvalidInput(
            "Need 0 ≤ min_soc_pct < max_soc_pct ≤ 100.",
            code="charging.bad_profile",
            message_zh="须满足 0 ≤ 最低电量 < 最高电量 ≤ 100（%）。",
        )
    for key, value in fields.items():
        setattr(profile, key, value)
    await session.flush()
    return profile


async def profiles_of(session: AsyncSession, vehicle_ids: Sequence[int]) -> dict[int, ChargingProfile]:
    rows = await session.scalars(select(ChargingProfile).where(ChargingProfile.vehicle_id.in_(vehicle_ids)))
    return {p.vehicle_id: p for p in rows}


async def report_soc(session: AsyncSession, vehicle: Vehicle, soc_pct: float, user_id: int | None) -> SocReport:
    if vehicle.energy_type == "fuel":
        raise InvalidInput(
            f"{vehicle.plate} is not a new-energy car.",
            code="charging.not_electric",
            message_zh=f"{vehicle.plate} 不是新能源车。",
        )
    if not 0 <= soc_pct <= 100:
        raise InvalidInput(
            "A state of charge is 0–100 %.", code="charging.bad_soc", message_zh="电量（SOC）须在 0–100% 之间。"
        )
    report = SocReport(vehicle_id=vehicle.id, soc_pct=soc_pct, reported_by=user_id)
    session.add(report)
    await session.flush()
    return report


# -- recorded sessions -----------------------------------------------------------------------------------


async def session_cost(
    session: AsyncSession,
    site_id: int | None,
    started_at: datetime,
    ended_at: datetime,
    energy_kwh: float,
    public_price: float,
) -> Decimal:
    """Energy × the site's mean tariff over the session (a site's own chargers), else the public price."""
    if site_id is None:
        price = public_price
    else:
        site = await get_site(session, None, site_id)
        price = (await tariff_value(session, site.tariff_id)).mean_price(started_at, ended_at)
    return (Decimal(str(energy_kwh)) * Decimal(str(price))).quantize(CENT, rounding=ROUND_HALF_UP)


async def record_session(
    session: AsyncSession,
    vehicle: Vehicle,
    *,
    started_at: datetime,
    ended_at: datetime,
    energy_kwh: float,
    source: str,
    site_id: int | None = None,
    connector_id: int | None = None,
    soc_before: float | None = None,
    soc_after: float | None = None,
    cost: Decimal | None = None,
    note: str | None = None,
    actor_id: int | None = None,
    public_price: float = 1.8,
    timezone: str = "Asia/Shanghai",
) -> ChargingSession:
    """Record a session that happened and charge its cost to the owning unit's 30231 line (公务用车运行维护费)."""
    if source not in ("telematics", "entered"):
        raise InvalidInput(
            "A session comes from 'telematics' or is 'entered'.",
            code="charging.bad_source",
            message_zh="充电记录的来源须为车载终端（telematics）或人工录入（entered）。",
        )
    if started_at.tzinfo is None or ended_at.tzinfo is None:
        raise InvalidInput("Times need a time zone.", code="charging.naive_time", message_zh="时间须带时区。")
    if ended_at <= started_at:
        raise InvalidInput(
            "A session ends after it starts.", code="charging.bad_session", message_zh="充电结束时间须晚于开始时间。"
        )
    if not 0 < energy_kwh <= 1000:
        raise InvalidInput(
            "The energy of a session must be positive and plausible.",
            code="charging.bad_energy",
            message_zh="充电电量须为正数且在合理范围内。",
        )
    for soc in (soc_before, soc_after):
        if soc is not None and not 0 <= soc <= 100:
            raise InvalidInput(
                "A state of charge is 0–100 %.", code="charging.bad_soc", message_zh="电量（SOC）须在 0–100% 之间。"
            )
    if connector_id is not None:
        connector = await session.get(ChargingConnector, connector_id)
        if connector is None or (site_id is not None and connector.site_id != site_id):
            raise InvalidInput(
                "That connector is not at that site.",
                code="charging.unknown_connector",
                message_zh="该充电枪不属于该充电场站。",
            )
        site_id = connector.site_id
    duplicate = await session.scalar(
        select(ChargingSession.id).where(
            ChargingSession.vehicle_id == vehicle.id, ChargingSession.started_at == started_at
        )
    )
    if duplicate:
        raise Conflict(
            "This session is recorded already.",
            code="charging.session_exists",
            message_zh="该充电记录已登记。",
            details={"id": duplicate},
        )
    amount = (
        cost
        if cost is not None
        else await session_cost(session, site_id, started_at, ended_at, energy_kwh, public_price)
    )
    row = ChargingSession(
        vehicle_id=vehicle.id,
        unit_id=vehicle.unit_id,
        site_id=site_id,
        connector_id=connector_id,
        started_at=started_at,
        ended_at=ended_at,
        energy_kwh=energy_kwh,
        cost=amount,
        soc_before=soc_before,
        soc_after=soc_after,
        source=source,
        note=note,
        recorded_by=actor_id,
    )
    session.add(row)
    await session.flush()
    if amount > 0:
        year = ended_at.astimezone(ZoneInfo(timezone)).year
        line = await budget.find_line(session, vehicle.unit_id, year, BUDGET_CLASS)
        await budget.charge(
            session,
            line.id,
            amount,
            source_type=SOURCE_TYPE,
            source_id=row.id,
            note=f"{vehicle.plate} {energy_kwh:.1f} kWh",
            actor_id=actor_id,
        )
        row.budget_line_id = line.id
        await session.flush()
    return row


async def list_sessions(
    session: AsyncSession,
    principal: Principal | None,
    *,
    vehicle_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 500,
) -> Sequence[ChargingSession]:
    query = select(ChargingSession).order_by(ChargingSession.started_at.desc()).limit(limit)
    if principal is not None and (clause := principal.unit_filter(ChargingSession.unit_id)) is not None:
        query = query.where(clause)
    if vehicle_id is not None:
        query = query.where(ChargingSession.vehicle_id == vehicle_id)
    if start is not None:
        query = query.where(ChargingSession.started_at >= start)
    if end is not None:
        query = query.where(ChargingSession.started_at < end)
    return (await session.scalars(query)).all()


async def visible_vehicle(session: AsyncSession, principal: Principal | None, vehicle_id: int) -> Vehicle:
    return await fleet.get_vehicle(session, principal, vehicle_id)


# -- plans -----------------------------------------------------------------------------------------------


async def save_plan(
    session: AsyncSession,
    site_id: int,
    *,
    starts_at: datetime,
    ends_at: datetime,
    trigger: str,
    cost: float,
    peak_kw: float,
    unserved: int,
    body: dict[str, Any],
) -> ChargingPlanRecord:
    record = ChargingPlanRecord(
        site_id=site_id,
        starts_at=starts_at,
        ends_at=ends_at,
        trigger=trigger[:40],
        cost=cost,
        peak_kw=peak_kw,
        unserved=unserved,
        body=body,
    )
    session.add(record)
    await session.flush()
    old = (
        await session.scalars(
            select(ChargingPlanRecord.id)
            .where(ChargingPlanRecord.site_id == site_id)
            .order_by(ChargingPlanRecord.id.desc())
            .offset(KEEP_PLANS)
        )
    ).all()
    if old:
        await session.execute(delete(ChargingPlanRecord).where(ChargingPlanRecord.id.in_(old)))
    return record


async def latest_plan(session: AsyncSession, site_id: int) -> ChargingPlanRecord | None:
    query = (
        select(ChargingPlanRecord)
        .where(ChargingPlanRecord.site_id == site_id)
        .order_by(ChargingPlanRecord.id.desc())
        .limit(1)
    )
    return await session.scalar(query)


def hhmm(value: time) -> str:
    return value.strftime("%H:%M")
