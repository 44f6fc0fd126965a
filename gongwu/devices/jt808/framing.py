"""JT/T 808 framing: 0x7e flags, 0x7d escapes and the XOR check code.

:class:`Jt808Framer` cuts a TCP byte stream into frames (split and merged reads alike) without judging
them; :func:`unframe` un-escapes one frame and checks its check code, :func:`frame` builds one. Bytes
outside any frame are dropped and counted in :attr:`Jt808Framer.discarded`.
"""

from __future__ import annotations

from functools import reduce
from operator import xor

from gongwu.devices.errors import Jt808DecodeError

FLAG = 0x7E
ESCAPE = 0x7D
MAX_FRAME = 4096
"""Longest escaped frame accepted: a 1023-byte body, a 2019 header and a sub-package item, all escaped."""

_ESCAPES = {0x7E: b"\x7d\x02", 0x7D: b"\x7d\x01"}


def checksum(data: bytes) -> int:
    """XOR of all bytes (the JT/T 808 check code)."""
    return reduce(xor, data, 0)


def escape(data: bytes) -> bytes:
    if b"\x7e" not in data and b"\x7d" not in data:
        return data
    return data.replace(b"\x7d", b"\x7d\x01").replace(b"\x7e", b"\x7d\x02")


def frame(content: bytes) -> bytes:
    """Header+body → wire frame: append the check code, escape, wrap in 0x7e flags."""
    return b"\x7e" + escape(content + bytes((checksum(content),))) + b"\x7e"


def unescape(frame_bytes: bytes, *, strict: bool = True) -> bytes:
    """Strip the flags and undo escapes; raises :class:`Jt808DecodeError` on a bad escape."""
    start = 1 if frame_bytes[:1] == b"\x7e" else 0
    end = len(frame_bytes) - 1 if len(frame_bytes) > start and frame_bytes[-1] == FLAG else len(frame_bytes)
    body = frame_bytes[start:end]
    if b"\x7e" in body:
        raise Jt808DecodeError("0x7e flag inside the frame", frame_bytes, body.index(b"\x7e"))
    if b"\x7d" not in body:
        return bytes(body)
    parts = body.split(b"\x7d")
    out = [parts[0]]
    size = len(parts[0])
    last = len(parts) - 1
    for i in range(1, len(parts)):
        part = parts[i]
        code = part[0] if part else -1
        if code == 0x01:
            out.append(b"\x7d")
        elif code == 0x02:
            out.append(b"\x7e")
        elif code == -1 and i == last and not strict:
            break
        else:
            what = "dangling 0x7d at the end of the frame" if code == -1 and i == last else "bad escape after 0x7d"
            raise Jt808DecodeError(what, frame_bytes, size)
        out.append(part[1:])
        size += len(part)
    return b"".join(out)


class Jt808Framer:
    """Cuts a byte stream into 0x7e-delimited frames; feed it whatever each ``read()`` returned.

    Each returned frame includes both flags and is still escaped, ready for :func:`decode`. A frame that
    never ends within :data:`MAX_FRAME` bytes is dropped and the framer resynchronises on the next flag.
    """

    __slots__ = ("_buf", "discarded", "max_frame")

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
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
            start = buf.find(b"\x7e", pos)
            if start < 0:
                self.discarded += n - pos
                pos = n
                break
            self.discarded += start - pos
            end = buf.find(b"\x7e", start + 1)
            if end < 0:
                if n - start > self.max_frame:
                    self.discarded += n - start
                    pos = n
                else:
                    pos = start
                break
            if end == start + 1:
                # "7e 7e": the first flag closed nothing (or the previous frame); start again here.
                pos = end
                continue
            if end - start + 1 > self.max_frame:
                self.discarded += end - start
                pos = end
                continue
            frames.append(bytes(buf[start : end + 1]))
            pos = end + 1
        del buf[:pos]
        return frames

    @property
    def pending(self) -> int:
        """Bytes held back waiting for the rest of a frame."""
        return len(self._buf)
