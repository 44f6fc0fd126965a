"""Small helpers shared by the binary codecs: a bounds-checked reader, BCD and GBK fields, wall-clock times.

Private to ``gongwu.devices``; codecs raise their own :class:`~gongwu.devices.errors.DecodeError` subclass
through :class:`Reader`.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import NoReturn

from gongwu.devices.errors import DecodeError, EncodeError

BEIJING = timedelta(hours=8)
"""The wall-clock offset of times on the wire unless a per-terminal offset overrides it."""

_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")

ErrorFactory = Callable[[str, bytes, int], DecodeError]


class Reader:
    """Reads big-endian fields from ``data[pos:end]``; any overrun raises the codec's error type."""

    __slots__ = ("base", "data", "end", "error", "frame", "pos")

    def __init__(
        self,
        data: bytes,
        error: ErrorFactory,
        *,
        pos: int = 0,
        end: int | None = None,
        frame: bytes | None = None,
        base: int = 0,
    ) -> None:
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end
        self.error = error
        self.frame = data if frame is None else frame
        self.base = base

    def fail(self, reason: str, at: int | None = None) -> NoReturn:
        raise self.error(reason, self.frame, self.base + (self.pos if at is None else at))

    @property
    def remaining(self) -> int:
        return self.end - self.pos

    def need(self, n: int, what: str) -> None:
        if self.pos + n > self.end:
            self.fail(f"{what}: needs {n} bytes, {self.end - self.pos} left")

    def u8(self, what: str = "byte") -> int:
        self.need(1, what)
        value = self.data[self.pos]
        self.pos += 1
        return value

    def u16(self, what: str = "word") -> int:
        self.need(2, what)
        (value,) = _U16.unpack_from(self.data, self.pos)
        self.pos += 2
        return int(value)

    def u32(self, what: str = "dword") -> int:
        self.need(4, what)
        (value,) = _U32.unpack_from(self.data, self.pos)
        self.pos += 4
        return int(value)

    def take(self, n: int, what: str = "bytes") -> bytes:
        self.need(n, what)
        value = bytes(self.data[self.pos : self.pos + n])
        self.pos += n
        return value

    def rest(self) -> bytes:
        value = bytes(self.data[self.pos : self.end])
        self.pos = self.end
        return value

    def text(self, n: int, what: str = "text") -> str:
        """A fixed-width GBK field; trailing NUL padding is dropped."""
        raw = self.take(n, what)
        return self.decode_text(raw, what, self.pos - n)

    def rest_text(self, what: str = "text") -> str:
        start = self.pos
        return self.decode_text(self.rest(), what, start)

    def decode_text(self, raw: bytes, what: str, at: int) -> str:
        try:
            return raw.strip(b"\x00").decode("gbk")
        except UnicodeDecodeError as exc:
            self.fail(f"{what} is not GBK text ({exc.reason})", at)

    def bcd(self, n: int, what: str = "bcd") -> str:
        return self.take(n, what).hex()

    def done(self, what: str) -> None:
        if self.pos != self.end:
            self.fail(f"{self.end - self.pos} unexpected bytes after {what}")


def gbk(text: str, what: str) -> bytes:
    try:
        return text.encode("gbk")
    except UnicodeEncodeError as exc:
        raise EncodeError(f"{what} cannot be written in GBK: {text!r}") from exc


def fixed_gbk(text: str, width: int, what: str) -> bytes:
    raw = gbk(text, what)
    if len(raw) > width:
        raise EncodeError(f"{what} is {len(raw)} bytes in GBK, the field holds {width}")
    return raw.ljust(width, b"\x00")


def check_range(value: int, bits: int, what: str) -> int:
    if not 0 <= value < (1 << bits):
        raise EncodeError(f"{what} = {value} does not fit in {bits} bits")
    return value


def bcd_bytes(digits: str, width: int, what: str) -> bytes:
    """Hex-nibble string (usually decimal digits) to ``width`` bytes, left-padded with zeros."""
    if len(digits) > width * 2:
        raise EncodeError(f"{what} {digits!r} is longer than {width * 2} digits")
    try:
        return bytes.fromhex(digits.rjust(width * 2, "0"))
    except ValueError as exc:
        raise EncodeError(f"{what} {digits!r} is not a BCD/hex digit string") from exc


def wall_clock_to_utc(
    year: int, month: int, day: int, hour: int, minute: int, second: int, offset: timedelta
) -> datetime:
    """A wall-clock time in the terminal's zone (``offset`` from UTC) as an aware UTC datetime."""
    local = datetime(year, month, day, hour, minute, second, tzinfo=timezone(offset))
    return local.astimezone(UTC)


def utc_to_wall_clock(value: datetime, offset: timedelta, what: str) -> datetime:
    if value.tzinfo is None:
        raise EncodeError(f"{what} must be an aware datetime (got a naive one)")
    if value.microsecond:
        raise EncodeError(f"{what} has sub-second precision the wire cannot carry")
    return value.astimezone(timezone(offset))


_BCD = bytes(((b >> 4) * 10 + (b & 0xF)) if (b >> 4) < 10 and (b & 0xF) < 10 else 0xFF for b in range(256))
"""Byte → its two BCD digits as a number, or 0xFF when a nibble is not a decimal digit."""
_ZERO_TIME = bytes(6)


_DAYS: dict[bytes, int] = {}
_from_ts = datetime.fromtimestamp
_INVALID = 1 << 40
_HOURS = [_BCD[b] * 3600 if _BCD[b] < 24 else _INVALID for b in range(256)]
_MINUTES = [_BCD[b] * 60 if _BCD[b] < 60 else _INVALID for b in range(256)]
_SECONDS = [_BCD[b] if _BCD[b] < 60 else _INVALID for b in range(256)]


def parse_bcd_time(raw: bytes, offset: timedelta) -> datetime | None:
    """A 6-byte BCD ``YYMMDDhhmmss`` wall-clock time → aware UTC; all zeros → ``None``.

    Raises ``ValueError`` for non-decimal nibbles or an impossible date; callers turn it into their
    protocol's DecodeError. The epoch second of each date is cached (terminals report the same days).
    """
    if raw == _ZERO_TIME:
        return None
    seconds = _HOURS[raw[3]] + _MINUTES[raw[4]] + _SECONDS[raw[5]]
    if seconds >= _INVALID:
        raise ValueError(f"time {raw.hex()} is not a BCD time of day")
    key = raw[:3]
    day = _DAYS.get(key)
    if day is None:
        t = _BCD
        y, mo, d = t[raw[0]], t[raw[1]], t[raw[2]]
        if 0xFF in (y, mo, d):
            raise ValueError(f"date {key.hex()} is not BCD")
        day = int(datetime(2000 + y, mo, d, tzinfo=UTC).timestamp())
        if len(_DAYS) > 8192:
            _DAYS.clear()
        _DAYS[key] = day
    return _from_ts(day + seconds - offset.days * 86400 - offset.seconds, UTC)


def bcd_time_bytes(value: datetime | None, offset: timedelta, what: str) -> bytes:
    if value is None:
        return bytes(6)
    local = utc_to_wall_clock(value, offset, what)
    if not 2000 <= local.year <= 2099:
        raise EncodeError(f"{what} year {local.year} is outside 2000–2099")
    return bytes.fromhex(local.strftime("%y%m%d%H%M%S"))


def binary_time_bytes(value: datetime, offset: timedelta, what: str) -> bytes:
    """GB/T 32960 time: six binary bytes year-2000, month, day, hour, minute, second."""
    local = utc_to_wall_clock(value, offset, what)
    if not 2000 <= local.year <= 2255:
        raise EncodeError(f"{what} year {local.year} is outside 2000–2255")
    return bytes((local.year - 2000, local.month, local.day, local.hour, local.minute, local.second))
