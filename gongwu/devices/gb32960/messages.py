"""GB/T 32960.3 commands (命令单元) and their data units, 2016 (``##``) and 2025 (``$$``).

Uplink commands with response flag 0xFE decode to typed bodies; a response frame (flag 0x01–0x07) decodes
to :class:`Response` (the echoed collection time, if any). 2025 signatures are kept as :class:`Signature`
(bytes exposed, not verified).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gongwu.devices._wire import Reader, check_range, wall_clock_to_utc
from gongwu.devices.errors import EncodeError
from gongwu.devices.gb32960 import units as u
from gongwu.devices.gb32960.units import GbEdition, Unit

LOGIN, REALTIME, RESEND, LOGOUT, PLATFORM_LOGIN, PLATFORM_LOGOUT, HEARTBEAT, TIME_SYNC = range(1, 9)
ACTIVATION, ACTIVATION_RESPONSE, KEY_SYNC = 0x09, 0x0A, 0x0B
COMMAND = 0xFE
"""Response flag of a command (not a response)."""
OK, ERROR, VIN_DUPLICATE, VIN_UNKNOWN = 0x01, 0x02, 0x03, 0x04


@dataclass(frozen=True, slots=True)
class Signature:
    """2025 signature block after the 0xFF starter: algorithm (1 SM2, 2 RSA, 3 ECC), r and s."""

    algorithm: int
    r: bytes
    s: bytes


@dataclass(frozen=True, slots=True)
class VehicleLogin:
    """车辆登入 (0x01). 2016: ``pack_codes`` all of one length; 2025: codes grouped per BMS (24 chars)."""

    time: datetime
    serial: int
    iccid: str
    pack_codes: tuple[str, ...]
    code_length: int = 0
    packs_per_bms: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class RealtimeReport:
    """实时信息上报 (0x02) or, with ``resend``, 补发信息上报 (0x03)."""

    time: datetime
    units: tuple[Unit, ...]
    resend: bool = False
    signature: Signature | None = None
    trailing: bytes = b""
    """2025: bytes some terminals send after the signature (kept, not interpreted)."""

    def unit(self, kind: type[Any]) -> Any:
        for item in self.units:
            if isinstance(item, kind):
                return item
        return None


@dataclass(frozen=True, slots=True)
class VehicleLogout:
    """车辆登出 (0x04)."""

    time: datetime
    serial: int


@dataclass(frozen=True, slots=True)
class PlatformLogin:
    """平台登入 (0x05)."""

    time: datetime
    serial: int
    username: str
    password: str
    encryption: int


@dataclass(frozen=True, slots=True)
class PlatformLogout:
    """平台登出 (0x06)."""

    time: datetime
    serial: int


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """心跳 (0x07), empty."""


@dataclass(frozen=True, slots=True)
class TimeSync:
    """终端校时 (0x08), empty; the platform answers with its time."""


@dataclass(frozen=True, slots=True)
class Activation:
    """车辆激活 (0x09, 2025): security chip id, public key, VIN, signature."""

    time: datetime
    chip_id: str
    public_key: bytes
    vin: str
    signature: Signature


@dataclass(frozen=True, slots=True)
class ActivationResponse:
    """激活应答 (0x0A, 2025): result 1 ok / 2 refused; info 1 ok, 2 chip used, 3 VIN duplicate."""

    result: int
    info: int


@dataclass(frozen=True, slots=True)
class Response:
    """A response frame (flag 0x01–0x07): the time it echoes (``None`` when the data unit is empty)."""

    time: datetime | None


@dataclass(frozen=True, slots=True)
class RawPayload:
    """A data unit this codec does not decode (encrypted, downlink query/control, unknown command)."""

    data: bytes


Payload = (
    VehicleLogin
    | RealtimeReport
    | VehicleLogout
    | PlatformLogin
    | PlatformLogout
    | Heartbeat
    | TimeSync
    | Activation
    | ActivationResponse
    | Response
    | RawPayload
)


# ------------------------------------------------------------------ shared pieces


def read_time(r: Reader, offset: timedelta, what: str = "time") -> datetime:
    at = r.pos
    y, mo, d, h, mi, s = r.take(6, what)
    try:
        return wall_clock_to_utc(2000 + y, mo, d, h, mi, s, offset)
    except ValueError as exc:
        r.fail(f"{what} {y:02d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}: {exc}", at)


def read_ascii(r: Reader, n: int, what: str) -> str:
    at = r.pos
    raw = r.take(n, what)
    try:
        return raw.rstrip(b"\x00").decode("ascii")
    except UnicodeDecodeError:
        r.fail(f"{what} is not ASCII", at)


def ascii_field(text: str, n: int, what: str) -> bytes:
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError as exc:
        raise EncodeError(f"{what} must be ASCII") from exc
    if len(raw) > n:
        raise EncodeError(f"{what} is longer than {n} characters")
    return raw.ljust(n, b"\x00")


def read_signature(r: Reader) -> Signature:
    algorithm = r.u8("signature algorithm")
    sig_r = r.take(r.u16("signature r length"), "signature r")
    sig_s = r.take(r.u16("signature s length"), "signature s")
    return Signature(algorithm, sig_r, sig_s)


def signature_bytes(sig: Signature) -> bytes:
    return (
        bytes((check_range(sig.algorithm, 8, "algorithm"),))
        + check_range(len(sig.r), 16, "r length").to_bytes(2, "big")
        + sig.r
        + check_range(len(sig.s), 16, "s length").to_bytes(2, "big")
        + sig.s
    )


def signature_start(data: bytes, pos: int, end: int) -> int:
    """The offset of a 0xFF starter whose signature ends exactly at ``end`` (or -1)."""
    at = data.find(b"\xff", pos, end)
    while at >= 0:
        p = at + 2
        if p + 2 <= end:
            p += 2 + int.from_bytes(data[p : p + 2], "big")
            if p + 2 <= end and p + 2 + int.from_bytes(data[p : p + 2], "big") == end:
                return at
        at = data.find(b"\xff", at + 1, end)
    return -1


# ------------------------------------------------------------------ unit dispatch

UnitCodec = tuple[Callable[[Reader, GbEdition], Unit], Callable[[Any, GbEdition], bytes]]

UNIT_TYPES: dict[GbEdition, dict[int, tuple[type[Unit], UnitCodec]]] = {
    "2016": {
        0x01: (u.VehicleData, (u.decode_vehicle, u.encode_vehicle)),
        0x02: (u.DriveMotors, (u.decode_motors, u.encode_motors)),
        0x03: (u.FuelCell, (u.decode_fuel_cell, u.encode_fuel_cell)),
        0x04: (u.Engine, (u.decode_engine, u.encode_engine)),
        0x05: (u.VehiclePosition, (u.decode_position, u.encode_position)),
        0x06: (u.Extremes, (u.decode_extremes, u.encode_extremes)),
        0x07: (u.Alarms, (u.decode_alarms, u.encode_alarms)),
        0x08: (u.PackVoltages, (u.decode_pack_voltages, u.encode_pack_voltages)),
        0x09: (u.PackTemperatures, (u.decode_pack_temps, u.encode_pack_temps)),
    },
    "2025": {
        0x01: (u.VehicleData, (u.decode_vehicle, u.encode_vehicle)),
        0x02: (u.DriveMotors, (u.decode_motors, u.encode_motors)),
        0x04: (u.Engine, (u.decode_engine, u.encode_engine)),
        0x05: (u.VehiclePosition, (u.decode_position, u.encode_position)),
        0x06: (u.Alarms, (u.decode_alarms, u.encode_alarms)),
        0x07: (u.PackVoltages, (u.decode_pack_voltages, u.encode_pack_voltages)),
        0x08: (u.PackTemperatures, (u.decode_pack_temps, u.encode_pack_temps)),
    },
}
_TYPE_OF: dict[GbEdition, dict[type[Unit], int]] = {
    ed: {cls: code for code, (cls, _) in table.items()} for ed, table in UNIT_TYPES.items()
}


def read_units(r: Reader, edition: GbEdition, stop: int) -> tuple[Unit, ...]:
    out: list[Unit] = []
    table = UNIT_TYPES[edition]
    while r.pos < stop:
        kind = r.u8("info type")
        entry = table.get(kind)
        if entry is not None:
            out.append(entry[1][0](r, edition))
        elif 0x80 <= kind <= 0xFE:
            out.append(u.VendorUnit(kind, r.take(r.u16("vendor unit length"), "vendor unit")))
        else:
            out.append(u.RawUnit(kind, r.take(stop - r.pos, "unit")))
        if r.pos > stop:
            r.fail("information unit runs into the signature")
    return tuple(out)


def unit_bytes(unit: Unit, edition: GbEdition) -> bytes:
    if isinstance(unit, u.VendorUnit):
        if not 0x80 <= unit.unit_type <= 0xFE:
            raise EncodeError("vendor units use types 0x80–0xFE")
        return bytes((unit.unit_type,)) + check_range(len(unit.data), 16, "length").to_bytes(2, "big") + unit.data
    if isinstance(unit, u.RawUnit):
        return bytes((check_range(unit.unit_type, 8, "unit type"),)) + unit.data
    code = _TYPE_OF[edition].get(type(unit))
    if code is None:
        raise EncodeError(f"{type(unit).__name__} does not exist in the {edition} edition")
    return bytes((code,)) + UNIT_TYPES[edition][code][1][1](unit, edition)
