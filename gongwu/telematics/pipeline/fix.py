"""The pipeline's record of one position: :class:`Fix`, made from a codec's :class:`~gongwu.devices.Position`.

A fix carries the car it belongs to, the flags validation set, the de-duplication digest, and what the motion
stage computed. :meth:`Fix.record` is its row of ``vehicle_position``; :meth:`Fix.event` its payload on the
``telematics.positions`` topic (the public shape other packages read).
"""

from __future__ import annotations

import enum
import math
import struct
import zlib
from datetime import datetime
from typing import Any

from gongwu.devices import Alarm, Extra, Position

__all__ = ["COLUMNS", "Fix", "Flag"]


class Flag(enum.IntFlag):
    """What validation found (stored in ``vehicle_position.flags``)."""

    FUTURE_TIME = 1
    """The device time was ahead of the server clock; the receive time replaced it."""
    NO_TIME = 2
    """The terminal sent no usable time; the receive time stands in."""
    JUMP = 4
    """Reaching this point from the previous one needs an impossible speed."""
    INVALID_FIX = 8
    """The terminal says its GNSS fix is not valid (coordinates are a last known place, or none)."""
    OUT_OF_RANGE = 16
    """Coordinates out of range, or (0, 0); dropped."""
    BLIND_AREA = 32
    """Re-sent from the terminal's blind-area memory (盲区补报)."""
    SPEED_IMPLAUSIBLE = 64
    """A reported speed above any car's."""


COLUMNS = (
    "vehicle_id",
    "device_time",
    "digest",
    "terminal_id",
    "received_at",
    "lat",
    "lon",
    "altitude_m",
    "speed_kmh",
    "course",
    "ignition",
    "fix_valid",
    "odometer_km",
    "distance_m",
    "fuel_l",
    "soc_pct",
    "alarms",
    "flags",
)
"""Columns of ``vehicle_position`` in the order of :meth:`Fix.record`."""

_DIGEST = struct.Struct("<9dI")
_pack = _DIGEST.pack
_NAN = math.nan
_BLIND = int(Flag.BLIND_AREA)
_NO_TIME = int(Flag.NO_TIME)
_UNTRUSTED = int(Flag.INVALID_FIX | Flag.JUMP)


class Fix:
    """One position on its way through the pipeline (mutable: each handler adds what it finds)."""

    __slots__ = (
        "alarms",
        "altitude_m",
        "course",
        "device_time",
        "digest",
        "distance_m",
        "duplicate",
        "fix_valid",
        "flags",
        "fuel_l",
        "ignition",
        "lat",
        "lon",
        "moving",
        "odometer_km",
        "received_at",
        "soc_pct",
        "speed_kmh",
        "terminal_id",
        "vehicle_id",
    )

    def __init__(self, position: Position, terminal_id: int, vehicle_id: int, received_at: datetime) -> None:
        self.terminal_id = terminal_id
        self.vehicle_id = vehicle_id
        self.received_at = received_at
        self.lat = position.lat
        self.lon = position.lon
        self.altitude_m = position.altitude_m
        self.speed_kmh = position.speed_kmh
        self.course = position.course
        self.ignition = position.ignition
        self.fix_valid = position.fix_valid
        self.odometer_km = position.odometer_km
        self.fuel_l = position.fuel_l
        self.soc_pct = position.soc_pct
        self.alarms: frozenset[Alarm] = position.alarms
        self.flags = _BLIND if position.extras.get(Extra.BLIND_AREA) else 0
        """:class:`Flag` bits, kept as a plain int on the hot path."""
        self.distance_m = 0.0
        self.moving = False
        self.duplicate = False
        when = position.time
        self.device_time: datetime = when if when is not None else received_at
        if when is None:
            self.flags |= _NO_TIME
        alarm_word = position.extras.get(Extra.ALARM_BITS)
        marks = int(alarm_word) if isinstance(alarm_word, int) else zlib.crc32(",".join(sorted(self.alarms)).encode())
        lat, lon, speed, course = position.lat, position.lon, position.speed_kmh, position.course
        altitude, odometer, fuel, soc = position.altitude_m, position.odometer_km, position.fuel_l, position.soc_pct
        ignition = position.ignition
        packed = _pack(
            _NAN if lat is None else lat,
            _NAN if lon is None else lon,
            _NAN if speed is None else speed,
            _NAN if course is None else course,
            _NAN if altitude is None else altitude,
            _NAN if odometer is None else odometer,
            _NAN if fuel is None else fuel,
            _NAN if soc is None else soc,
            -1.0 if ignition is None else float(ignition),
            marks & 0xFFFFFFFF,
        )
        digest = zlib.crc32(packed)
        self.digest = digest - (1 << 32) if digest >= 1 << 31 else digest
        """A signed 32-bit hash of the content: with the car and the device time, the de-duplication key."""

    @property
    def key(self) -> tuple[int, datetime, int]:
        return (self.vehicle_id, self.device_time, self.digest)

    @property
    def has_place(self) -> bool:
        """Coordinates that can be trusted for distance and motion."""
        return self.lat is not None and not (self.flags & _UNTRUSTED)

    def record(self) -> tuple[Any, ...]:
        """The row of ``vehicle_position`` (in :data:`COLUMNS` order)."""
        return (
            self.vehicle_id,
            self.device_time,
            self.digest,
            self.terminal_id,
            self.received_at,
            self.lat,
            self.lon,
            self.altitude_m,
            self.speed_kmh,
            self.course,
            self.ignition,
            self.fix_valid,
            self.odometer_km,
            self.distance_m,
            self.fuel_l,
            self.soc_pct,
            ",".join(sorted(self.alarms)) if self.alarms else None,
            int(self.flags),
        )

    def event(self) -> dict[str, Any]:
        """The payload published on ``telematics.positions`` once the fix is stored."""
        payload = self.event_for_json()
        payload["time"] = self.device_time.isoformat()
        payload["received_at"] = self.received_at.isoformat()
        return payload

    def event_for_json(self) -> dict[str, Any]:
        """:meth:`event` with its two times still datetimes, for orjson, which writes them as the same ISO 8601
        text as ``isoformat()`` at a fraction of the cost (the Redis publisher encodes one per position)."""
        return {
            "vehicle_id": self.vehicle_id,
            "terminal_id": self.terminal_id,
            "time": self.device_time,
            "received_at": self.received_at,
            "lat": self.lat,
            "lon": self.lon,
            "speed_kmh": self.speed_kmh,
            "course": self.course,
            "ignition": self.ignition,
            "moving": self.moving,
            "fix_valid": self.fix_valid,
            "odometer_km": self.odometer_km,
            "distance_m": round(self.distance_m, 1),
            "fuel_l": self.fuel_l,
            "soc_pct": self.soc_pct,
            "alarms": sorted(self.alarms) if self.alarms else [],
            "flags": int(self.flags),
        }
