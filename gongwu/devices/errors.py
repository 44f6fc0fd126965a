"""The one exception tree of the terminal protocol layer.

Every codec raises a subclass of :class:`DecodeError` for bytes it cannot accept, carrying the offending
bytes, the byte offset where decoding stopped and a human reason; encoding a command that cannot be put
on the wire raises :class:`EncodeError`. Nothing else escapes a codec for bad input.
"""

from __future__ import annotations


class DecodeError(ValueError):
    """Bytes from a terminal that a codec cannot accept.

    ``data`` is the frame (or line) as given to the codec, ``offset`` the position in it (for JT/T 808:
    in the un-escaped frame, 0 = the first byte after the 0x7e flag) where the problem was found.
    """

    protocol = "devices"

    def __init__(self, reason: str, data: bytes = b"", offset: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.data = bytes(data)
        self.offset = offset

    def __str__(self) -> str:
        return f"{self.protocol} offset {self.offset}: {self.reason} (bytes: {self.data.hex()})"


class EncodeError(ValueError):
    """A message or command that cannot be encoded (a value out of range, text too long…)."""


class Jt808DecodeError(DecodeError):
    """A JT/T 808 frame that is malformed: bad escape, check code, length, header or body."""

    protocol = "jt808"


class Gb32960DecodeError(DecodeError):
    """A GB/T 32960 frame that is malformed: bad start, BCC, length or data unit."""

    protocol = "gb32960"


class NmeaDecodeError(DecodeError):
    """An NMEA 0183 sentence with a bad checksum, an unknown talker/type or unparsable fields."""

    protocol = "nmea"


class ObdDecodeError(DecodeError):
    """OBD-II mode 01 data whose length does not fit its PID."""

    protocol = "obd"
