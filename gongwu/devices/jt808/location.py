"""Location information (位置信息汇报, the body of 0x0200, and of each item of 0x0201/0x0704/0x0801).

28 fixed bytes — alarm word, status word, latitude, longitude, altitude, speed, course, BCD time — then
additional items (附加信息) as id/length/value. Standard items with their standard length decode to typed
items; any other item (vendor ids, or a standard id with a length the standard does not give it) is kept
as :class:`RawItem`, bytes untouched. An item list that overruns the body is an error (strict) or kept as
``trailing`` bytes (tolerant).
"""

from __future__ import annotations

import enum
import math
import struct
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gongwu.devices._fast import builder
from gongwu.devices._wire import bcd_time_bytes, check_range, parse_bcd_time
from gongwu.devices.errors import EncodeError, Jt808DecodeError
from gongwu.devices.position import Alarm

_BASIC = struct.Struct(">IIIIHHH6s")
_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_ITEM_HEAD = struct.Struct(">BB")

ALARM_BITS: tuple[Alarm | None, ...] = (
    Alarm.SOS,
    Alarm.OVERSPEED,
    Alarm.FATIGUE_DRIVING,
    Alarm.DANGER_WARNING,
    Alarm.GNSS_FAULT,
    Alarm.GNSS_ANTENNA_CUT,
    Alarm.GNSS_ANTENNA_SHORT,
    Alarm.POWER_LOW,
    Alarm.POWER_CUT,
    Alarm.DISPLAY_FAULT,
    Alarm.TTS_FAULT,
    Alarm.CAMERA_FAULT,
    Alarm.IC_CARD_FAULT,
    Alarm.OVERSPEED_WARNING,
    Alarm.FATIGUE_WARNING,
    None,
    None,
    None,
    Alarm.DRIVING_TIMEOUT_TODAY,
    Alarm.PARKING_TIMEOUT,
    Alarm.AREA_IN_OUT,
    Alarm.ROUTE_IN_OUT,
    Alarm.ROUTE_TIME,
    Alarm.ROUTE_DEVIATION,
    Alarm.VSS_FAULT,
    Alarm.FUEL_ABNORMAL,
    Alarm.STOLEN,
    Alarm.ILLEGAL_IGNITION,
    Alarm.ILLEGAL_MOVEMENT,
    Alarm.COLLISION,
    Alarm.ROLLOVER,
    Alarm.ILLEGAL_DOOR_OPEN,
)
"""JT/T 808-2013/2019 table 24: the alarm word, bit by bit (bits 15–17 reserved)."""

_ALARM_CACHE: dict[int, frozenset[Alarm]] = {0: frozenset()}


def alarms_of(word: int) -> frozenset[Alarm]:
    """The named alarms set in a JT/T 808 alarm word."""
    hit = _ALARM_CACHE.get(word)
    if hit is None:
        hit = frozenset(a for bit, a in enumerate(ALARM_BITS) if a is not None and word >> bit & 1)
        if len(_ALARM_CACHE) < 1024:
            _ALARM_CACHE[word] = hit
    return hit


class Status(enum.IntFlag):
    """JT/T 808 table 25, the status word. Bits 8–9 are the load state (see :attr:`Location.load`)."""

    ACC_ON = 1 << 0
    POSITIONED = 1 << 1
    SOUTH = 1 << 2
    WEST = 1 << 3
    OUT_OF_SERVICE = 1 << 4
    COORDINATES_ENCRYPTED = 1 << 5
    LOAD_BIT0 = 1 << 8
    LOAD_BIT1 = 1 << 9
    OIL_CUT = 1 << 10
    CIRCUIT_CUT = 1 << 11
    DOOR_LOCKED = 1 << 12
    DOOR1_OPEN = 1 << 13
    DOOR2_OPEN = 1 << 14
    DOOR3_OPEN = 1 << 15
    DOOR4_OPEN = 1 << 16
    DOOR5_OPEN = 1 << 17
    GPS = 1 << 18
    BEIDOU = 1 << 19
    GLONASS = 1 << 20
    GALILEO = 1 << 21
    MOVING = 1 << 22


# ---------------------------------------------------------------- additional items


@dataclass(frozen=True, slots=True)
class Mileage:
    """0x01 里程: odometer, 1/10 km."""

    km: float


@dataclass(frozen=True, slots=True)
class FuelGauge:
    """0x02 油量: fuel on the gauge, 1/10 L."""

    litres: float


@dataclass(frozen=True, slots=True)
class RecorderSpeed:
    """0x03 行驶记录功能获取的速度, 1/10 km/h."""

    kmh: float


@dataclass(frozen=True, slots=True)
class AlarmEventId:
    """0x04 需要人工确认报警事件的 ID."""

    event_id: int


@dataclass(frozen=True, slots=True)
class TirePressures:
    """0x05 胎压 (2019): 30 bytes, one per tyre, 0xFF = no tyre."""

    values: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class CarriageTemperature:
    """0x06 车厢温度 (2019): °C, sign-magnitude word."""

    celsius: int


@dataclass(frozen=True, slots=True)
class OverspeedAlarm:
    """0x11 超速报警附加信息: location type (0 none, 1 circle, 2 rectangle, 3 polygon, 4 route)."""

    location_type: int
    area_id: int | None = None


@dataclass(frozen=True, slots=True)
class AreaRouteAlarm:
    """0x12 进出区域/路线报警附加信息: direction 0 = in, 1 = out."""

    location_type: int
    area_id: int
    direction: int


@dataclass(frozen=True, slots=True)
class RouteTimeAlarm:
    """0x13 路段行驶时间不足/过长: result 0 = too short, 1 = too long."""

    route_id: int
    seconds: int
    result: int


@dataclass(frozen=True, slots=True)
class ExtendedSignals:
    """0x25 扩展车辆信号状态位 (lights, brake, gears… as bits)."""

    bits: int


@dataclass(frozen=True, slots=True)
class IoStatus:
    """0x2A IO 状态位 (bit 0 deep sleep, bit 1 sleep)."""

    bits: int


@dataclass(frozen=True, slots=True)
class AnalogInputs:
    """0x2B 模拟量: AD0 in bits 0–15, AD1 in bits 16–31."""

    ad0: int
    ad1: int


@dataclass(frozen=True, slots=True)
class SignalStrength:
    """0x30 无线通信网络信号强度."""

    rssi: int


@dataclass(frozen=True, slots=True)
class GnssSatellites:
    """0x31 GNSS 定位卫星数."""

    count: int


@dataclass(frozen=True, slots=True)
class RawItem:
    """Any other additional item, bytes as received (vendor items, odd lengths)."""

    item_id: int
    data: bytes


Item = (
    Mileage
    | FuelGauge
    | RecorderSpeed
    | AlarmEventId
    | TirePressures
    | CarriageTemperature
    | OverspeedAlarm
    | AreaRouteAlarm
    | RouteTimeAlarm
    | ExtendedSignals
    | IoStatus
    | AnalogInputs
    | SignalStrength
    | GnssSatellites
    | RawItem
)


def _sign_magnitude(word: int) -> int:
    return -(word & 0x7FFF) if word & 0x8000 else word


def decode_item(item_id: int, value: bytes) -> Item:
    """One additional item: typed when the id is standard and the length is the standard's."""
    n = len(value)
    if item_id == 0x01 and n == 4:
        return Mileage(_U32.unpack(value)[0] / 10)
    if item_id == 0x30 and n == 1:
        return SignalStrength(value[0])
    if item_id == 0x31 and n == 1:
        return GnssSatellites(value[0])
    if item_id == 0x02 and n == 2:
        return FuelGauge(_U16.unpack(value)[0] / 10)
    if item_id == 0x03 and n == 2:
        return RecorderSpeed(_U16.unpack(value)[0] / 10)
    if item_id == 0x25 and n == 4:
        return ExtendedSignals(_U32.unpack(value)[0])
    if item_id == 0x2A and n == 2:
        return IoStatus(_U16.unpack(value)[0])
    if item_id == 0x2B and n == 4:
        word = _U32.unpack(value)[0]
        return AnalogInputs(word & 0xFFFF, word >> 16)
    if item_id == 0x04 and n == 2:
        return AlarmEventId(_U16.unpack(value)[0])
    if item_id == 0x05 and n == 30:
        return TirePressures(tuple(value))
    if item_id == 0x06 and n == 2:
        return CarriageTemperature(_sign_magnitude(_U16.unpack(value)[0]))
    if item_id == 0x11 and n in (1, 5):
        return OverspeedAlarm(value[0], _U32.unpack_from(value, 1)[0] if n == 5 else None)
    if item_id == 0x12 and n == 6:
        return AreaRouteAlarm(value[0], _U32.unpack_from(value, 1)[0], value[5])
    if item_id == 0x13 and n == 7:
        route_id, seconds, result = struct.unpack(">IHB", value)
        return RouteTimeAlarm(route_id, seconds, result)
    return RawItem(item_id, value)


def _tenths(value: float, bits: int, what: str) -> int:
    raw = round(value * 10)
    return check_range(raw, bits, what)


def encode_item(item: Item) -> bytes:
    """``id, length, value`` of one additional item."""
    if isinstance(item, Mileage):
        item_id, value = 0x01, _U32.pack(_tenths(item.km, 32, "mileage"))
    elif isinstance(item, FuelGauge):
        item_id, value = 0x02, _U16.pack(_tenths(item.litres, 16, "fuel"))
    elif isinstance(item, RecorderSpeed):
        item_id, value = 0x03, _U16.pack(_tenths(item.kmh, 16, "recorder speed"))
    elif isinstance(item, AlarmEventId):
        item_id, value = 0x04, _U16.pack(check_range(item.event_id, 16, "alarm event id"))
    elif isinstance(item, TirePressures):
        if len(item.values) != 30:
            raise EncodeError("tire pressures need exactly 30 values")
        item_id, value = 0x05, bytes(item.values)
    elif isinstance(item, CarriageTemperature):
        if not -0x7FFF <= item.celsius <= 0x7FFF:
            raise EncodeError(f"carriage temperature {item.celsius} out of range")
        word = (0x8000 | -item.celsius) if item.celsius < 0 else item.celsius
        item_id, value = 0x06, _U16.pack(word)
    elif isinstance(item, OverspeedAlarm):
        value = bytes((check_range(item.location_type, 8, "location type"),))
        if item.area_id is not None:
            value += _U32.pack(check_range(item.area_id, 32, "area id"))
        item_id = 0x11
    elif isinstance(item, AreaRouteAlarm):
        item_id = 0x12
        value = struct.pack(
            ">BIB",
            check_range(item.location_type, 8, "location type"),
            check_range(item.area_id, 32, "area id"),
            check_range(item.direction, 8, "direction"),
        )
    elif isinstance(item, RouteTimeAlarm):
        item_id = 0x13
        value = struct.pack(
            ">IHB",
            check_range(item.route_id, 32, "route id"),
            check_range(item.seconds, 16, "seconds"),
            check_range(item.result, 8, "result"),
        )
    elif isinstance(item, ExtendedSignals):
        item_id, value = 0x25, _U32.pack(check_range(item.bits, 32, "extended signals"))
    elif isinstance(item, IoStatus):
        item_id, value = 0x2A, _U16.pack(check_range(item.bits, 16, "io status"))
    elif isinstance(item, AnalogInputs):
        word = check_range(item.ad0, 16, "ad0") | check_range(item.ad1, 16, "ad1") << 16
        item_id, value = 0x2B, _U32.pack(word)
    elif isinstance(item, SignalStrength):
        item_id, value = 0x30, bytes((check_range(item.rssi, 8, "rssi"),))
    elif isinstance(item, GnssSatellites):
        item_id, value = 0x31, bytes((check_range(item.count, 8, "satellites"),))
    else:
        item_id, value = check_range(item.item_id, 8, "item id"), item.data
    if len(value) > 255:
        raise EncodeError(f"additional item 0x{item_id:02x} has {len(value)} bytes (max 255)")
    return bytes((item_id, len(value))) + value


# ---------------------------------------------------------------- the location body


@dataclass(frozen=True, slots=True)
class Location:
    """One location record. ``lat``/``lon`` are signed degrees (south/west from the status bits)."""

    alarm: int
    status: int
    lat: float
    lon: float
    altitude_m: int
    speed_kmh: float
    course: int
    time: datetime | None
    items: tuple[Item, ...] = ()
    trailing: bytes = b""
    """Bytes after the last well-formed item (only in tolerant mode)."""

    @property
    def alarms(self) -> frozenset[Alarm]:
        return alarms_of(self.alarm)

    @property
    def status_flags(self) -> Status:
        return Status(self.status)

    @property
    def acc_on(self) -> bool:
        return bool(self.status & 1)

    @property
    def positioned(self) -> bool:
        return bool(self.status & 2)

    @property
    def load(self) -> int:
        """0 empty, 1 half loaded, 3 full (status bits 8–9)."""
        return (self.status >> 8) & 3

    def item(self, kind: type[Item]) -> Item | None:
        """The first additional item of a type, e.g. ``loc.item(Mileage)``."""
        for it in self.items:
            if type(it) is kind:
                return it
        return None


_new_location = builder(Location)
_new_mileage = builder(Mileage)
_new_fuel = builder(FuelGauge)
_new_recorder = builder(RecorderSpeed)
_new_signals = builder(ExtendedSignals)
_new_io = builder(IoStatus)
_new_rssi = builder(SignalStrength)
_new_sats = builder(GnssSatellites)
_new_raw = builder(RawItem)
_u16_at = _U16.unpack_from
_u32_at = _U32.unpack_from
_STANDARD_IDS = frozenset((0x04, 0x05, 0x06, 0x11, 0x12, 0x13, 0x2B))


def decode_location(
    data: bytes,
    pos: int,
    end: int,
    utc_offset: timedelta,
    frame: bytes,
    base: int,
    strict: bool,
    *,
    _basic: Any = _BASIC.unpack_from,
    _u16: Any = _u16_at,
    _u32: Any = _u32_at,
    _mileage: Any = _new_mileage,
    _rssi: Any = _new_rssi,
    _sats: Any = _new_sats,
    _fuel: Any = _new_fuel,
    _recorder: Any = _new_recorder,
    _signals: Any = _new_signals,
    _io: Any = _new_io,
    _raw: Any = _new_raw,
    _location: Any = _new_location,
    _time: Any = parse_bcd_time,
) -> Location:
    """Decode ``data[pos:end]`` as one location; ``base`` maps offsets into the un-escaped frame.

    This is the hot path of the gateway: the common items are decoded inline (same results as
    :func:`decode_item`) and objects are built with :func:`~gongwu.devices._fast.builder`.
    """
    if end - pos < 28:
        raise Jt808DecodeError(f"location needs 28 bytes, {end - pos} present", frame, base + pos)
    alarm, status, lat_raw, lon_raw, altitude, speed, course, time_raw = _basic(data, pos)
    try:
        time = _time(time_raw, utc_offset)
    except ValueError as exc:
        raise Jt808DecodeError(f"location time: {exc}", frame, base + pos + 22) from None
    lat = -lat_raw / 1e6 if status & 4 else lat_raw / 1e6
    lon = -lon_raw / 1e6 if status & 8 else lon_raw / 1e6
    pos += 28
    items: list[Item] = []
    append = items.append
    trailing = b""
    while pos < end:
        if pos + 2 > end or pos + 2 + data[pos + 1] > end:
            if strict:
                raise Jt808DecodeError(
                    f"additional item 0x{data[pos]:02x} overruns the location body", frame, base + pos
                )
            trailing = bytes(data[pos:end])
            break
        item_id = data[pos]
        length = data[pos + 1]
        at = pos + 2
        pos = at + length
        if item_id == 0x01 and length == 4:
            append(_mileage(_u32(data, at)[0] / 10))
        elif item_id == 0x30 and length == 1:
            append(_rssi(data[at]))
        elif item_id == 0x31 and length == 1:
            append(_sats(data[at]))
        elif item_id == 0x02 and length == 2:
            append(_fuel(_u16(data, at)[0] / 10))
        elif item_id == 0x03 and length == 2:
            append(_recorder(_u16(data, at)[0] / 10))
        elif item_id == 0x25 and length == 4:
            append(_signals(_u32(data, at)[0]))
        elif item_id == 0x2A and length == 2:
            append(_io(_u16(data, at)[0]))
        elif item_id in _STANDARD_IDS:
            append(decode_item(item_id, data[at:pos]))
        else:
            append(_raw(item_id, data[at:pos]))
    loc: Location = _location(alarm, status, lat, lon, altitude, speed / 10, course, time, tuple(items), trailing)
    return loc


def _coordinate(value: float, negative_bit: bool, what: str) -> int:
    negative = math.copysign(1.0, value) < 0
    if value != 0 and negative != negative_bit:
        raise EncodeError(f"{what} sign disagrees with the status word's south/west bit")
    return check_range(round(abs(value) * 1e6), 32, what)


def encode_location(loc: Location, utc_offset: timedelta) -> bytes:
    out = _BASIC.pack(
        check_range(loc.alarm, 32, "alarm"),
        check_range(loc.status, 32, "status"),
        _coordinate(loc.lat, bool(loc.status & 4), "latitude"),
        _coordinate(loc.lon, bool(loc.status & 8), "longitude"),
        check_range(loc.altitude_m, 16, "altitude"),
        _tenths(loc.speed_kmh, 16, "speed"),
        check_range(loc.course, 16, "course"),
        bcd_time_bytes(loc.time, utc_offset, "location time"),
    )
    return out + b"".join(encode_item(i) for i in loc.items) + loc.trailing
