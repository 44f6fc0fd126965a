"""Decode and encode whole GB/T 32960 frames; build the platform's response frames.

Strict: a bad start, a data-unit length that disagrees with the frame, a BCC mismatch, a data unit that
overruns or leaves bytes over raise :class:`~gongwu.devices.errors.Gb32960DecodeError`. There is no tolerant
mode. Times are Beijing wall-clock on the wire (``utc_offset`` overrides) and aware UTC in messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from gongwu.devices._wire import BEIJING, Reader, binary_time_bytes, check_range
from gongwu.devices.errors import EncodeError, Gb32960DecodeError
from gongwu.devices.gb32960 import messages as m
from gongwu.devices.gb32960.framing import HEADER, bcc
from gongwu.devices.gb32960.units import GbEdition

_STARTS: dict[bytes, GbEdition] = {b"##": "2016", b"$$": "2025"}
_START_OF: dict[GbEdition, bytes] = {"2016": b"##", "2025": b"$$"}


@dataclass(frozen=True, slots=True)
class Gb32960Message:
    """One frame: edition (from the start bytes), command, response flag, VIN, encryption, payload."""

    edition: GbEdition
    command: int
    response: int
    vin: str
    payload: m.Payload
    encryption: int = 0x01

    @property
    def terminal_id(self) -> str:
        return self.vin


def decode(frame: bytes, *, utc_offset: timedelta = BEIJING) -> Gb32960Message:
    """Decode one frame (start bytes through BCC)."""
    if len(frame) < HEADER + 1:
        raise Gb32960DecodeError(f"frame too short: {len(frame)} bytes", frame, len(frame))
    edition = _STARTS.get(bytes(frame[:2]))
    if edition is None:
        raise Gb32960DecodeError("frame does not start with ## or $$", frame, 0)
    length = int.from_bytes(frame[22:24], "big")
    if len(frame) != HEADER + length + 1:
        raise Gb32960DecodeError(
            f"data unit length {length} in the header, {len(frame) - HEADER - 1} bytes in the frame", frame, 22
        )
    expected = bcc(frame[2:-1])
    if frame[-1] != expected:
        raise Gb32960DecodeError(f"BCC 0x{frame[-1]:02x}, computed 0x{expected:02x}", frame, len(frame) - 1)
    command, response = frame[2], frame[3]
    r = Reader(frame, Gb32960DecodeError, pos=4, end=len(frame) - 1)
    vin = m.read_ascii(r, 17, "VIN")
    encryption = r.u8("encryption")
    r.pos = HEADER
    payload = _payload(r, edition, command, response, encryption, utc_offset)
    r.done(f"command 0x{command:02x} data unit")
    return Gb32960Message(edition, command, response, vin, payload, encryption)


def _payload(
    r: Reader, edition: GbEdition, command: int, response: int, encryption: int, offset: timedelta
) -> m.Payload:
    if encryption not in (0x01, 0xFE, 0xFF):
        return m.RawPayload(r.rest())
    if response != m.COMMAND:
        if r.remaining in (0, 6) and command < 0x80:
            return m.Response(m.read_time(r, offset) if r.remaining else None)
        return m.RawPayload(r.rest())
    if command == m.LOGIN:
        return _login(r, edition, offset)
    if command in (m.REALTIME, m.RESEND):
        return _report(r, edition, command == m.RESEND, offset)
    if command in (m.LOGOUT, m.PLATFORM_LOGOUT):
        time, serial = m.read_time(r, offset), r.u16("serial")
        return m.VehicleLogout(time, serial) if command == m.LOGOUT else m.PlatformLogout(time, serial)
    if command == m.PLATFORM_LOGIN:
        time, serial = m.read_time(r, offset), r.u16("serial")
        user, password = m.read_ascii(r, 12, "username"), m.read_ascii(r, 20, "password")
        return m.PlatformLogin(time, serial, user, password, r.u8("encryption rule"))
    if command == m.HEARTBEAT:
        return m.Heartbeat()
    if command == m.TIME_SYNC:
        return m.TimeSync()
    if edition == "2025" and command == m.ACTIVATION:
        time, chip = m.read_time(r, offset), m.read_ascii(r, 16, "chip id")
        key = r.take(r.u16("public key length"), "public key")
        vin = m.read_ascii(r, 17, "VIN")
        return m.Activation(time, chip, key, vin, m.read_signature(r))
    if edition == "2025" and command == m.ACTIVATION_RESPONSE:
        return m.ActivationResponse(r.u8("result"), r.u8("info"))
    return m.RawPayload(r.rest())


def _login(r: Reader, edition: GbEdition, offset: timedelta) -> m.VehicleLogin:
    time, serial, iccid = m.read_time(r, offset), r.u16("serial"), m.read_ascii(r, 20, "ICCID")
    count = r.u8("subsystem count")
    if edition == "2016":
        width = r.u8("code length")
        codes = tuple(m.read_ascii(r, width, "pack code") for _ in range(count))
        return m.VehicleLogin(time, serial, iccid, codes, width)
    per_bms = tuple(r.u8("packs per BMS") for _ in range(count))
    codes = tuple(m.read_ascii(r, 24, "pack code") for _ in range(sum(per_bms)))
    return m.VehicleLogin(time, serial, iccid, codes, 24, per_bms)


def _report(r: Reader, edition: GbEdition, resend: bool, offset: timedelta) -> m.RealtimeReport:
    time = m.read_time(r, offset)
    if edition == "2016":
        return m.RealtimeReport(time, m.read_units(r, edition, r.end), resend)
    stop = _units_end(r)
    units = m.read_units(r, edition, stop)
    if r.pos >= r.end:
        return m.RealtimeReport(time, units, resend)
    r.u8("signature starter")
    signature = m.read_signature(r)
    return m.RealtimeReport(time, units, resend, signature, r.rest())


def _units_end(r: Reader) -> int:
    """Where the 2025 units stop: at the first unit boundary holding the 0xFF signature starter."""
    probe = Reader(r.data, r.error, pos=r.pos, end=r.end, frame=r.frame)
    table = m.UNIT_TYPES["2025"]
    while probe.pos < probe.end:
        kind = probe.data[probe.pos]
        if kind == 0xFF:
            return probe.pos
        if kind not in table and not 0x80 <= kind <= 0xFE:
            found = m.signature_start(probe.data, probe.pos + 1, probe.end)
            return probe.end if found < 0 else found
        probe.pos += 1
        if kind in table:
            table[kind][1][0](probe, "2025")
        else:
            probe.take(probe.u16("vendor unit length"), "vendor unit")
    return probe.end


# ------------------------------------------------------------------ encoding


def encode(msg: Gb32960Message, *, utc_offset: timedelta = BEIJING) -> bytes:
    """The frame for a message (start bytes, header, data unit, BCC)."""
    data = _payload_bytes(msg, utc_offset)
    vin = m.ascii_field(msg.vin, 17, "VIN")
    head = (
        bytes((check_range(msg.command, 8, "command"), check_range(msg.response, 8, "response")))
        + vin
        + bytes((check_range(msg.encryption, 8, "encryption"),))
    )
    body = head + check_range(len(data), 16, "data length").to_bytes(2, "big") + data
    return _START_OF[msg.edition] + body + bytes((bcc(body),))


def _payload_bytes(msg: Gb32960Message, offset: timedelta) -> bytes:
    p = msg.payload
    ed = msg.edition

    def t(value: datetime) -> bytes:
        return binary_time_bytes(value, offset, "time")

    if isinstance(p, m.RawPayload):
        return p.data
    if isinstance(p, m.Response):
        return b"" if p.time is None else t(p.time)
    if isinstance(p, m.Heartbeat | m.TimeSync):
        return b""
    if isinstance(p, m.VehicleLogout | m.PlatformLogout):
        return t(p.time) + check_range(p.serial, 16, "serial").to_bytes(2, "big")
    if isinstance(p, m.PlatformLogin):
        return (
            t(p.time)
            + check_range(p.serial, 16, "serial").to_bytes(2, "big")
            + m.ascii_field(p.username, 12, "username")
            + m.ascii_field(p.password, 20, "password")
            + bytes((check_range(p.encryption, 8, "encryption"),))
        )
    if isinstance(p, m.VehicleLogin):
        return t(p.time) + _login_bytes(p, ed)
    if isinstance(p, m.RealtimeReport):
        out = t(p.time) + b"".join(m.unit_bytes(unit, ed) for unit in p.units)
        if p.signature is not None:
            if ed != "2025":
                raise EncodeError("signatures exist only in the 2025 edition")
            out += b"\xff" + m.signature_bytes(p.signature)
        elif p.trailing:
            raise EncodeError("trailing bytes follow a signature")
        return out + p.trailing
    if isinstance(p, m.Activation):
        key = check_range(len(p.public_key), 16, "key length").to_bytes(2, "big") + p.public_key
        head = t(p.time) + m.ascii_field(p.chip_id, 16, "chip id") + key + m.ascii_field(p.vin, 17, "VIN")
        return head + m.signature_bytes(p.signature)
    return bytes((check_range(p.result, 8, "result"), check_range(p.info, 8, "info")))


def _login_bytes(p: m.VehicleLogin, edition: GbEdition) -> bytes:
    out = check_range(p.serial, 16, "serial").to_bytes(2, "big") + m.ascii_field(p.iccid, 20, "ICCID")
    if edition == "2016":
        if p.packs_per_bms:
            raise EncodeError("packs_per_bms exists only in 2025")
        out += bytes((check_range(len(p.pack_codes), 8, "count"), check_range(p.code_length, 8, "code length")))
        return out + b"".join(m.ascii_field(c, p.code_length, "pack code") for c in p.pack_codes)
    if sum(p.packs_per_bms) != len(p.pack_codes):
        raise EncodeError("packs_per_bms must add up to the number of pack codes")
    out += bytes((check_range(len(p.packs_per_bms), 8, "BMS count"),))
    out += bytes(check_range(n, 8, "packs per BMS") for n in p.packs_per_bms)
    return out + b"".join(m.ascii_field(c, 24, "pack code") for c in p.pack_codes)


# ------------------------------------------------------------------ replies

ResponseFlag = Literal[1, 2, 3, 4, 5, 6, 7]


def reply(msg: Gb32960Message, *, result: int = m.OK, now: datetime | None = None) -> bytes | None:
    """The platform's response frame to a terminal command, with response flag ``result``.

    The data unit echoes the command's collection time (empty for heartbeat); a time-sync request is
    answered with ``now`` (required: the codec has no clock). Responses get no response.
    """
    if msg.response != m.COMMAND:
        return None
    p = msg.payload
    if msg.command == m.TIME_SYNC:
        if now is None:
            raise EncodeError("a time-sync response needs the platform time (now=…)")
        time: datetime | None = now
    else:
        time = getattr(p, "time", None)
    response = Gb32960Message(msg.edition, msg.command, result, msg.vin, m.Response(time), 0x01)
    return encode(response)
