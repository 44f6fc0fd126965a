"""Downlink commands: API → ``terminal_command`` row → bus topic ``telematics.commands`` → the gateway that
holds the terminal's connection → bytes to the terminal → its answer recorded on the row.

Every gateway reads the topic (each in its own consumer group) and ignores commands for terminals it does not
hold; a command for a terminal that is not connected stays ``queued`` and is sent when it authenticates.
Statuses: queued → sent → answered | failed (the terminal refused, or the protocol has no such command) |
timeout (no answer within ``GONGWU_COMMAND_TIMEOUT_S``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core import audit
from gongwu.core.db import Database, utcnow
from gongwu.core.errors import InvalidInput
from gongwu.core.events import EventBus
from gongwu.core.identity.principal import Principal
from gongwu.devices import EncodeError
from gongwu.devices import jt808 as j
from gongwu.devices.jt808.params import PARAM_KINDS
from gongwu.telematics import topics
from gongwu.telematics.models import Geofence, Terminal, TerminalCommand

__all__ = [
    "COMMAND_KINDS",
    "GB_QUERY",
    "claim",
    "create_command",
    "envelope",
    "expire_commands",
    "jt808_body",
    "list_commands",
    "mark",
    "publish_command",
    "queued_for",
    "set_serial",
]

COMMAND_KINDS: dict[str, tuple[str, ...]] = {
    "text": ("jt808",),
    "location_query": ("jt808",),
    "set_params": ("jt808",),
    "query_params": ("jt808",),
    "geofence_push": ("jt808",),
    "geofence_delete": ("jt808",),
    "gb_query": ("gb32960",),
}
"""Command kinds and the protocols that have them (JT/T 808 0x8300, 0x8201, 0x8103, 0x8104, 0x8600 family;
GB/T 32960 0x80 查询命令)."""

GB_QUERY = 0x80


def _param_id(key: str | int) -> int:
    try:
        return key if isinstance(key, int) else int(key, 0)
    except ValueError:
        raise InvalidInput(
            f"parameter id {key!r} is not a number (e.g. 0x0001)",
            code="telematics.bad_command",
            message_zh=f"参数编号 {key!r} 不是数字（例如 0x0001）。",
        ) from None


def _check_args(kind: str, args: dict[str, Any]) -> dict[str, Any]:
    if kind == "text":
        text = str(args.get("text", "")).strip()
        if not text or len(text.encode("gbk", "replace")) > 1000:
            raise InvalidInput(
                "A text message needs 1 to 1000 bytes of text.",
                code="telematics.bad_command",
                message_zh="文本信息须为 1 至 1000 字节。",
            )
        return {"text": text, "flags": int(args.get("flags", 0x0C)) & 0xFF}
    if kind == "set_params":
        params = args.get("params")
        if not isinstance(params, dict) or not params:
            raise InvalidInput(
                "set_params needs {params: {id: value}}.",
                code="telematics.bad_command",
                message_zh="设置参数须提供 {params: {编号: 值}}。",
            )
        checked = {}
        for key, value in params.items():
            pid = _param_id(key)
            if pid not in PARAM_KINDS:
                raise InvalidInput(
                    f"parameter 0x{pid:04x} is not a known terminal parameter",
                    code="telematics.bad_command",
                    message_zh=f"参数 0x{pid:04x} 不是已知的终端参数。",
                )
            checked[f"0x{pid:04x}"] = value
        return {"params": checked}
    if kind == "gb_query":
        ids = args.get("params") or list(range(1, 0x11))
        return {"params": [int(i) & 0xFF for i in ids]}
    return dict(args)


async def _geofence_args(session: AsyncSession, kind: str, args: dict[str, Any]) -> dict[str, Any]:
    fence = await session.get(Geofence, int(args.get("geofence_id", 0)))
    if fence is None:
        raise InvalidInput("No such geofence.", code="telematics.geofence_not_found", message_zh="电子围栏不存在。")
    out: dict[str, Any] = {"geofence_id": fence.id, "shape": fence.shape, "name": fence.name}
    if kind == "geofence_delete":
        return out
    if fence.shape == "circle":
        out |= {"lat": fence.center_lat, "lon": fence.center_lon, "radius_m": fence.radius_m}
    else:
        assert fence.geometry is not None
        ring = fence.geometry["coordinates"][0]
        out["points"] = [[lat, lon] for lon, lat in ring[:-1]]
    if fence.speed_limit_kmh:
        out["max_speed_kmh"] = int(fence.speed_limit_kmh)
    return out


async def create_command(
    session: AsyncSession, terminal: Terminal, kind: str, args: dict[str, Any], principal: Principal | None
) -> TerminalCommand:
    """A queued command (checked against what the terminal's protocol can do); recorded in the audit chain."""
    protocols = COMMAND_KINDS.get(kind)
    if protocols is None:
        raise InvalidInput(
            f"kind must be one of {list(COMMAND_KINDS)}",
            code="telematics.bad_command",
            message_zh=f"指令类型须为 {list(COMMAND_KINDS)} 之一。",
        )
    if terminal.protocol not in protocols:
        raise InvalidInput(
            f"A {terminal.protocol} terminal has no {kind!r} command.",
            code="telematics.command_not_supported",
            message_zh=f"{terminal.protocol} 终端不支持 {kind!r} 指令。",
        )
    checked = await _geofence_args(session, kind, args) if kind.startswith("geofence") else _check_args(kind, args)
    command = TerminalCommand(
        terminal_id=terminal.id,
        kind=kind,
        args=checked,
        status="queued",
        created_by_id=principal.user_id if principal else None,
        created_by_name=principal.username if principal else "system",
    )
    session.add(command)
    await session.flush()
    await audit.record(
        session, "telematics.command.send", "terminal_command", command.id, {"kind": kind, "args": checked}
    )
    return command


def envelope(command: TerminalCommand, terminal: Terminal) -> dict[str, Any]:
    """The event on ``telematics.commands``."""
    return {
        "command_id": command.id,
        "terminal_id": terminal.id,
        "protocol": terminal.protocol,
        "identifier": terminal.identifier,
        "kind": command.kind,
        "args": command.args,
    }


async def publish_command(bus: EventBus, command: TerminalCommand, terminal: Terminal) -> None:
    """After the command's row is committed: hand it to whichever gateway holds the terminal."""
    await bus.publish(topics.COMMANDS, envelope(command, terminal))


async def list_commands(session: AsyncSession, terminal_id: int, limit: int = 50) -> Sequence[TerminalCommand]:
    query = (
        select(TerminalCommand)
        .where(TerminalCommand.terminal_id == terminal_id)
        .order_by(TerminalCommand.id.desc())
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def queued_for(session: AsyncSession, terminal_id: int) -> Sequence[TerminalCommand]:
    query = (
        select(TerminalCommand)
        .where(TerminalCommand.terminal_id == terminal_id, TerminalCommand.status == "queued")
        .order_by(TerminalCommand.id)
    )
    return (await session.scalars(query)).all()


async def mark(db: Database, command_id: int, status: str, **fields: Any) -> None:
    """Record what became of a command (the gateway's side; its own short transaction)."""
    values: dict[str, Any] = {"status": status} | fields
    if status in ("answered", "failed"):
        values.setdefault("answered_at", utcnow())
    async with db.session() as session:
        await session.execute(update(TerminalCommand).where(TerminalCommand.id == command_id).values(**values))
        await session.commit()


async def set_serial(db: Database, command_id: int, serial: int) -> None:
    """Remember the message serial a command went out with (its answer names it)."""
    async with db.session() as session:
        await session.execute(update(TerminalCommand).where(TerminalCommand.id == command_id).values(serial=serial))
        await session.commit()


async def claim(db: Database, command_id: int, gateway_id: str) -> bool:
    """Take a queued command for sending (exactly one gateway or session wins); False if it is not queued."""
    async with db.session() as session:
        result = await session.execute(
            update(TerminalCommand)
            .where(TerminalCommand.id == command_id, TerminalCommand.status == "queued")
            .values(status="sent", sent_at=utcnow(), gateway_id=gateway_id)
        )
        await session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def expire_commands(session: AsyncSession, after: timedelta, now: datetime | None = None) -> int:
    """Sent commands without an answer for longer than ``after`` become ``timeout``; returns how many."""
    cutoff = (now or utcnow()) - after
    result = await session.execute(
        update(TerminalCommand)
        .where(TerminalCommand.status == "sent", TerminalCommand.sent_at < cutoff)
        .values(status="timeout")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# -- encoding (used by the gateways) ---------------------------------------------------------------------


def jt808_body(kind: str, args: dict[str, Any], edition: j.Edition = "2013") -> j.Body:
    """The JT/T 808 downlink body of a command. Raises EncodeError when it cannot be put on the wire."""
    if kind == "text":
        return j.TextMessage(int(args.get("flags", 0x0C)), str(args["text"]))
    if kind == "location_query":
        return j.QueryLocation()
    if kind == "query_params":
        return j.QueryParameters()
    if kind == "set_params":
        params = tuple(j.TerminalParameter(int(k, 0), v) for k, v in args["params"].items())
        return j.SetParameters(params)
    if kind in ("geofence_push", "geofence_delete"):
        return _area_body(kind, args, edition)
    raise EncodeError(f"no JT/T 808 command {kind!r}")


def _area_body(kind: str, args: dict[str, Any], edition: j.Edition) -> j.Body:
    area_id = int(args["geofence_id"])
    circle = args["shape"] == "circle"
    if kind == "geofence_delete":
        return j.DeleteCircleAreas((area_id,)) if circle else j.DeletePolygonAreas((area_id,))
    speed = args.get("max_speed_kmh")
    wide = edition == "2019"
    rules = j.AreaRules(
        max_speed_kmh=speed,
        overspeed_s=10 if speed else None,
        night_max_speed_kmh=speed if speed and wide else None,
        name=str(args.get("name", "")) if wide else "",
    )
    points = [(float(args["lat"]), float(args["lon"]))] if circle else [(float(a), float(b)) for a, b in args["points"]]
    # bit 1 speed limit; bits 2–5: alarm the driver and the platform on entering and on leaving; 6/7 south/west
    attributes = (0x0002 if speed else 0) | 0x003C
    attributes |= 0x0040 if points[0][0] < 0 else 0
    attributes |= 0x0080 if points[0][1] < 0 else 0
    if circle:
        lat, lon = points[0]
        return j.SetCircleAreas(1, (j.CircleArea(area_id, attributes, lat, lon, int(args["radius_m"]), rules),))
    return j.SetPolygonArea(area_id, attributes, tuple(points), rules)
