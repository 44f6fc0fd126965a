"""Sans-I/O codecs for the terminals of the official cars: JT/T 808, GB/T 32960, NMEA 0183, OBD-II.

Bytes in → messages out, messages in → bytes out; no sockets, clock or database here (the simulator in
``devices.sim`` is the one place with I/O). Every protocol's location data also comes out as one
:class:`Position`. Errors: :class:`DecodeError` (one subclass per protocol) and :class:`EncodeError`.
"""

from gongwu.devices.errors import (
    DecodeError,
    EncodeError,
    Gb32960DecodeError,
    Jt808DecodeError,
    NmeaDecodeError,
    ObdDecodeError,
)
from gongwu.devices.position import Alarm, Extra, ExtraValue, Position, iso_utc

__all__ = [
    "Alarm",
    "DecodeError",
    "EncodeError",
    "Extra",
    "ExtraValue",
    "Gb32960DecodeError",
    "Jt808DecodeError",
    "NmeaDecodeError",
    "ObdDecodeError",
    "Position",
    "iso_utc",
]
