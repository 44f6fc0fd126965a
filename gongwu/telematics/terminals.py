"""Terminals: provisioning and binding to a car, JT/T 808 registration and authentication, GB/T 32960 and NMEA
log-in, auto-provisioning. Never commits (the route, the CLI command or the gateway owns the transaction)."""

from __future__ import annotations

import re
import secrets
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.db import utcnow
from gongwu.core.errors import Conflict, InvalidInput, NotFound
from gongwu.core.fleet import service as fleet
from gongwu.core.fleet.identifiers import normalise_plate, normalise_vin
from gongwu.core.fleet.models import Vehicle
from gongwu.core.identity.models import OrgUnit
from gongwu.core.identity.principal import Principal
from gongwu.devices.jt808 import RegisterResult
from gongwu.telematics.models import PROTOCOLS, Terminal

__all__ = [
    "Binding",
    "RegisterOutcome",
    "authenticate_jt808",
    "auto_provision",
    "delete_terminal",
    "find_terminal",
    "get_terminal",
    "list_terminals",
    "log_in",
    "logout_jt808",
    "normalise_identifier",
    "provision",
    "register_jt808",
    "reset_registration",
    "update_terminal",
]

_PHONE = re.compile(r"^[0-9]{1,20}$")
_VIN = re.compile(r"^[0-9A-HJ-NPR-Z]{17}$")
_NMEA_ID = re.compile(r"^[A-Za-z0-9_.-]{1,20}$")
_PLATE_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"


@dataclass(frozen=True, slots=True)
class Binding:
    """Who a connection turned out to be: the terminal and the car it is bound to."""

    terminal_id: int
    vehicle_id: int
    protocol: str
    identifier: str


def _binding(t: Terminal) -> Binding:
    return Binding(t.id, t.vehicle_id, t.protocol, t.identifier)


def normalise_identifier(protocol: str, identifier: str) -> str:
    """JT/T 808: the phone/terminal number without leading zeros; GB/T 32960: the VIN; NMEA: a short name."""
    if protocol not in PROTOCOLS:
        raise InvalidInput(
            f"protocol must be one of {list(PROTOCOLS)}",
            code="telematics.bad_protocol",
            message_zh=f"协议须为 {list(PROTOCOLS)} 之一。",
        )
    value = identifier.strip()
    if protocol == "jt808":
        if not _PHONE.match(value):
            raise InvalidInput(
                "A JT/T 808 terminal is named by its phone / terminal number: 1 to 20 digits.",
                code="telematics.bad_identifier",
                message_zh="JT/T 808 终端以终端手机号（终端号）标识：1 至 20 位数字。",
            )
        return value.lstrip("0") or "0"
    if protocol == "gb32960":
        value = value.upper()
        if not _VIN.match(value):
            raise InvalidInput(
                "A GB/T 32960 terminal is named by its car's VIN: 17 characters, no I, O or Q.",
                code="telematics.bad_identifier",
                message_zh="GB/T 32960 终端以车辆的车架号（VIN）标识：17 位，不含 I、O、Q。",
            )
        return value
    if not _NMEA_ID.match(value):
        raise InvalidInput(
            "An NMEA terminal id is 1 to 20 letters, digits, '.', '_' or '-'.",
            code="telematics.bad_identifier",
            message_zh="NMEA 终端号须为 1 至 20 位字母、数字或“.”“_”“-”。",
        )
    return value


async def find_terminal(session: AsyncSession, protocol: str, identifier: str) -> Terminal | None:
    return await session.scalar(
        select(Terminal).where(Terminal.protocol == protocol, Terminal.identifier == identifier)
    )


async def _check_free(session: AsyncSession, vehicle_id: int, protocol: str, except_id: int | None = None) -> None:
    query = select(Terminal.id).where(Terminal.vehicle_id == vehicle_id, Terminal.protocol == protocol)
    if except_id is not None:
        query = query.where(Terminal.id != except_id)
    if await session.scalar(query):
        raise Conflict(
            f"The car already has a {protocol} terminal; unbind it first.",
            code="telematics.vehicle_has_terminal",
            message_zh=f"该车辆已绑定 {protocol} 终端，请先解绑。",
            details={"vehicle_id": vehicle_id, "protocol": protocol},
        )


async def provision(
    session: AsyncSession, *, protocol: str, identifier: str, vehicle_id: int, auto: bool = False
) -> Terminal:
    """A new terminal bound to a car (one terminal per protocol per car)."""
    ident = normalise_identifier(protocol, identifier)
    if await session.get(Vehicle, vehicle_id) is None:
        raise NotFound(
            f"Vehicle {vehicle_id} not found.", code="fleet.vehicle_not_found", message_zh=f"未找到车辆 {vehicle_id}。"
        )
    if await find_terminal(session, protocol, ident) is not None:
        raise Conflict(
            f"A {protocol} terminal {ident} exists already.",
            code="telematics.terminal_exists",
            message_zh=f"{protocol} 终端 {ident} 已存在。",
        )
    await _check_free(session, vehicle_id, protocol)
    terminal = Terminal(protocol=protocol, identifier=ident, vehicle_id=vehicle_id, auto_provisioned=auto)
    session.add(terminal)
    await session.flush()
    return terminal


async def get_terminal(session: AsyncSession, principal: Principal | None, terminal_id: int) -> Terminal:
    """A terminal whose car the principal may see (None: internal use)."""
    query = select(Terminal).where(Terminal.id == terminal_id)
    if principal is not None and (clause := principal.unit_filter(Vehicle.unit_id)) is not None:
        query = query.join(Vehicle, Vehicle.id == Terminal.vehicle_id).where(clause)
    terminal = await session.scalar(query)
    if terminal is None:
        raise NotFound(
            f"Terminal {terminal_id} not found.",
            code="telematics.terminal_not_found",
            message_zh=f"未找到终端 {terminal_id}。",
        )
    return terminal


async def list_terminals(
    session: AsyncSession,
    principal: Principal | None,
    *,
    vehicle_id: int | None = None,
    protocol: str | None = None,
    search: str | None = None,
) -> Sequence[tuple[Terminal, str]]:
    """(terminal, plate of its car) pairs in sight, ordered by plate."""
    query = select(Terminal, Vehicle.plate).join(Vehicle, Vehicle.id == Terminal.vehicle_id)
    if principal is not None and (clause := principal.unit_filter(Vehicle.unit_id)) is not None:
        query = query.where(clause)
    if vehicle_id is not None:
        query = query.where(Terminal.vehicle_id == vehicle_id)
    if protocol is not None:
        query = query.where(Terminal.protocol == protocol)
    if search:
        like = f"%{search.strip().upper()}%"
        query = query.where(Vehicle.plate.like(like) | Terminal.identifier.like(like))
    rows = await session.execute(query.order_by(Vehicle.plate, Terminal.protocol))
    return [(t, plate) for t, plate in rows.all()]


async def update_terminal(session: AsyncSession, terminal: Terminal, changes: dict[str, Any]) -> Terminal:
    """Re-bind to another car, or disable / enable. Re-binding clears the registration (it must register again)."""
    if "vehicle_id" in changes and changes["vehicle_id"] != terminal.vehicle_id:
        if await session.get(Vehicle, changes["vehicle_id"]) is None:
            raise NotFound(
                f"Vehicle {changes['vehicle_id']} not found.",
                code="fleet.vehicle_not_found",
                message_zh=f"未找到车辆 {changes['vehicle_id']}。",
            )
        await _check_free(session, changes["vehicle_id"], terminal.protocol, except_id=terminal.id)
        terminal.vehicle_id = changes["vehicle_id"]
        terminal.auth_code = None
        terminal.registered_at = None
    if "disabled" in changes:
        terminal.disabled = bool(changes["disabled"])
    await session.flush()
    return terminal


async def delete_terminal(session: AsyncSession, terminal: Terminal) -> None:
    await session.delete(terminal)
    await session.flush()


async def reset_registration(session: AsyncSession, terminal: Terminal) -> Terminal:
    """Forget the auth code: the terminal must register (0x0100) again."""
    terminal.auth_code = None
    terminal.registered_at = None
    await session.flush()
    return terminal


# -- the gateways' side ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RegisterOutcome:
    result: int
    auth_code: str | None = None
    binding: Binding | None = None


def _plate_or_none(plate: str) -> str | None:
    try:
        return normalise_plate(plate) if plate.strip() else None
    except InvalidInput:
        return None


async def register_jt808(
    session: AsyncSession,
    identifier: str,
    *,
    plate: str = "",
    maker: str = "",
    model: str = "",
    connected_elsewhere: bool = False,
    auto: bool = False,
    auto_unit: str | None = None,
) -> RegisterOutcome:
    """0x0100 终端注册 → the 0x8100 result (JT/T 808 table 4) and, on success, a fresh random auth code."""
    try:
        ident = normalise_identifier("jt808", identifier)
    except InvalidInput:
        return RegisterOutcome(RegisterResult.NO_SUCH_TERMINAL)
    wanted = _plate_or_none(plate)
    terminal = await find_terminal(session, "jt808", ident)
    if terminal is None:
        if not auto:
            return RegisterOutcome(RegisterResult.NO_SUCH_TERMINAL)
        if wanted is not None:
            owner = await session.scalar(select(Vehicle).where(Vehicle.plate == wanted))
            if owner is not None and await _has_terminal(session, owner.id, "jt808"):
                return RegisterOutcome(RegisterResult.VEHICLE_REGISTERED)
        terminal = await auto_provision(session, "jt808", ident, plate=wanted, unit_code=auto_unit)
    elif terminal.disabled:
        return RegisterOutcome(RegisterResult.NO_SUCH_TERMINAL)
    else:
        vehicle = await session.get(Vehicle, terminal.vehicle_id)
        if wanted is not None and vehicle is not None and wanted != vehicle.plate:
            owner = await session.scalar(select(Vehicle.id).where(Vehicle.plate == wanted))
            return RegisterOutcome(RegisterResult.VEHICLE_REGISTERED if owner else RegisterResult.NO_SUCH_VEHICLE)
        if connected_elsewhere:
            return RegisterOutcome(RegisterResult.TERMINAL_REGISTERED)
    terminal.auth_code = secrets.token_hex(8)
    terminal.registered_at = utcnow()
    if maker and terminal.maker != maker[:32]:
        terminal.maker = maker[:32]
    if model and terminal.model != model[:32]:
        terminal.model = model[:32]
    await session.flush()
    return RegisterOutcome(RegisterResult.OK, terminal.auth_code, _binding(terminal))


async def authenticate_jt808(
    session: AsyncSession, identifier: str, auth_code: str, *, imei: str = "", software_version: str = ""
) -> Binding | None:
    """0x0102 终端鉴权: the binding when the code is the one handed out, else None."""
    try:
        ident = normalise_identifier("jt808", identifier)
    except InvalidInput:
        return None
    terminal = await find_terminal(session, "jt808", ident)
    if terminal is None or terminal.disabled or not terminal.auth_code:
        return None
    if not secrets.compare_digest(terminal.auth_code.encode(), auth_code.strip().encode()):
        return None
    if imei and terminal.imei != imei[:20]:
        terminal.imei = imei[:20]
    if software_version and terminal.software_version != software_version[:32]:
        terminal.software_version = software_version[:32]
    await session.flush()
    return _binding(terminal)


async def logout_jt808(session: AsyncSession, terminal_id: int) -> None:
    """0x0003 终端注销: the registration is dropped; the terminal must register again."""
    terminal = await session.get(Terminal, terminal_id)
    if terminal is not None:
        await reset_registration(session, terminal)


async def log_in(
    session: AsyncSession, protocol: str, identifier: str, *, auto: bool = False, auto_unit: str | None = None
) -> Binding | None:
    """GB/T 32960 vehicle login (车辆登入) or the NMEA hello: the binding, or None for an unknown terminal."""
    try:
        ident = normalise_identifier(protocol, identifier)
    except InvalidInput:
        return None
    terminal = await find_terminal(session, protocol, ident)
    if terminal is None and auto:
        terminal = await auto_provision(session, protocol, ident, unit_code=auto_unit)
    if terminal is None or terminal.disabled:
        return None
    return _binding(terminal)


async def _has_terminal(session: AsyncSession, vehicle_id: int, protocol: str) -> bool:
    found = await session.scalar(
        select(Terminal.id).where(Terminal.vehicle_id == vehicle_id, Terminal.protocol == protocol)
    )
    return found is not None


async def auto_provision(
    session: AsyncSession, protocol: str, identifier: str, *, plate: str | None = None, unit_code: str | None = None
) -> Terminal:
    """Provision an unknown terminal: bound to the car it names (plate, or VIN for GB/T 32960) when that car has
    no terminal of the protocol yet, else to a new placeholder car (status 待登记, outside the quota)."""
    vehicle: Vehicle | None = None
    if plate:
        vehicle = await session.scalar(select(Vehicle).where(Vehicle.plate == plate))
    if vehicle is None and protocol == "gb32960":
        vehicle = await session.scalar(select(Vehicle).where(Vehicle.vin == identifier))
    if vehicle is not None and await _has_terminal(session, vehicle.id, protocol):
        vehicle = None
    if vehicle is None:
        vehicle = await _placeholder_vehicle(session, protocol, identifier, plate, unit_code)
    return await provision(session, protocol=protocol, identifier=identifier, vehicle_id=vehicle.id, auto=True)


async def _placeholder_vehicle(
    session: AsyncSession, protocol: str, identifier: str, plate: str | None, unit_code: str | None
) -> Vehicle:
    query = select(OrgUnit.id)
    query = query.where(OrgUnit.code == unit_code) if unit_code else query.where(OrgUnit.parent_id.is_(None))
    unit_id = await session.scalar(query.order_by(OrgUnit.id).limit(1))
    if unit_id is None:
        raise NotFound(
            "No unit to own auto-provisioned cars.",
            code="telematics.no_provision_unit",
            message_zh="没有可接收自动登记车辆的单位。",
        )
    if plate is None or await session.scalar(select(Vehicle.id).where(Vehicle.plate == plate)):
        plate = await _free_placeholder_plate(session, identifier)
    electric = protocol == "gb32960"
    return await fleet.create_vehicle(
        session,
        plate=plate,
        unit_id=unit_id,
        category="other",
        energy_type="bev" if electric else "fuel",
        seats=5,
        status="placeholder",
        make_model=f"{protocol} {identifier}"[:80],
        battery_kwh=60.0 if electric else None,
        vin=identifier if electric and _valid_vin(identifier) else None,
    )


def _valid_vin(vin: str) -> bool:
    try:
        normalise_vin(vin)
    except InvalidInput:
        return False
    return True


async def _free_placeholder_plate(session: AsyncSession, identifier: str) -> str:
    """京Z + five characters derived from the terminal id (a plate format no real car in 京 uses)."""
    salt = 0
    while True:
        n = zlib.crc32(f"{identifier}/{salt}".encode())
        chars = []
        for _ in range(5):
            n, r = divmod(n, len(_PLATE_CHARS))
            chars.append(_PLATE_CHARS[r])
        plate = "京Z" + "".join(chars)
        if not await session.scalar(select(Vehicle.id).where(Vehicle.plate == plate)):
            return plate
        salt += 1
