"""HTTP routes of running costs (``/api/costs``): sheets, evaluations, settlements, imports, work orders, fixed
costs, quotas, the month's close and the exports."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import select

from gongwu.core.errors import InvalidInput
from gongwu.core.fleet import service as fleet
from gongwu.core.http import DbSession, require
from gongwu.core.identity.models import OrgUnit
from gongwu.core.identity.principal import Principal
from gongwu.dispatch.bookings.models import Booking
from gongwu.dispatch.costs import exports, flows, sheets, sources
from gongwu.dispatch.costs.ledger import month_bounds
from gongwu.dispatch.costs.models import CATEGORIES, CostQuota, FuelStation, FuelTransaction, TripCost
from gongwu.dispatch.costs.schemas import MONTH, FixedCostIn, MonthIn, QuotaIn, StationIn, WorkOrderIn
from gongwu.dispatch.costs.settings import DEFAULT_QUOTAS, CostsSettings
from gongwu.dispatch.costs.settlement import Policy

router = APIRouter(prefix="/api/costs", tags=["costs"])

MAX_UPLOAD = 10 * 1024 * 1024


def policy_of(request: Request) -> Policy:
    settings = getattr(request.app.state.platform.settings, "costs", None)
    return Policy(
        settings if isinstance(settings, CostsSettings) else CostsSettings(),
        request.app.state.platform.settings.core.local_timezone,
    )


def _month(value: str | None) -> str:
    if value is None:
        return datetime.now(UTC).strftime("%Y-%m")
    if not re.match(MONTH, value):
        raise InvalidInput("A month is YYYY-MM.", code="costs.bad_month", message_zh="月份格式须为 YYYY-MM。")
    return value


@router.get("/catalog")
async def catalog(_: Principal = require("costs.read")) -> dict[str, Any]:
    return {
        "categories": {k: {"zh": zh, "en": en} for k, (zh, en) in CATEGORIES.items()},
        "metrics": {k: {"zh": zh, "en": en, "unit": unit} for k, (zh, en, unit) in sheets.METRICS.items()},
    }


@router.get("/evaluation")
async def evaluation(
    request: Request, session: DbSession, month: str | None = None, principal: Principal = require("costs.read")
) -> list[dict[str, Any]]:
    """Every car in sight for the month: costs by category, figures, peers' medians, flags with reasons."""
    return await sheets.evaluate(session, principal, _month(month), policy_of(request))


@router.get("/vehicles/{vehicle_id}")
async def vehicle_month(
    vehicle_id: int,
    request: Request,
    session: DbSession,
    month: str | None = None,
    principal: Principal = require("costs.read"),
) -> dict[str, Any]:
    """One car's month: the sheet by category, its entries, who paid, the evaluation."""
    return await sheets.vehicle_sheet(session, principal, vehicle_id, _month(month), policy_of(request))


@router.get("/trips")
async def trip_costs(
    session: DbSession,
    month: str | None = None,
    vehicle_id: int | None = None,
    unit_id: int | None = None,
    principal: Principal = require("costs.read"),
) -> list[dict[str, Any]]:
    """Settled trips: booking, km (a pooled run's share), rate, running, direct, charged, pending, status."""
    query = (
        select(TripCost, Booking)
        .join(Booking, Booking.id == TripCost.booking_id)
        .where(TripCost.month == _month(month))
        .order_by(Booking.planned_pickup_at.desc(), Booking.id.desc())
    )
    if vehicle_id is not None:
        await fleet.get_vehicle(session, principal, vehicle_id)
        query = query.where(TripCost.vehicle_id == vehicle_id)
    elif (clause := principal.unit_filter(TripCost.unit_id)) is not None:
        query = query.where(clause)
    if unit_id is not None:
        query = query.where(TripCost.unit_id == unit_id)
    return [_trip_json(c, b) for c, b in (await session.execute(query.limit(2000))).all()]


def _trip_json(c: TripCost, b: Booking) -> dict[str, Any]:
    return {
        "booking_id": b.id,
        "code": b.code,
        "purpose": b.purpose,
        "unit_id": c.unit_id,
        "vehicle_id": c.vehicle_id,
        "pickup": b.pickup_address,
        "dropoff": b.dropoff_address,
        "start": (b.planned_pickup_at or b.earliest_pickup).isoformat(),
        "end": (b.planned_dropoff_at or b.latest_arrival).isoformat(),
        "passengers": b.passengers,
        "trip_id": c.trip_id,
        "km": c.km,
        "shared_with": c.shared_with,
        "rate_per_km": c.rate_per_km,
        "rate_basis": c.rate_basis,
        "running": str(c.running),
        "direct": str(c.direct),
        "charged": str(c.charged),
        "pending": str(c.pending),
        "released": str(c.released),
        "estimated": str(b.estimated_cost),
        "status": c.status,
        "reason": c.reason,
    }


@router.get("/units")
async def units(
    session: DbSession, month: str | None = None, principal: Principal = require("costs.read")
) -> list[dict[str, Any]]:
    """What each unit in sight was charged for cars in the month, by posting kind."""
    return await sheets.unit_month(session, principal, _month(month))


@router.post("/imports/fuel", status_code=201, max_body_size=MAX_UPLOAD + 65_536)
async def import_fuel(
    request: Request, session: DbSession, file: UploadFile, principal: Principal = require("costs.record")
) -> dict[str, Any]:
    """A fuel-card statement (CSV or xlsx): every row, or none (422 ``costs.import_rejected`` names each bad row)."""
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise InvalidInput("The file is larger than 10 MB.", code="costs.file_too_large", message_zh="文件超过 10 MB。")
    batch = await sources.import_fuel(
        session, data, file.filename or "upload.csv", policy_of(request), actor_id=principal.user_id
    )
    await session.commit()
    counts: dict[str, int] = {}
    for status in (
        await session.scalars(select(FuelTransaction.match_status).where(FuelTransaction.import_id == batch.id))
    ).all():
        counts[status] = counts.get(status, 0) + 1
    return {"id": batch.id, "rows": batch.rows, "amount": str(batch.amount), "matches": counts}


@router.get("/fuel")
async def fuel_transactions(
    request: Request,
    session: DbSession,
    month: str | None = None,
    vehicle_id: int | None = None,
    principal: Principal = require("costs.read"),
) -> list[dict[str, Any]]:
    first, nxt = _bounds(_month(month), policy_of(request).timezone)
    query = select(FuelTransaction).where(FuelTransaction.at >= first, FuelTransaction.at < nxt)
    if vehicle_id is not None:
        await fleet.get_vehicle(session, principal, vehicle_id)
        query = query.where(FuelTransaction.vehicle_id == vehicle_id)
    visible = {v.id for v in await fleet.list_vehicles(session, principal)}
    rows = (await session.scalars(query.order_by(FuelTransaction.at))).all()
    return [
        {
            "id": t.id,
            "txn_id": t.txn_id,
            "vehicle_id": t.vehicle_id,
            "at": t.at.isoformat(),
            "station": t.station_name,
            "product": t.product,
            "litres": t.litres,
            "amount": str(t.amount),
            "match_status": t.match_status,
            "distance_m": t.distance_m,
        }
        for t in rows
        if t.vehicle_id in visible
    ]


def _bounds(month: str, timezone: str) -> tuple[datetime, datetime]:
    first, nxt = month_bounds(month)
    zone = ZoneInfo(timezone)
    return datetime(first.year, first.month, 1, tzinfo=zone), datetime(nxt.year, nxt.month, 1, tzinfo=zone)


@router.post("/work-orders", status_code=201)
async def add_work_order(
    body: WorkOrderIn, request: Request, session: DbSession, principal: Principal = require("costs.record")
) -> dict[str, Any]:
    vehicle = await fleet.get_vehicle(session, principal, body.vehicle_id)
    order = await sources.add_work_order(
        session, vehicle, policy_of(request), actor_id=principal.user_id, **body.model_dump(exclude={"vehicle_id"})
    )
    await session.commit()
    return {"id": order.id, "number": order.number, "amount": str(order.amount)}


@router.post("/fixed-costs", status_code=201)
async def add_fixed_cost(
    body: FixedCostIn, request: Request, session: DbSession, principal: Principal = require("costs.record")
) -> dict[str, Any]:
    vehicle = await fleet.get_vehicle(session, principal, body.vehicle_id)
    row = await sources.add_fixed_cost(session, vehicle, policy_of(request), **body.model_dump(exclude={"vehicle_id"}))
    await session.commit()
    return {"id": row.id, "kind": row.kind, "amount": str(row.amount), "months": row.months}


@router.get("/stations")
async def stations(session: DbSession, _: Principal = require("costs.read")) -> list[dict[str, Any]]:
    rows = (await session.scalars(select(FuelStation).order_by(FuelStation.code))).all()
    return [{"code": s.code, "name": s.name, "lat": s.lat, "lon": s.lon, "supplier": s.supplier} for s in rows]


@router.put("/stations/{code}")
async def put_station(
    code: str, body: StationIn, session: DbSession, _: Principal = require("costs.record")
) -> dict[str, Any]:
    row = await session.get(FuelStation, code) or FuelStation(code=code)
    row.name, row.lat, row.lon, row.supplier = body.name, body.lat, body.lon, body.supplier
    session.add(row)
    await session.commit()
    return {"code": row.code, "name": row.name, "lat": row.lat, "lon": row.lon, "supplier": row.supplier}


@router.get("/quotas")
async def quotas(session: DbSession, _: Principal = require("costs.read")) -> list[dict[str, Any]]:
    stored = {q.category: q for q in (await session.scalars(select(CostQuota))).all()}
    out = []
    for category, (zh, en) in fleet.CATEGORIES.items():
        annual, rate = DEFAULT_QUOTAS.get(category, DEFAULT_QUOTAS["other"])
        row = stored.get(category)
        out.append(
            {
                "category": category,
                "name": {"zh": zh, "en": en},
                "annual_yuan": str(row.annual_yuan if row else Decimal(annual)),
                "rate_per_km": row.rate_per_km if row else rate,
                "default": row is None,
            }
        )
    return out


@router.put("/quotas/{category}")
async def put_quota(
    category: str, body: QuotaIn, session: DbSession, _: Principal = require("costs.manage")
) -> dict[str, Any]:
    if category not in fleet.CATEGORIES:
        raise InvalidInput(
            f"Unknown car category {category!r}.",
            code="fleet.bad_category",
            message_zh=f"未知的车辆类别 {category!r}。",
        )
    row = await session.get(CostQuota, category) or CostQuota(category=category)
    row.annual_yuan, row.rate_per_km = body.annual_yuan, body.rate_per_km
    session.add(row)
    await session.commit()
    return {"category": category, "annual_yuan": str(row.annual_yuan), "rate_per_km": row.rate_per_km}


@router.post("/close")
async def close(
    body: MonthIn, request: Request, session: DbSession, _: Principal = require("costs.manage")
) -> dict[str, Any]:
    """The month's close (月结): accruals, then what the trips did not take is charged to the owners."""
    report = await flows.close_month(session, body.month, policy_of(request))
    await session.commit()
    return {
        "month": report.month,
        "closed": len(report.closed),
        "failed": report.failed,
        "to_trips": str(report.to_trips),
        "to_owner": str(report.to_owner),
    }


@router.post("/settle/{booking_id}")
async def settle(
    booking_id: int, request: Request, session: DbSession, _: Principal = require("costs.manage")
) -> list[dict[str, Any]]:
    """Settle a completed booking now (the background settles them from the bus)."""
    done = await flows.settle(session, booking_id, policy_of(request))
    await session.commit()
    out = []
    for cost in done:
        booking = await session.get(Booking, cost.booking_id)
        assert booking is not None
        out.append(_trip_json(cost, booking))
    return out


@router.get("/exports/{kind}.{fmt}")
async def export(
    kind: Literal["publicity", "evaluation"],
    fmt: Literal["xlsx", "pdf"],
    request: Request,
    session: DbSession,
    month: str | None = None,
    unit_id: int | None = None,
    principal: Principal = require("costs.read"),
) -> Response:
    """The 公示 list of car use or the per-vehicle evaluation of a month, as xlsx or PDF."""
    chosen = _month(month)
    policy = policy_of(request)
    if kind == "publicity":
        table = await exports.publicity_table(session, principal, chosen, policy.timezone, unit_id)
    else:
        names = {u.id: u.name for u in (await session.scalars(select(OrgUnit))).all()}
        table = exports.evaluation_table(chosen, await sheets.evaluate(session, principal, chosen, policy), names)
    data = exports.to_xlsx(table) if fmt == "xlsx" else exports.to_pdf(table)
    media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx" else "application/pdf"
    filename = f"{kind}-{chosen}.{fmt}"
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
