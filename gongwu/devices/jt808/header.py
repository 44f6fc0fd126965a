"""The JT/T 808 message header (消息头) of the 2011, 2013 and 2019 editions.

2011 and 2013 share a 12-byte header with a 6-byte BCD phone; 2019 sets bit 14 of the body attributes
and adds a protocol-version byte and a 10-byte phone. Some real terminals set the 2019 flag on a 2013
header; :func:`parse_header` then decides by which reading makes the body length add up.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Literal

from gongwu.devices._fast import builder
from gongwu.devices._wire import bcd_bytes, check_range
from gongwu.devices.errors import EncodeError, Jt808DecodeError

Edition = Literal["2013", "2019"]
"""Header layout: ``"2013"`` (also 2011: 6-byte phone) or ``"2019"`` (version byte, 10-byte phone)."""

_H2013 = struct.Struct(">HH6sH")
_H2019 = struct.Struct(">HHB10sH")
_SUB = struct.Struct(">HH")
_HEAD = struct.Struct(">HH")
BODY_MAX = 0x3FF


@dataclass(frozen=True, slots=True)
class SubPackage:
    """Sub-package item (消息包封装项): this frame is package ``index`` (1-based) of ``total``."""

    total: int
    index: int


@dataclass(frozen=True, slots=True)
class Header:
    """A decoded message header. ``phone`` is the BCD phone as hex digits (12 or 20 of them)."""

    msg_id: int
    phone: str
    serial: int
    edition: Edition = "2013"
    protocol_version: int = 1
    encryption: int = 0
    subpackage: SubPackage | None = None
    flag_on_2013: bool = False
    """The quirk of some terminals: 2019 version flag set, 2013 header layout."""
    reserved_bit: bool = False

    @property
    def terminal_id(self) -> str:
        """The phone without leading zeros: the same terminal id in 2013 and 2019 headers."""
        return self.phone.lstrip("0") or "0"

    @property
    def size(self) -> int:
        base = 17 if self.edition == "2019" else 12
        return base + (4 if self.subpackage else 0)


_new_header = builder(Header)


def parse_header(data: bytes, frame: bytes, size: int | None = None) -> tuple[Header, int, int]:
    """Parse the header at the start of the un-escaped ``data`` (check code excluded).

    Returns ``(header, body_offset, body_length)``; raises :class:`Jt808DecodeError` when the header is
    short or the body length disagrees with the frame. ``size`` limits ``data`` (default: all of it).
    """
    n = len(data) if size is None else size
    if n < 12:
        raise Jt808DecodeError(f"frame too short for a header: {n} bytes", frame, n)
    msg_id, attrs = _HEAD.unpack_from(data, 0)
    body_len = attrs & BODY_MAX
    encryption = (attrs >> 10) & 0x7
    has_sub = bool(attrs & 0x2000)
    flag = bool(attrs & 0x4000)
    reserved = bool(attrs & 0x8000)
    sub_len = 4 if has_sub else 0
    edition: Edition = "2013"
    flag_on_2013 = False
    if flag:
        if n == 17 + sub_len + body_len:
            edition = "2019"
        elif n == 12 + sub_len + body_len:
            flag_on_2013 = True
        else:
            edition = "2019"
    if edition == "2019":
        if n < 17 + sub_len:
            raise Jt808DecodeError(f"frame too short for a 2019 header: {n} bytes", frame, n)
        _, _, version, phone_raw, serial = _H2019.unpack_from(data, 0)
        pos = 17
    else:
        if n < 12 + sub_len:
            raise Jt808DecodeError(f"frame too short for a header: {n} bytes", frame, n)
        _, _, phone_raw, serial = _H2013.unpack_from(data, 0)
        version = 1
        pos = 12
    sub = None
    if has_sub:
        total, index = _SUB.unpack_from(data, pos)
        pos += 4
        sub = SubPackage(total, index)
    if n - pos != body_len:
        raise Jt808DecodeError(f"body length {body_len} in the header, {n - pos} bytes in the frame", frame, 2)
    header = _new_header(msg_id, phone_raw.hex(), serial, edition, version, encryption, sub, flag_on_2013, reserved)
    return header, pos, body_len


def build_header(header: Header, body_len: int) -> bytes:
    if body_len > BODY_MAX:
        raise EncodeError(f"body of {body_len} bytes exceeds {BODY_MAX}: split it into sub-packages")
    check_range(header.msg_id, 16, "msg_id")
    check_range(header.serial, 16, "serial")
    check_range(header.encryption, 3, "encryption")
    attrs = body_len | (header.encryption << 10)
    if header.subpackage is not None:
        attrs |= 0x2000
    if header.edition == "2019" or header.flag_on_2013:
        attrs |= 0x4000
    if header.reserved_bit:
        attrs |= 0x8000
    if header.edition == "2019":
        if header.flag_on_2013:
            raise EncodeError("flag_on_2013 only applies to a 2013 header")
        check_range(header.protocol_version, 8, "protocol_version")
        out = _H2019.pack(
            header.msg_id, attrs, header.protocol_version, bcd_bytes(header.phone, 10, "phone"), header.serial
        )
    else:
        out = _H2013.pack(header.msg_id, attrs, bcd_bytes(header.phone, 6, "phone"), header.serial)
    if header.subpackage is not None:
        check_range(header.subpackage.total, 16, "subpackage.total")
        check_range(header.subpackage.index, 16, "subpackage.index")
        out += _SUB.pack(header.subpackage.total, header.subpackage.index)
    return out
