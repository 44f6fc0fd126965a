"""HTTP and WebSocket API of telematics (``/api/telematics``); the contract is in docs/telematics.md."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response, WebSocket, WebSocketDisconnect
from sqlalchemy import select

from gongwu.core.db import utcnow
from gongwu.core.errors import DomainError
from gongwu.core.events import EventBus
from gongwu.core.fleet import service as fleet
from gongwu.core.fleet.models import Vehicle
from gongwu.core.http import DbSession, require, websocket_principal
from gongwu.core.identity.models import OrgUnit
from gongwu.core.identity.principal import Principal
from gongwu.core.identity.service import get_unit
from gongwu.telematics import commands, service, terminals, topics
from gongwu.telematics.consumers import alarm_json, trip_json
from gongwu.telematics.models import Terminal
from gongwu.telematics.schemas import (
    AckIn,
    CalendarDayIO,
    CalendarIO,
    CommandIn,
    CommandOut,
    DailyOut,
    GeofenceIn,
    GeofenceOut,
    GeofencePatch,
    LimitIn,
    StopOut,
    TerminalIn,
    TerminalOut,
    TerminalPatch,
    TrackOut,
)
from gongwu.telematics.settings import TelematicsSettings
from gongwu.telematics.state import shared_state

__all__ = ["router"]

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/telematics", tags=["telematics"])

WS_FLUSH_S = 0.25
"""The WebSocket sends positions at most four times a second (latest per car)."""


def _bus(request: Request | WebSocket) -> EventBus:
    return request.app.state.platform.bus  # type: ignore[no-any-return]


def _settings(request: Request | WebSocket) -> TelematicsSettings:
    settings = getattr(request.app.state.platform.settings, "telematics", None)
    return settings if isinstance(settings, TelematicsSettings) else TelematicsSettings()


# -- live ------------------------------------------------------------------------------------------------


@router.get("/live")
async def live(
    request: Request, session: DbSession, q: str | None = None, principal: Principal = require("telematics.live.read")
) -> list[dict[str, Any]]:
    """Every car in sight: position, speed, state (moving|idle|off|offline|alarm), SOC or fuel, open alarms."""
    return await service.live_cars(
        session, _bus(request), principal, offline_after_s=_settings(request).offline_after_s, search=q
    )


async def _ws_principal(websocket: WebSocket) -> tuple[Principal, list[dict[str, Any]], set[int] | None]:
    async with websocket.app.state.platform.db.session() as session:
        principal = await websocket_principal(websocket, session)
        principal.require("telematics.live.read")
        snapshot = await service.live_cars(
            session, _bus(websocket), principal, offline_after_s=_settings(websocket).offline_after_s
        )
        units = None
        if not principal.wide_sight:
            rows = await session.scalars(select(OrgUnit.id).where(OrgUnit.path.startswith(principal.unit_path)))
            units = set(rows.all())
    return principal, snapshot, units


@router.websocket("/live/ws")
async def live_ws(websocket: WebSocket) -> None:
    """``?token=<access token>``: a snapshot, then batched positions (≤ 4/s) and alarms of the cars in sight."""
    await websocket.accept()
    bus = _bus(websocket)
    async with bus.listen(topics.LIVE_CHANNEL, topics.ALARM_CHANNEL) as feed:
        try:
            _, snapshot, units = await _ws_principal(websocket)
        except DomainError as exc:
            await websocket.send_json({"type": "error", "error": exc.as_dict()})
            await websocket.close(code=4401 if exc.code.startswith("auth.") else 4400)
            return
        await websocket.send_json({"type": "snapshot", "vehicles": snapshot})
        pump = asyncio.create_task(_pump(websocket, feed, units))
        try:
            while True:  # the client says nothing; this notices it leaving
                await websocket.receive_text()
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pump


async def _pump(websocket: WebSocket, feed: Any, units: set[int] | None) -> None:
    pending: dict[int, dict[str, Any]] = {}
    loop = asyncio.get_running_loop()
    flush_at = loop.time() + WS_FLUSH_S
    iterator = feed.__aiter__()
    next_item: asyncio.Task[Any] | None = None
    try:
        while True:
            if next_item is None:
                next_item = asyncio.ensure_future(iterator.__anext__())
            done, _ = await asyncio.wait({next_item}, timeout=max(0.0, flush_at - loop.time()))
            if done:
                channel, payload = next_item.result()
                next_item = None
                if channel == topics.LIVE_CHANNEL:
                    for item in payload.get("items", []):
                        if units is None or item.get("unit_id") in units:
                            pending[int(item["vehicle_id"])] = item
                else:
                    alarm = payload.get("alarm") or {}
                    if units is None or alarm.get("unit_id") in units:
                        await websocket.send_json({"type": "alarm", "event": payload.get("event"), "alarm": alarm})
            if loop.time() >= flush_at:
                if pending:
                    await websocket.send_json({"type": "positions", "items": list(pending.values())})
                    pending = {}
                flush_at = loop.time() + WS_FLUSH_S
    finally:
        if next_item is not None:
            next_item.cancel()


# -- history ---------------------------------------------------------------------------------------------


@router.get("/vehicles/{vehicle_id}/track", response_model=TrackOut)
async def track(
    vehicle_id: int,
    session: DbSession,
    start: datetime | None = None,
    end: datetime | None = None,
    principal: Principal = require("telematics.live.read"),
) -> TrackOut:
    """The car's trusted points in [start, end) (default: the last 24 hours)."""
    return TrackOut(points=await service.track(session, principal, vehicle_id, start, end))


@router.get("/vehicles/{vehicle_id}/trips")
async def trips(
    vehicle_id: int,
    session: DbSession,
    start: datetime | None = None,
    end: datetime | None = None,
    principal: Principal = require("telematics.live.read"),
) -> list[dict[str, Any]]:
    """The car's trips that started in [start, end): times, places, distance, duration, max speed, fuel, energy."""
    return [trip_json(t) for t in await service.list_trips(session, principal, vehicle_id, start, end)]


@router.get("/vehicles/{vehicle_id}/stops", response_model=list[StopOut])
async def stops(
    vehicle_id: int,
    session: DbSession,
    start: datetime | None = None,
    end: datetime | None = None,
    principal: Principal = require("telematics.live.read"),
) -> list[StopOut]:
    rows = await service.list_stops(session, principal, vehicle_id, start, end)
    return [StopOut.model_validate(s) for s in rows]


@router.get("/vehicles/{vehicle_id}/daily", response_model=list[DailyOut])
async def daily(
    vehicle_id: int,
    session: DbSession,
    first: date | None = None,
    last: date | None = None,
    principal: Principal = require("telematics.live.read"),
) -> list[DailyOut]:
    """The car's daily summaries (kept for good, unlike raw points)."""
    last = last or utcnow().date()
    first = first or last - timedelta(days=30)
    rows = await service.daily_summaries(session, principal, vehicle_id, first, last)
    return [DailyOut.model_validate(d) for d in rows]


@router.put("/vehicles/{vehicle_id}/limit", status_code=204)
async def set_limit(
    vehicle_id: int, body: LimitIn, session: DbSession, principal: Principal = require("telematics.geofence.manage")
) -> Response:
    """The car's own overspeed limit (null: the default)."""
    await fleet.get_vehicle(session, principal, vehicle_id)
    await service.set_speed_limit(session, vehicle_id, body.speed_limit_kmh)
    await session.commit()
    return Response(status_code=204)


# -- alarms ----------------------------------------------------------------------------------------------


@router.get("/alarms")
async def alarms(
    session: DbSession,
    status: str | None = None,
    vehicle_id: int | None = None,
    limit: int = 200,
    principal: Principal = require("telematics.live.read"),
) -> list[dict[str, Any]]:
    """Alarms in sight, newest first (``status=open|acknowledged``)."""
    rows = await service.list_alarms(session, principal, status=status, vehicle_id=vehicle_id, limit=limit)
    return [alarm_json(a, plate) for a, plate in rows]


@router.post("/alarms/{alarm_id}/ack")
async def acknowledge(
    alarm_id: int,
    body: AckIn,
    request: Request,
    session: DbSession,
    principal: Principal = require("telematics.alarm.ack"),
) -> dict[str, Any]:
    """Acknowledge an alarm: who and when are kept on it and in the audit chain; the consoles are told."""
    alarm = await service.acknowledge_alarm(session, principal, alarm_id, body.note)
    await session.commit()
    out = alarm_json(alarm, await session.scalar(select(Vehicle.plate).where(Vehicle.id == alarm.vehicle_id)))
    payload = {"event": "acknowledged", "alarm": out}
    bus = _bus(request)
    try:
        await bus.publish(topics.ALARMS, payload)
        await bus.broadcast(topics.ALARM_CHANNEL, payload)
    except Exception:
        log.exception("announcing an acknowledgement failed")
    return out


# -- terminals and commands ------------------------------------------------------------------------------


async def _terminal_out(request: Request, terminal: Terminal, plate: str | None = None) -> TerminalOut:
    out = TerminalOut.model_validate(terminal)
    out.plate = plate
    out.registered = terminal.auth_code is not None if terminal.protocol == "jt808" else True
    out.online = await shared_state(_bus(request)).directory.holder(terminal.id) is not None
    return out


@router.get("/terminals", response_model=list[TerminalOut])
async def list_terminals(
    request: Request,
    session: DbSession,
    vehicle_id: int | None = None,
    protocol: str | None = None,
    q: str | None = None,
    principal: Principal = require("telematics.terminal.read"),
) -> list[TerminalOut]:
    rows = await terminals.list_terminals(session, principal, vehicle_id=vehicle_id, protocol=protocol, search=q)
    online = await shared_state(_bus(request)).directory.online()
    out = []
    for terminal, plate in rows:
        item = TerminalOut.model_validate(terminal)
        item.plate = plate
        item.registered = terminal.auth_code is not None if terminal.protocol == "jt808" else True
        item.online = terminal.id in online
        out.append(item)
    return out


@router.post("/terminals", response_model=TerminalOut, status_code=201)
async def provision(
    body: TerminalIn, request: Request, session: DbSession, principal: Principal = require("telematics.terminal.manage")
) -> TerminalOut:
    """Provision a terminal and bind it to a car (one terminal per protocol per car)."""
    vehicle = await fleet.get_vehicle(session, principal, body.vehicle_id)
    principal.check_unit(await get_unit(session, vehicle.unit_id), writing=True)
    terminal = await terminals.provision(
        session, protocol=body.protocol, identifier=body.identifier, vehicle_id=vehicle.id
    )
    await session.commit()
    return await _terminal_out(request, terminal, vehicle.plate)


@router.get("/terminals/{terminal_id}", response_model=TerminalOut)
async def get_terminal(
    terminal_id: int, request: Request, session: DbSession, principal: Principal = require("telematics.terminal.read")
) -> TerminalOut:
    terminal = await terminals.get_terminal(session, principal, terminal_id)
    return await _terminal_out(request, terminal)


@router.patch("/terminals/{terminal_id}", response_model=TerminalOut)
async def update_terminal(
    terminal_id: int,
    body: TerminalPatch,
    request: Request,
    session: DbSession,
    principal: Principal = require("telematics.terminal.manage"),
) -> TerminalOut:
    """Bind to another car (the terminal must register again) or disable / enable."""
    terminal = await terminals.get_terminal(session, principal, terminal_id)
    changes = body.model_dump(exclude_none=True)
    if "vehicle_id" in changes:
        await fleet.get_vehicle(session, principal, changes["vehicle_id"])
    await terminals.update_terminal(session, terminal, changes)
    await session.commit()
    return await _terminal_out(request, terminal)


@router.delete("/terminals/{terminal_id}", status_code=204)
async def delete_terminal(
    terminal_id: int, session: DbSession, principal: Principal = require("telematics.terminal.manage")
) -> Response:
    terminal = await terminals.get_terminal(session, principal, terminal_id)
    await terminals.delete_terminal(session, terminal)
    await session.commit()
    return Response(status_code=204)


@router.post("/terminals/{terminal_id}/reset", response_model=TerminalOut)
async def reset_terminal(
    terminal_id: int, request: Request, session: DbSession, principal: Principal = require("telematics.terminal.manage")
) -> TerminalOut:
    """Forget the JT/T 808 registration (the terminal registers again)."""
    terminal = await terminals.get_terminal(session, principal, terminal_id)
    await terminals.reset_registration(session, terminal)
    await session.commit()
    return await _terminal_out(request, terminal)


@router.get("/terminals/{terminal_id}/commands", response_model=list[CommandOut])
async def list_commands(
    terminal_id: int, session: DbSession, principal: Principal = require("telematics.terminal.read")
) -> list[CommandOut]:
    await terminals.get_terminal(session, principal, terminal_id)
    return [CommandOut.model_validate(c) for c in await commands.list_commands(session, terminal_id)]


@router.post("/terminals/{terminal_id}/commands", response_model=CommandOut, status_code=202)
async def send_command(
    terminal_id: int,
    body: CommandIn,
    request: Request,
    session: DbSession,
    principal: Principal = require("telematics.command.send"),
) -> CommandOut:
    """Queue a command; the gateway holding the terminal sends it and records the answer (poll the command)."""
    terminal = await terminals.get_terminal(session, principal, terminal_id)
    command = await commands.create_command(session, terminal, body.kind, body.args, principal)
    await session.commit()
    await commands.publish_command(_bus(request), command, terminal)
    return CommandOut.model_validate(command)


# -- geofences, calendars --------------------------------------------------------------------------------


@router.get("/geofences", response_model=list[GeofenceOut])
async def list_geofences(
    session: DbSession, principal: Principal = require("telematics.live.read")
) -> list[GeofenceOut]:
    return [GeofenceOut.model_validate(g) for g in await service.list_geofences(session, principal)]


@router.post("/geofences", response_model=GeofenceOut, status_code=201)
async def create_geofence(
    body: GeofenceIn, session: DbSession, principal: Principal = require("telematics.geofence.manage")
) -> GeofenceOut:
    principal.check_unit(await get_unit(session, body.unit_id), writing=True)
    fence = await service.create_geofence(session, **body.model_dump())
    await session.commit()
    return GeofenceOut.model_validate(fence)


@router.patch("/geofences/{geofence_id}", response_model=GeofenceOut)
async def update_geofence(
    geofence_id: int,
    body: GeofencePatch,
    session: DbSession,
    principal: Principal = require("telematics.geofence.manage"),
) -> GeofenceOut:
    fence = await service.update_geofence(session, principal, geofence_id, body.model_dump(exclude_unset=True))
    await session.commit()
    return GeofenceOut.model_validate(fence)


@router.delete("/geofences/{geofence_id}", status_code=204)
async def delete_geofence(
    geofence_id: int, session: DbSession, principal: Principal = require("telematics.geofence.manage")
) -> Response:
    await service.delete_geofence(session, principal, geofence_id)
    await session.commit()
    return Response(status_code=204)


@router.get("/calendars/{unit_id}", response_model=CalendarIO)
async def get_calendar(
    unit_id: int, session: DbSession, principal: Principal = require("telematics.live.read")
) -> CalendarIO:
    """The unit's own working calendar (defaults when it has none: no outside-hours alarms then)."""
    principal.check_unit(await get_unit(session, unit_id), writing=False)
    calendar, days = await service.get_calendar(session, unit_id)
    out = CalendarIO(unit_id=unit_id, days=[CalendarDayIO(day=d.day, kind=d.kind, name=d.name) for d in days])
    if calendar is not None:
        out.workdays, out.day_start, out.day_end = calendar.workdays, calendar.day_start, calendar.day_end
        out.exempt_categories = calendar.exempt_categories
    return out


@router.put("/calendars/{unit_id}", response_model=CalendarIO)
async def put_calendar(
    unit_id: int, body: CalendarIO, session: DbSession, principal: Principal = require("telematics.calendar.manage")
) -> CalendarIO:
    """Replace the unit's working hours, working weekdays, exempt categories, holidays and working weekend days."""
    principal.check_unit(await get_unit(session, unit_id), writing=True)
    await service.set_calendar(
        session,
        unit_id,
        workdays=body.workdays,
        day_start=body.day_start,
        day_end=body.day_end,
        exempt_categories=body.exempt_categories,
        days=[(d.day, d.kind, d.name) for d in body.days],
    )
    await session.commit()
    return body.model_copy(update={"unit_id": unit_id})
