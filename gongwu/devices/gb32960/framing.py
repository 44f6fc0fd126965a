"""GB/T 32960 framing: ``##`` (2016) or ``$$`` (2025) start, 22-byte header, data unit, BCC.

:class:`Gb32960Framer` cuts a byte stream into frames using the data-unit length; a candidate whose header
is implausible is skipped byte by byte (bytes outside frames are counted in ``discarded``). BCC is judged by
:func:`~gongwu.devices.gb32960.decode`, so a bad frame becomes a clear error and the stream goes on.
"""

from __future__ import annotations

from functools import reduce
from operator import xor

STARTS = (b"##", b"$$")
HEADER = 24
"""Start (2) + command (1) + response flag (1) + VIN (17) + encryption (1) + data length (2)."""

_COMMANDS = frozenset(range(0x01, 0x0C)) | frozenset(range(0x80, 0x83))
_RESPONSES = frozenset((0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0xFE))


def bcc(data: bytes) -> int:
    """Block check character: XOR from the command byte to the last data byte."""
    return reduce(xor, data, 0)


def plausible_header(buf: bytes | bytearray, at: int) -> bool:
    cmd, ack = buf[at + 2], buf[at + 3]
    vin = buf[at + 4 : at + 21]
    return cmd in _COMMANDS and ack in _RESPONSES and all(0x20 <= c < 0x7F or c == 0 for c in vin)


class Gb32960Framer:
    """Cuts a TCP byte stream into GB/T 32960 frames (split and merged reads alike)."""

    __slots__ = ("_buf", "discarded", "max_frame")

    def __init__(self, max_frame: int = HEADER + 0xFFFF + 1) -> None:
        self._buf = bytearray()
        self.discarded = 0
        self.max_frame = max_frame

    def feed(self, data: bytes) -> list[bytes]:
        buf = self._buf
        buf += data
        frames: list[bytes] = []
        pos = 0
        n = len(buf)
        while True:
            start = _find_start(buf, pos)
            if start < 0:
                keep = 1 if n > pos and buf[n - 1] in (0x23, 0x24) else 0
                self.discarded += n - pos - keep
                pos = n - keep
                break
            self.discarded += start - pos
            pos = start
            if n - start < HEADER:
                break
            if not plausible_header(buf, start):
                self.discarded += 1
                pos = start + 1
                continue
            length = int.from_bytes(buf[start + 22 : start + 24], "big")
            total = HEADER + length + 1
            if total > self.max_frame:
                self.discarded += 1
                pos = start + 1
                continue
            if n - start < total:
                break
            frames.append(bytes(buf[start : start + total]))
            pos = start + total
        del buf[:pos]
        return frames

    @property
    def pending(self) -> int:
        return len(self._buf)


def _find_start(buf: bytearray, pos: int) -> int:
    a = buf.find(b"##", pos)
    b = buf.find(b"$$", pos)
    if a < 0:
        return b
    if b < 0:
        return a
    return min(a, b)
