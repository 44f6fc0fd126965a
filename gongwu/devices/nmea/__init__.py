"""NMEA 0183 (RMC, GGA, VTG) from plain GNSS modules, over a line stream, parsed with pynmea2.

``NmeaFramer().feed(bytes) -> [line]``, ``decode(line) -> Rmc | Gga | Vtg`` (checksum required and
checked), ``encode(sentence) -> line``, and :class:`NmeaSession`, which turns the sentences of one
module into :class:`~gongwu.devices.position.Position` (RMC gives date, fix and speed; the GGA of the same
second adds altitude, satellites and HDOP). NMEA times are UTC on the wire; two-digit years are 20yy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, time

import pynmea2

from gongwu.devices.errors import EncodeError, NmeaDecodeError
from gongwu.devices.position import Extra, ExtraValue, Position

KNOT_KMH = 1.852
MAX_LINE = 256


@dataclass(frozen=True, slots=True)
class Rmc:
    """Recommended minimum data: time, fix status, position, speed (km/h) and course."""

    talker: str
    time: datetime | None
    valid: bool
    lat: float | None
    lon: float | None
    speed_kmh: float | None
    course: float | None


@dataclass(frozen=True, slots=True)
class Gga:
    """Fix data: UTC time of day, quality (0 none, 1 GPS, 2 DGPS…), satellites, HDOP, altitude."""

    talker: str
    time_of_day: time | None
    lat: float | None
    lon: float | None
    quality: int
    satellites: int | None
    hdop: float | None
    altitude_m: float | None


@dataclass(frozen=True, slots=True)
class Vtg:
    """Track made good and ground speed."""

    talker: str
    course: float | None
    speed_kmh: float | None


Sentence = Rmc | Gga | Vtg


class NmeaFramer:
    """Splits a byte stream into sentence lines (``$…*hh``), dropping over-long garbage."""

    __slots__ = ("_buf", "discarded")

    def __init__(self) -> None:
        self._buf = bytearray()
        self.discarded = 0

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        *lines, rest = self._buf.split(b"\n")
        self._buf = bytearray(rest)
        if len(self._buf) > MAX_LINE:
            self.discarded += len(self._buf)
            self._buf.clear()
        out = []
        for line in lines:
            line = line.strip()
            if line.startswith((b"$", b"!")) and len(line) <= MAX_LINE:
                out.append(bytes(line))
            else:
                self.discarded += len(line)
        return out


def _f(value: object) -> float | None:
    """A numeric field; empty, unparsable or not finite ("nan", "inf" parse as floats) is no value."""
    if value in (None, ""):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def decode(line: bytes | str) -> Sentence:
    """Parse one sentence; a missing or wrong checksum, an unknown type or bad fields raise."""
    raw = line.encode("ascii", "replace") if isinstance(line, str) else bytes(line)
    try:
        text = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        raise NmeaDecodeError("sentence is not ASCII", raw, 0) from None
    if "*" not in text:
        raise NmeaDecodeError("sentence has no checksum", raw, len(raw))
    try:
        msg = pynmea2.parse(text, check=True)
    except pynmea2.ChecksumError as exc:
        raise NmeaDecodeError(_reason(exc), raw, text.index("*")) from None
    except (pynmea2.ParseError, pynmea2.SentenceTypeError, ValueError) as exc:
        raise NmeaDecodeError(f"unparsable sentence: {_reason(exc)}", raw, 0) from None
    try:
        return _typed(msg)
    except (ValueError, TypeError, AttributeError) as exc:
        raise NmeaDecodeError(f"bad field: {exc}", raw, 0) from None


def _reason(exc: Exception) -> str:
    arg = exc.args[0] if exc.args else exc
    if isinstance(arg, tuple) and arg:
        arg = arg[0]
    return str(arg)


def _typed(msg: pynmea2.NMEASentence) -> Sentence:
    talker = msg.talker
    if isinstance(msg, pynmea2.types.talker.RMC):
        when = None
        if msg.datestamp and msg.timestamp:
            when = datetime.combine(msg.datestamp, msg.timestamp).replace(tzinfo=UTC)
            if when.year < 2000:  # two-digit years: a car's GNSS module lives in 20yy
                when = when.replace(year=when.year + 100)
        knots = _f(msg.spd_over_grnd)
        has_fix = bool(msg.lat and msg.lon)
        return Rmc(
            talker,
            when,
            msg.status == "A",
            msg.latitude if has_fix else None,
            msg.longitude if has_fix else None,
            None if knots is None else knots * KNOT_KMH,
            _f(msg.true_course),
        )
    if isinstance(msg, pynmea2.types.talker.GGA):
        has_fix = bool(msg.lat and msg.lon)
        sats = msg.num_sats
        return Gga(
            talker,
            msg.timestamp.replace(tzinfo=None) if isinstance(msg.timestamp, time) else None,
            msg.latitude if has_fix else None,
            msg.longitude if has_fix else None,
            int(msg.gps_qual or 0),
            int(sats) if sats not in (None, "") else None,
            _f(msg.horizontal_dil),
            _f(msg.altitude),
        )
    if isinstance(msg, pynmea2.types.talker.VTG):
        return Vtg(talker, _f(msg.true_track), _f(msg.spd_over_grnd_kmph))
    raise NmeaDecodeError(f"sentence type {msg.sentence_type} is not decoded", str(msg).encode(), 3)


def _dm(value: float | None, lat: bool) -> tuple[str, str]:
    if value is None:
        return "", ""
    hemi = ("N" if value >= 0 else "S") if lat else ("E" if value >= 0 else "W")
    v = abs(value)
    deg = int(v)
    minutes = (v - deg) * 60
    return (f"{deg:02d}{minutes:07.4f}" if lat else f"{deg:03d}{minutes:07.4f}"), hemi


def _num(value: float | None, fmt: str) -> str:
    return "" if value is None else format(value, fmt)


def encode(sentence: Sentence) -> bytes:
    """One sentence line with its checksum (positions to 1/10000 minute, speeds to 0.1)."""
    if isinstance(sentence, Rmc):
        if sentence.time is None:
            raise EncodeError("RMC needs a time")
        t = sentence.time.astimezone(UTC)
        lat, ns = _dm(sentence.lat, True)
        lon, ew = _dm(sentence.lon, False)
        knots = None if sentence.speed_kmh is None else sentence.speed_kmh / KNOT_KMH
        fields = [t.strftime("%H%M%S.00"), "A" if sentence.valid else "V", lat, ns, lon, ew]
        fields += [_num(knots, ".2f"), _num(sentence.course, ".1f"), t.strftime("%d%m%y"), "", ""]
        msg = pynmea2.RMC(sentence.talker, "RMC", fields)
    elif isinstance(sentence, Gga):
        lat, ns = _dm(sentence.lat, True)
        lon, ew = _dm(sentence.lon, False)
        tod = "" if sentence.time_of_day is None else sentence.time_of_day.strftime("%H%M%S.00")
        sats = "" if sentence.satellites is None else f"{sentence.satellites:02d}"
        fields = [tod, lat, ns, lon, ew, str(sentence.quality), sats, _num(sentence.hdop, ".1f")]
        fields += [_num(sentence.altitude_m, ".1f"), "M", "", "M", "", ""]
        msg = pynmea2.GGA(sentence.talker, "GGA", fields)
    else:
        fields = [_num(sentence.course, ".1f"), "T", "", "M", "", "N", _num(sentence.speed_kmh, ".1f"), "K", "A"]
        msg = pynmea2.VTG(sentence.talker, "VTG", fields)
    return str(msg).encode("ascii")


class NmeaSession:
    """The sentences of one GNSS module → positions; keeps only the last GGA (no I/O, no clock)."""

    __slots__ = ("_gga", "terminal_id")

    def __init__(self, terminal_id: str) -> None:
        self.terminal_id = terminal_id
        self._gga: Gga | None = None

    def add(self, sentence: Sentence) -> Position | None:
        if isinstance(sentence, Gga):
            self._gga = sentence
            return None
        if not isinstance(sentence, Rmc):
            return None
        extras: dict[Extra, ExtraValue] = {}
        altitude = None
        gga = self._gga
        if gga is not None and sentence.time is not None and gga.time_of_day == sentence.time.time():
            altitude = gga.altitude_m
            if gga.satellites is not None:
                extras[Extra.SATELLITES] = gga.satellites
            if gga.hdop is not None:
                extras[Extra.HDOP] = gga.hdop
        return Position(
            terminal_id=self.terminal_id,
            time=sentence.time,
            lat=sentence.lat,
            lon=sentence.lon,
            fix_valid=sentence.valid and sentence.lat is not None,
            altitude_m=altitude,
            speed_kmh=sentence.speed_kmh,
            course=sentence.course,
            extras=extras,
        )


__all__ = ["Gga", "NmeaFramer", "NmeaSession", "Rmc", "Sentence", "Vtg", "decode", "encode"]
