"""The ordered handlers every position passes before it is stored: validate → de-duplicate → odometer and motion.

Each handler does one thing to a :class:`~.fix.Fix` in the light of the terminal's :class:`Track` (its last
trusted point, its recent keys). They run in the session of the connection, one message after the other, so
a terminal's order is kept without locks. A handler that fails is logged and the fix goes on (STYLE 9).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from gongwu.core.geo import haversine_m
from gongwu.telematics.pipeline.fix import Fix, Flag

__all__ = ["Dedupe", "Handler", "Motion", "Track", "Validate", "default_handlers", "run_handlers"]

log = logging.getLogger(__name__)

# Flag bits as plain ints (IntFlag arithmetic costs microseconds per operation on the hot path)
_FUTURE, _JUMP, _INVALID, _OUT, _IMPLAUSIBLE = (
    int(f) for f in (Flag.FUTURE_TIME, Flag.JUMP, Flag.INVALID_FIX, Flag.OUT_OF_RANGE, Flag.SPEED_IMPLAUSIBLE)
)

_REAL_MAX = 3.4028234663852886e38
"""The largest value of a REAL (float4) column: speeds, courses, altitudes, fuel and SOC are stored as REAL."""

RECENT_KEYS = 256
"""How many recent (time, digest) keys a session remembers to spot a re-sent report before the database does."""


class Track:
    """What the handlers remember about one terminal between its positions."""

    __slots__ = ("last", "odometer_km", "recent", "recent_set", "suspect", "terminal_id", "vehicle_id")

    def __init__(self, terminal_id: int, vehicle_id: int, last: Fix | None = None) -> None:
        self.terminal_id = terminal_id
        self.vehicle_id = vehicle_id
        self.last: Fix | None = last
        """The last fix with trusted coordinates (in device-time order)."""
        self.suspect: Fix | None = None
        """A fix flagged as a jump; a second one agreeing with it re-anchors the track."""
        self.odometer_km: float | None = last.odometer_km if last is not None else None
        self.recent: deque[tuple[datetime, int]] = deque()
        self.recent_set: set[tuple[datetime, int]] = set()


class Handler(Protocol):
    @property
    def name(self) -> str: ...

    def __call__(self, fix: Fix, track: Track) -> None: ...


@dataclass(frozen=True)
class Validate:
    """Ranges, times in the future, impossible jumps: flagged (and the unusable part dropped), never refused."""

    max_future: timedelta = timedelta(minutes=10)
    max_speed_kmh: float = 400.0
    name: str = "validate"

    def __call__(self, fix: Fix, track: Track) -> None:
        if fix.device_time > fix.received_at + self.max_future:
            fix.flags |= _FUTURE
            fix.device_time = fix.received_at
        lat, lon = fix.lat, fix.lon
        if lat is not None and lon is not None:
            if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0) or (lat == 0.0 and lon == 0.0):
                fix.flags |= _OUT
                fix.lat = fix.lon = None
        elif lat is not None or lon is not None:
            fix.lat = fix.lon = None
        if not fix.fix_valid:
            fix.flags |= _INVALID
        speed = fix.speed_kmh
        if speed is not None and not 0.0 <= speed <= 300.0:
            fix.flags |= _IMPLAUSIBLE
            if not -_REAL_MAX <= speed <= _REAL_MAX:
                fix.speed_kmh = None
        # what a REAL column cannot hold (NaN, an infinity, past float4) would fail the whole batch: dropped
        if fix.course is not None and not -_REAL_MAX <= fix.course <= _REAL_MAX:
            fix.course = None
        if fix.altitude_m is not None and not -_REAL_MAX <= fix.altitude_m <= _REAL_MAX:
            fix.altitude_m = None
        if fix.soc_pct is not None and not 0.0 <= fix.soc_pct <= 100.0:
            fix.soc_pct = None
        if fix.fuel_l is not None and not 0.0 <= fix.fuel_l <= _REAL_MAX:
            fix.fuel_l = None
        self._jump(fix, track)

    def _jump(self, fix: Fix, track: Track) -> None:
        last = track.last
        if not fix.has_place or last is None or fix.device_time < last.device_time:
            return
        assert fix.lat is not None and fix.lon is not None and last.lat is not None and last.lon is not None
        metres = haversine_m(last.lat, last.lon, fix.lat, fix.lon)
        seconds = max((fix.device_time - last.device_time).total_seconds(), 1.0)
        if metres < 1000 or metres / seconds * 3.6 <= self.max_speed_kmh:
            track.suspect = None
            return
        suspect = track.suspect
        if suspect is not None and suspect.lat is not None and suspect.lon is not None:
            gap = max((fix.device_time - suspect.device_time).total_seconds(), 1.0)
            if haversine_m(suspect.lat, suspect.lon, fix.lat, fix.lon) / gap * 3.6 <= self.max_speed_kmh:
                track.last = None  # two points agree: the earlier track was the wrong one; start again here
                track.suspect = None
                return
        fix.flags |= _JUMP
        track.suspect = fix


@dataclass(frozen=True)
class Dedupe:
    """A report the terminal re-sends (it was not acked in time) is marked: acked again, stored once.

    The session remembers its recent keys; across connections the primary key of ``vehicle_position`` (car,
    device time, digest) catches the rest (``ON CONFLICT DO NOTHING``).
    """

    name: str = "dedupe"

    def __call__(self, fix: Fix, track: Track) -> None:
        key = (fix.device_time, fix.digest)
        if key in track.recent_set:
            fix.duplicate = True
            return
        track.recent.append(key)
        track.recent_set.add(key)
        if len(track.recent) > RECENT_KEYS:
            track.recent_set.discard(track.recent.popleft())


@dataclass(frozen=True)
class Motion:
    """Distance from the last trusted point, moving or not, and the odometer carried forward."""

    moving_speed_kmh: float = 3.0
    name: str = "motion"

    def __call__(self, fix: Fix, track: Track) -> None:
        if fix.duplicate:
            return
        speed = fix.speed_kmh or 0.0
        fix.moving = speed >= self.moving_speed_kmh and not fix.flags & _IMPLAUSIBLE
        last = track.last
        if fix.odometer_km is not None:
            track.odometer_km = fix.odometer_km
        if not fix.has_place:
            return
        if last is not None and fix.device_time < last.device_time:
            return  # an older point (blind-area re-send): stored, but the track does not go back
        if last is not None:
            assert fix.lat is not None and fix.lon is not None and last.lat is not None and last.lon is not None
            metres = haversine_m(last.lat, last.lon, fix.lat, fix.lon)
            seconds = (fix.device_time - last.device_time).total_seconds()
            if metres >= 5.0 or fix.moving:
                fix.distance_m = metres
            if not fix.moving and fix.speed_kmh is None and seconds > 0 and metres > 20:
                fix.moving = metres / seconds * 3.6 >= self.moving_speed_kmh
            if fix.odometer_km is None and track.odometer_km is not None:
                track.odometer_km += fix.distance_m / 1000
                fix.odometer_km = round(track.odometer_km, 3)
        track.last = fix


def default_handlers(
    *, max_future_s: float = 600.0, max_speed_kmh: float = 400.0, moving_speed_kmh: float = 3.0
) -> list[Handler]:
    """The processing order, declared once."""
    return [
        Validate(timedelta(seconds=max_future_s), max_speed_kmh),
        Dedupe(),
        Motion(moving_speed_kmh),
    ]


def run_handlers(handlers: Sequence[Handler], fix: Fix, track: Track) -> None:
    for handler in handlers:
        try:
            handler(fix, track)
        except Exception:
            log.exception("pipeline handler %s failed on a fix of terminal %s", handler.name, fix.terminal_id)
