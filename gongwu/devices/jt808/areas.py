"""Geofence commands of JT/T 808: 0x8600–0x8605 (set/delete circle, rectangle and polygon areas).

Coordinates are degrees; their sign comes from area-attribute bits 6 (south) and 7 (west). Time windows
are kept as their 12 BCD digits ``YYMMDDhhmmss`` because the standard lets zero fields mean "every year /
month / day" — they are wall-clock patterns, not instants. 2019 adds a night speed limit and a name.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import ClassVar

from gongwu.devices._wire import Reader, bcd_bytes, check_range, gbk
from gongwu.devices.errors import EncodeError
from gongwu.devices.jt808.body import Body, Context, register

BY_TIME = 1 << 0
SPEED_LIMIT = 1 << 1
SOUTH = 1 << 6
WEST = 1 << 7


@dataclass(frozen=True, slots=True)
class AreaRules:
    """The optional parts every area shares (presence follows attribute bits 0 and 1)."""

    start: str | None = None
    end: str | None = None
    max_speed_kmh: int | None = None
    overspeed_s: int | None = None
    night_max_speed_kmh: int | None = None
    name: str = ""


@dataclass(frozen=True, slots=True)
class CircleArea:
    area_id: int
    attributes: int
    lat: float
    lon: float
    radius_m: int
    rules: AreaRules = AreaRules()


@dataclass(frozen=True, slots=True)
class RectangleArea:
    area_id: int
    attributes: int
    top_left: tuple[float, float]
    bottom_right: tuple[float, float]
    rules: AreaRules = AreaRules()


def _coord(r: Reader, attrs: int, what: str) -> tuple[float, float]:
    lat, lon = r.u32(f"{what} latitude") / 1e6, r.u32(f"{what} longitude") / 1e6
    return (-lat if attrs & SOUTH else lat, -lon if attrs & WEST else lon)


def _coord_bytes(point: tuple[float, float], attrs: int) -> bytes:
    out = b""
    for value, bit, what in ((point[0], SOUTH, "latitude"), (point[1], WEST, "longitude")):
        if value != 0 and (math.copysign(1.0, value) < 0) != bool(attrs & bit):
            raise EncodeError(f"area {what} sign disagrees with attribute bit {bit.bit_length() - 1}")
        out += struct.pack(">I", check_range(round(abs(value) * 1e6), 32, what))
    return out


def _rules_head(r: Reader, attrs: int) -> tuple[str | None, str | None, int | None, int | None]:
    start = end = None
    speed = duration = None
    if attrs & BY_TIME:
        start, end = r.bcd(6, "start time"), r.bcd(6, "end time")
    if attrs & SPEED_LIMIT:
        speed, duration = r.u16("max speed"), r.u8("overspeed duration")
    return start, end, speed, duration


def _rules_tail(r: Reader, attrs: int, ctx: Context) -> tuple[int | None, str]:
    if ctx.edition != "2019":
        return None, ""
    night = r.u16("night max speed") if attrs & SPEED_LIMIT else None
    return night, r.text(r.u16("name length"), "area name")


def _head_bytes(rules: AreaRules, attrs: int) -> bytes:
    out = b""
    if attrs & BY_TIME:
        if rules.start is None or rules.end is None:
            raise EncodeError("attribute bit 0 (by time) needs start and end")
        out += bcd_bytes(rules.start, 6, "start") + bcd_bytes(rules.end, 6, "end")
    elif rules.start is not None or rules.end is not None:
        raise EncodeError("start/end need attribute bit 0 (by time)")
    if attrs & SPEED_LIMIT:
        if rules.max_speed_kmh is None or rules.overspeed_s is None:
            raise EncodeError("attribute bit 1 (speed limit) needs max_speed_kmh and overspeed_s")
        out += struct.pack(
            ">HB",
            check_range(rules.max_speed_kmh, 16, "max_speed_kmh"),
            check_range(rules.overspeed_s, 8, "overspeed_s"),
        )
    elif rules.max_speed_kmh is not None or rules.overspeed_s is not None:
        raise EncodeError("a speed limit needs attribute bit 1")
    return out


def _tail_bytes(rules: AreaRules, attrs: int, ctx: Context) -> bytes:
    if ctx.edition != "2019":
        if rules.night_max_speed_kmh is not None or rules.name:
            raise EncodeError("night speed and area name exist only in 2019")
        return b""
    out = b""
    if attrs & SPEED_LIMIT:
        if rules.night_max_speed_kmh is None:
            raise EncodeError("a 2019 speed-limited area needs night_max_speed_kmh")
        out += struct.pack(">H", check_range(rules.night_max_speed_kmh, 16, "night_max_speed_kmh"))
    elif rules.night_max_speed_kmh is not None:
        raise EncodeError("a night speed limit needs attribute bit 1")
    name = gbk(rules.name, "area name")
    return out + struct.pack(">H", check_range(len(name), 16, "name length")) + name


@dataclass(frozen=True, slots=True)
class SetCircleAreas(Body):
    """0x8600 设置圆形区域; ``action`` 0 replace all, 1 append, 2 modify."""

    MSG_ID: ClassVar[int] = 0x8600
    action: int
    areas: tuple[CircleArea, ...]


def decode_circles(r: Reader, ctx: Context) -> SetCircleAreas:
    action, count = r.u8("action"), r.u8("count")
    areas = []
    for _ in range(count):
        area_id, attrs = r.u32("area id"), r.u16("attributes")
        lat, lon = _coord(r, attrs, "centre")
        radius = r.u32("radius")
        start, end, speed, duration = _rules_head(r, attrs)
        night, name = _rules_tail(r, attrs, ctx)
        areas.append(CircleArea(area_id, attrs, lat, lon, radius, AreaRules(start, end, speed, duration, night, name)))
    r.done("circle areas")
    return SetCircleAreas(action, tuple(areas))


def encode_circles(b: SetCircleAreas, ctx: Context) -> bytes:
    out = [bytes((check_range(b.action, 8, "action"), check_range(len(b.areas), 8, "count")))]
    for a in b.areas:
        out.append(
            struct.pack(">IH", check_range(a.area_id, 32, "area_id"), check_range(a.attributes, 16, "attributes"))
        )
        out.append(_coord_bytes((a.lat, a.lon), a.attributes))
        out.append(struct.pack(">I", check_range(a.radius_m, 32, "radius_m")))
        out.append(_head_bytes(a.rules, a.attributes) + _tail_bytes(a.rules, a.attributes, ctx))
    return b"".join(out)


@dataclass(frozen=True, slots=True)
class SetRectangleAreas(Body):
    """0x8602 设置矩形区域."""

    MSG_ID: ClassVar[int] = 0x8602
    action: int
    areas: tuple[RectangleArea, ...]


def decode_rectangles(r: Reader, ctx: Context) -> SetRectangleAreas:
    action, count = r.u8("action"), r.u8("count")
    areas = []
    for _ in range(count):
        area_id, attrs = r.u32("area id"), r.u16("attributes")
        top_left, bottom_right = _coord(r, attrs, "top-left"), _coord(r, attrs, "bottom-right")
        start, end, speed, duration = _rules_head(r, attrs)
        night, name = _rules_tail(r, attrs, ctx)
        rules = AreaRules(start, end, speed, duration, night, name)
        areas.append(RectangleArea(area_id, attrs, top_left, bottom_right, rules))
    r.done("rectangle areas")
    return SetRectangleAreas(action, tuple(areas))


def encode_rectangles(b: SetRectangleAreas, ctx: Context) -> bytes:
    out = [bytes((check_range(b.action, 8, "action"), check_range(len(b.areas), 8, "count")))]
    for a in b.areas:
        out.append(
            struct.pack(">IH", check_range(a.area_id, 32, "area_id"), check_range(a.attributes, 16, "attributes"))
        )
        out.append(_coord_bytes(a.top_left, a.attributes) + _coord_bytes(a.bottom_right, a.attributes))
        out.append(_head_bytes(a.rules, a.attributes) + _tail_bytes(a.rules, a.attributes, ctx))
    return b"".join(out)


@dataclass(frozen=True, slots=True)
class SetPolygonArea(Body):
    """0x8604 设置多边形区域: one polygon, vertices as (lat, lon)."""

    MSG_ID: ClassVar[int] = 0x8604
    area_id: int
    attributes: int
    points: tuple[tuple[float, float], ...]
    rules: AreaRules = AreaRules()


def decode_polygon(r: Reader, ctx: Context) -> SetPolygonArea:
    area_id, attrs = r.u32("area id"), r.u16("attributes")
    start, end, speed, duration = _rules_head(r, attrs)
    count = r.u16("vertex count")
    points = tuple(_coord(r, attrs, f"vertex {i + 1}") for i in range(count))
    night, name = _rules_tail(r, attrs, ctx)
    r.done("polygon area")
    return SetPolygonArea(area_id, attrs, points, AreaRules(start, end, speed, duration, night, name))


def encode_polygon(b: SetPolygonArea, ctx: Context) -> bytes:
    out = struct.pack(">IH", check_range(b.area_id, 32, "area_id"), check_range(b.attributes, 16, "attributes"))
    out += _head_bytes(b.rules, b.attributes)
    out += struct.pack(">H", check_range(len(b.points), 16, "vertex count"))
    out += b"".join(_coord_bytes(p, b.attributes) for p in b.points)
    return out + _tail_bytes(b.rules, b.attributes, ctx)


@dataclass(frozen=True, slots=True)
class DeleteCircleAreas(Body):
    """0x8601 删除圆形区域 (no ids = delete all)."""

    MSG_ID: ClassVar[int] = 0x8601
    area_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class DeleteRectangleAreas(Body):
    """0x8603 删除矩形区域."""

    MSG_ID: ClassVar[int] = 0x8603
    area_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class DeletePolygonAreas(Body):
    """0x8605 删除多边形区域."""

    MSG_ID: ClassVar[int] = 0x8605
    area_ids: tuple[int, ...] = ()


DeleteAreas = DeleteCircleAreas | DeleteRectangleAreas | DeletePolygonAreas


def _register_delete(cls: type[DeleteAreas]) -> None:
    def decode(r: Reader, ctx: Context) -> Body:
        count = r.u8("count")
        ids = tuple(r.u32("area id") for _ in range(count))
        r.done("area deletion")
        return cls(ids)

    def encode(b: Body, ctx: Context) -> bytes:
        assert isinstance(b, cls)
        count = check_range(len(b.area_ids), 8, "count")
        return bytes((count,)) + b"".join(struct.pack(">I", check_range(i, 32, "area id")) for i in b.area_ids)

    register(cls, decode, encode)  # type: ignore[arg-type]


register(SetCircleAreas, decode_circles, encode_circles)
register(SetRectangleAreas, decode_rectangles, encode_rectangles)
register(SetPolygonArea, decode_polygon, encode_polygon)
_register_delete(DeleteCircleAreas)
_register_delete(DeleteRectangleAreas)
_register_delete(DeletePolygonAreas)
