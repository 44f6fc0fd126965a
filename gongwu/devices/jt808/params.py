"""Terminal parameters (终端参数, JT/T 808 table 12) as carried by 0x8103 and 0x0104.

A parameter whose id is in :data:`PARAM_KINDS` decodes to an ``int`` (when its length is the standard
width) or a ``str`` (GBK); every other parameter keeps its bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Literal

from gongwu.devices._wire import Reader, check_range, gbk
from gongwu.devices.errors import EncodeError

Kind = Literal["u8", "u16", "u32", "str"]
_WIDTH = {"u8": 1, "u16": 2, "u32": 4}


def _kinds() -> dict[int, Kind]:
    table: dict[int, Kind] = {}
    for pid in (*range(0x0001, 0x0008), 0x0018, 0x0019, 0x001B, 0x001C, *range(0x0020, 0x0023)):
        table[pid] = "u32"
    for pid in (*range(0x0027, 0x002A), *range(0x002C, 0x0031), *range(0x0045, 0x0048)):
        table[pid] = "u32"
    for pid in (*range(0x0050, 0x005B), 0x0064, 0x0065, *range(0x0070, 0x0075), 0x0080, 0x0093, 0x0095):
        table[pid] = "u32"
    for pid in (0x0100, 0x0102):
        table[pid] = "u32"
    for pid in (0x0031, 0x005B, 0x005C, 0x005D, 0x005E, 0x0081, 0x0082, 0x0101, 0x0103):
        table[pid] = "u16"
    for pid in (0x0084, 0x0090, 0x0091, 0x0092, 0x0094):
        table[pid] = "u8"
    for pid in (*range(0x0010, 0x0018), 0x001A, 0x001D, *range(0x0023, 0x0027), *range(0x0040, 0x0045)):
        table[pid] = "str"
    for pid in (0x0048, 0x0049, 0x0083):
        table[pid] = "str"
    return table


PARAM_KINDS: dict[int, Kind] = _kinds()
"""Known parameter ids and their value types (2013 and 2019)."""

HEARTBEAT_INTERVAL = 0x0001
SERVER_ADDRESS = 0x0013
REPORT_INTERVAL_DEFAULT = 0x0029
MAX_SPEED = 0x0055
PLATE = 0x0083


@dataclass(frozen=True, slots=True)
class TerminalParameter:
    """One parameter: ``int`` or ``str`` for known ids, ``bytes`` otherwise."""

    param_id: int
    value: int | str | bytes


def _decode_value(pid: int, raw: bytes) -> int | str | bytes:
    kind = PARAM_KINDS.get(pid)
    if kind == "str":
        try:
            return raw.decode("gbk")
        except UnicodeDecodeError:
            return raw
    if kind is not None and len(raw) == _WIDTH[kind]:
        return int.from_bytes(raw, "big")
    return raw


def decode_params(r: Reader) -> tuple[TerminalParameter, ...]:
    count = r.u8("parameter count")
    params = []
    for i in range(count):
        pid = r.u32(f"parameter {i + 1} id")
        raw = r.take(r.u8(f"parameter {i + 1} length"), f"parameter 0x{pid:04x}")
        params.append(TerminalParameter(pid, _decode_value(pid, raw)))
    r.done("parameters")
    return tuple(params)


def encode_param(p: TerminalParameter) -> bytes:
    kind = PARAM_KINDS.get(p.param_id)
    value = p.value
    if isinstance(value, bool):
        raise EncodeError(f"parameter 0x{p.param_id:04x}: use an int, not a bool")
    if isinstance(value, int):
        if kind is None or kind == "str":
            raise EncodeError(f"parameter 0x{p.param_id:04x} is not a number parameter; give bytes or str")
        raw = check_range(value, 8 * _WIDTH[kind], f"parameter 0x{p.param_id:04x}").to_bytes(_WIDTH[kind], "big")
    elif isinstance(value, str):
        if kind != "str":
            raise EncodeError(f"parameter 0x{p.param_id:04x} is not a text parameter")
        raw = gbk(value, f"parameter 0x{p.param_id:04x}")
    else:
        raw = value
    if len(raw) > 255:
        raise EncodeError(f"parameter 0x{p.param_id:04x} value has {len(raw)} bytes (max 255)")
    return struct.pack(">IB", check_range(p.param_id, 32, "param id"), len(raw)) + raw


def encode_params(params: tuple[TerminalParameter, ...]) -> bytes:
    if len(params) > 255:
        raise EncodeError("at most 255 parameters per message")
    return bytes((len(params),)) + b"".join(encode_param(p) for p in params)
