"""The ingest fast path: a JT/T 808 frame straight to its header and :class:`Position` list.

The pipeline needs, per frame, the positions and what the 0x8001 ack needs — not the typed additional
item objects of :class:`~gongwu.devices.jt808.Location`. For the hot message, 0x0200, this walks the items
once and fills the Position directly; every other message (and any frame when a vendor quirk applies) goes
through :func:`~gongwu.devices.jt808.decode` and :func:`~gongwu.devices.jt808.positions`. The result is the
same Position either way (a test checks it on every vector and on generated frames); errors are the same
:class:`~gongwu.devices.errors.Jt808DecodeError`.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from gongwu.devices._fast import builder
from gongwu.devices._wire import BEIJING, parse_bcd_time
from gongwu.devices.errors import Jt808DecodeError
from gongwu.devices.jt808.codec import decode
from gongwu.devices.jt808.framing import checksum, unescape
from gongwu.devices.jt808.header import Header, parse_header
from gongwu.devices.jt808.location import alarms_of
from gongwu.devices.jt808.positions import positions
from gongwu.devices.jt808.quirks import Jt808Quirk
from gongwu.devices.position import Extra, ExtraValue, Position

_BASIC = struct.Struct(">IIIIHHH6s").unpack_from
_U16 = struct.Struct(">H").unpack_from
_U32 = struct.Struct(">I").unpack_from
_new_position = builder(Position)


@dataclass(frozen=True, slots=True)
class FramePositions:
    """One frame's header (serial and id for the ack) and the positions it carries."""

    header: Header
    positions: list[Position]


_new_result = builder(FramePositions)
_KINDS = bytes(
    {0x01: 1, 0x31: 2, 0x30: 3, 0x02: 4, 0x03: 5, 0x2A: 6, 0x25: 7, 0x2B: 8, 0x04: 9}.get(i, 0) for i in range(256)
)
_STATUS, _ALARM, _SATS, _RSSI = Extra.STATUS_BITS, Extra.ALARM_BITS, Extra.SATELLITES, Extra.RSSI
_RECORDER, _IO, _SIGNALS = Extra.RECORDER_SPEED_KMH, Extra.IO_STATUS, Extra.EXT_SIGNALS
_AD0, _AD1, _EVENT = Extra.ANALOG_AD0, Extra.ANALOG_AD1, Extra.ALARM_EVENT_ID


def decode_positions(
    frame: bytes, *, utc_offset: timedelta = BEIJING, strict: bool = True, quirk: Jt808Quirk | None = None
) -> FramePositions:
    """Header and positions of one wire frame; raises :class:`Jt808DecodeError` like :func:`decode`."""
    if frame[:1] == b"\x7e" and frame[-1:] == b"\x7e" and frame.count(b"\x7e") == 2 and b"\x7d" not in frame:
        content = frame[1:-1]  # the common case: nothing escaped
    else:
        content = unescape(frame, strict=strict)
    if len(content) < 13 or quirk is not None or not strict or checksum(content):
        # short, quirky, tolerant or a bad check code (the XOR of the frame and its code is not 0):
        # the general path decodes or raises the standard error
        msg = decode(frame, utc_offset=utc_offset, strict=strict)
        return FramePositions(msg.header, positions(msg, quirk=quirk))
    end = len(content) - 1
    header, pos, _ = parse_header(content, frame, end)
    if header.msg_id != 0x0200 or header.subpackage is not None or header.encryption:
        msg = decode(frame, utc_offset=utc_offset, strict=strict)
        return FramePositions(msg.header, positions(msg))
    return _new_result(header, [_position(content, pos, end, utc_offset, frame, header.terminal_id)])


def _position(
    data: bytes,
    pos: int,
    end: int,
    utc_offset: timedelta,
    frame: bytes,
    terminal_id: str,
    *,
    _basic: Any = _BASIC,
    _time: Any = parse_bcd_time,
    _new: Any = _new_position,
    _alarms: Any = alarms_of,
) -> Position:
    if end - pos < 28:
        raise Jt808DecodeError(f"location needs 28 bytes, {end - pos} present", frame, pos)
    alarm, status, lat_raw, lon_raw, altitude, speed, course, time_raw = _basic(data, pos)
    try:
        time = _time(time_raw, utc_offset)
    except ValueError as exc:
        raise Jt808DecodeError(f"location time: {exc}", frame, pos + 22) from None
    extras: dict[Extra, ExtraValue] = {_STATUS: status}
    if alarm:
        extras[_ALARM] = alarm
    pos += 28
    layout = _layouts.get(end - pos)
    found = layout(data, pos, extras) if layout is not None else None
    if found is not None:
        odometer, fuel = found
    else:
        odometer, fuel = _walk(data, pos, end, frame, extras)
    built: Position = _new(
        terminal_id,
        time,
        -lat_raw / 1e6 if status & 4 else lat_raw / 1e6,
        -lon_raw / 1e6 if status & 8 else lon_raw / 1e6,
        bool(status & 2),
        float(altitude),
        speed / 10,
        float(course),
        bool(status & 1),
        odometer,
        fuel,
        None,
        _alarms(alarm),
        extras,
    )
    return built


def _walk(
    data: bytes,
    pos: int,
    end: int,
    frame: bytes,
    extras: dict[Extra, ExtraValue],
    *,
    _u16: Any = _U16,
    _u32: Any = _U32,
    _kind: Any = _KINDS,
) -> tuple[float | None, float | None]:
    """The additional items one by one (the odometer and fuel returned, the rest into ``extras``); then the
    region's layout is learned for the next frame of the same length."""
    start = pos
    odometer = fuel = None
    while pos < end:
        at = pos + 2
        if at > end or at + data[pos + 1] > end:
            raise Jt808DecodeError(f"additional item 0x{data[pos]:02x} overruns the location body", frame, pos)
        kind = _kind[data[pos]]
        length = data[pos + 1]
        pos = at + length
        if not kind:
            continue  # vendor item: nothing for the Position without a quirk
        if kind == 1:
            if length == 4:
                odometer = _u32(data, at)[0] / 10
        elif kind == 2:
            if length == 1:
                extras[_SATS] = data[at]
        elif kind == 3:
            if length == 1:
                extras[_RSSI] = data[at]
        elif kind == 4:
            if length == 2:
                fuel = _u16(data, at)[0] / 10
        elif kind == 5:
            if length == 2:
                extras[_RECORDER] = _u16(data, at)[0] / 10
        elif kind == 6:
            if length == 2:
                extras[_IO] = _u16(data, at)[0]
        elif kind == 7:
            if length == 4:
                extras[_SIGNALS] = _u32(data, at)[0]
        elif kind == 8:
            if length == 4:
                word = _u32(data, at)[0]
                extras[_AD0] = word & 0xFFFF
                extras[_AD1] = word >> 16
        elif length == 2:
            extras[_EVENT] = _u16(data, at)[0]
    if end > start and end - start not in _layouts and len(_layouts) < MAX_LAYOUTS:
        _layouts[end - start] = _compile_layout(data, start, end)
    return odometer, fuel


# -- learned layouts ------------------------------------------------------------------------------------------
#
# A terminal model sends the same additional items, in the same order and lengths, in every report; only a
# vendor item's length may vary. So the item region's length almost always names its layout. Once a region has
# been walked, a function is generated for its layout: one struct unpack of the whole region, a comparison of
# every item id and length with the layout's (a region of that length with other items falls back to the walk),
# then the same conversions the walk makes. Equal ids and lengths in order mean the walk would take exactly the
# same steps, so the result is the same Position (tests compare both paths on every vector and generated frames).

MAX_LAYOUTS = 256
Layout = Callable[[bytes, int, dict[Extra, ExtraValue]], tuple[float | None, float | None] | None]
"""A learned layout: (data, region start, extras) → (odometer, fuel), or None when the region is not that layout."""
_layouts: dict[int, Layout] = {}

_VALUE = {
    1: ("I", 4), 2: ("B", 1), 3: ("B", 1), 4: ("H", 2), 5: ("H", 2), 6: ("H", 2), 7: ("I", 4), 8: ("I", 4), 9: ("H", 2)
}  # fmt: skip
"""Item kind (see ``_KINDS``) → struct code and the length the walk requires for its value."""
_STORE = {
    1: "odometer = {v} / 10",
    2: "extras[_SATS] = {v}",
    3: "extras[_RSSI] = {v}",
    4: "fuel = {v} / 10",
    5: "extras[_RECORDER] = {v} / 10",
    6: "extras[_IO] = {v}",
    7: "extras[_SIGNALS] = {v}",
    8: "extras[_AD0] = {v} & 0xFFFF; extras[_AD1] = {v} >> 16",
    9: "extras[_EVENT] = {v}",
}


def _compile_layout(data: bytes, pos: int, end: int) -> Layout:
    fmt, names, stores = [">"], [], []
    shape: list[int] = []
    while pos < end:
        item, length = data[pos], data[pos + 1]
        i = len(shape) // 2
        fmt.append("BB")
        names += [f"i{i}", f"n{i}"]
        shape += [item, length]
        value = _VALUE.get(_KINDS[item])
        if value is not None and value[1] == length:
            fmt.append(value[0])
            names.append(f"v{i}")
            stores.append(_STORE[_KINDS[item]].format(v=f"v{i}"))
        elif length:
            fmt.append(f"{length}x")
        pos += 2 + length
    checked = ", ".join(names[k] for k in range(len(names)) if names[k][0] in "in")
    source = (
        "def layout(data, pos, extras):\n"
        f"    {', '.join(names)}, = _unpack(data, pos)\n"
        f"    if ({checked},) != _shape:\n"
        "        return None\n"
        "    odometer = fuel = None\n"
        + "".join(f"    {line}\n" for store in stores for line in store.split("; "))
        + "    return odometer, fuel\n"
    )
    namespace: dict[str, Any] = {
        "_unpack": struct.Struct("".join(fmt)).unpack_from,
        "_shape": tuple(shape),
        "_SATS": _SATS, "_RSSI": _RSSI, "_RECORDER": _RECORDER, "_IO": _IO, "_SIGNALS": _SIGNALS,
        "_AD0": _AD0, "_AD1": _AD1, "_EVENT": _EVENT,
    }  # fmt: skip
    exec(source, namespace)
    layout: Layout = namespace["layout"]
    return layout
