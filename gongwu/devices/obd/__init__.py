"""OBD-II mode 01 (current data) PIDs, SAE J1979 formulas.

Used by terminal quirks that carry OBD data in vendor additional items. :func:`decode_pid` turns one PID's
data bytes into a reading; :func:`decode_pids` reads a ``PID, length, data`` record list;
:func:`encode_pid` is its inverse (the simulator uses it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gongwu.devices.errors import EncodeError, ObdDecodeError
from gongwu.devices.position import Extra


@dataclass(frozen=True, slots=True)
class PidSpec:
    pid: int
    name: str
    unit: str
    size: int
    decode: Callable[[bytes], float]
    encode: Callable[[float], bytes]
    extra: Extra | None = None


@dataclass(frozen=True, slots=True)
class ObdReading:
    pid: int
    name: str
    value: float
    unit: str
    extra: Extra | None


def _a(
    f: Callable[[int], float], g: Callable[[float], int]
) -> tuple[Callable[[bytes], float], Callable[[float], bytes]]:
    return (lambda d: f(d[0])), (lambda v: bytes((_clamp(g(v), 0xFF),)))


def _ab(
    f: Callable[[int], float], g: Callable[[float], int]
) -> tuple[Callable[[bytes], float], Callable[[float], bytes]]:
    return (lambda d: f(d[0] << 8 | d[1])), (lambda v: _clamp(g(v), 0xFFFF).to_bytes(2, "big"))


def _clamp(raw: int, top: int) -> int:
    if not 0 <= raw <= top:
        raise EncodeError(f"OBD value out of range (raw {raw})")
    return raw


def _spec(
    pid: int,
    name: str,
    unit: str,
    size: int,
    codec: tuple[Callable[[bytes], float], Callable[[float], bytes]],
    extra: Extra | None = None,
) -> PidSpec:
    return PidSpec(pid, name, unit, size, codec[0], codec[1], extra)


PIDS: dict[int, PidSpec] = {
    s.pid: s
    for s in (
        _spec(
            0x04,
            "engine_load",
            "%",
            1,
            _a(lambda a: a * 100 / 255, lambda v: round(v * 255 / 100)),
            Extra.ENGINE_LOAD_PCT,
        ),
        _spec(0x05, "coolant_temp", "°C", 1, _a(lambda a: a - 40, lambda v: round(v + 40)), Extra.COOLANT_TEMP_C),
        _spec(0x0A, "fuel_pressure", "kPa", 1, _a(lambda a: a * 3, lambda v: round(v / 3))),
        _spec(0x0B, "intake_map", "kPa", 1, _a(float, round)),
        _spec(0x0C, "rpm", "rpm", 2, _ab(lambda x: x / 4, lambda v: round(v * 4)), Extra.RPM),
        _spec(0x0D, "speed", "km/h", 1, _a(float, round), Extra.OBD_SPEED_KMH),
        _spec(0x0E, "timing_advance", "°", 1, _a(lambda a: a / 2 - 64, lambda v: round((v + 64) * 2))),
        _spec(0x0F, "intake_temp", "°C", 1, _a(lambda a: a - 40, lambda v: round(v + 40)), Extra.INTAKE_TEMP_C),
        _spec(0x10, "maf", "g/s", 2, _ab(lambda x: x / 100, lambda v: round(v * 100)), Extra.MAF_G_S),
        _spec(
            0x11,
            "throttle",
            "%",
            1,
            _a(lambda a: a * 100 / 255, lambda v: round(v * 255 / 100)),
            Extra.THROTTLE_PCT,
        ),
        _spec(0x1F, "run_time", "s", 2, _ab(float, round), Extra.ENGINE_RUNTIME_S),
        _spec(0x21, "distance_mil_on", "km", 2, _ab(float, round)),
        _spec(
            0x2F,
            "fuel_level",
            "%",
            1,
            _a(lambda a: a * 100 / 255, lambda v: round(v * 255 / 100)),
            Extra.FUEL_LEVEL_PCT,
        ),
        _spec(0x31, "distance_since_clear", "km", 2, _ab(float, round)),
        _spec(0x33, "barometric_pressure", "kPa", 1, _a(float, round)),
        _spec(
            0x42,
            "control_module_voltage",
            "V",
            2,
            _ab(lambda x: x / 1000, lambda v: round(v * 1000)),
            Extra.ECU_VOLTAGE_V,
        ),
        _spec(0x46, "ambient_temp", "°C", 1, _a(lambda a: a - 40, lambda v: round(v + 40)), Extra.AMBIENT_TEMP_C),
        _spec(0x5C, "oil_temp", "°C", 1, _a(lambda a: a - 40, lambda v: round(v + 40))),
        _spec(0x5E, "fuel_rate", "L/h", 2, _ab(lambda x: x / 20, lambda v: round(v * 20)), Extra.FUEL_RATE_L_H),
    )
}
"""Supported mode 01 PIDs."""


def decode_pid(pid: int, data: bytes) -> ObdReading:
    """One PID's value from its data bytes (A, B, … as in SAE J1979)."""
    spec = PIDS.get(pid)
    if spec is None:
        raise ObdDecodeError(f"PID 0x{pid:02x} is not supported", data, 0)
    if len(data) != spec.size:
        raise ObdDecodeError(f"PID 0x{pid:02x} needs {spec.size} data bytes, got {len(data)}", data, 0)
    return ObdReading(pid, spec.name, spec.decode(data), spec.unit, spec.extra)


def encode_pid(pid: int, value: float) -> bytes:
    spec = PIDS.get(pid)
    if spec is None:
        raise EncodeError(f"PID 0x{pid:02x} is not supported")
    return spec.encode(value)


def decode_pids(data: bytes) -> list[ObdReading]:
    """A list of ``PID BYTE, length BYTE, data`` records; unknown PIDs are skipped."""
    out = []
    pos = 0
    while pos < len(data):
        if pos + 2 > len(data) or pos + 2 + data[pos + 1] > len(data):
            raise ObdDecodeError("PID record overruns the data", data, pos)
        pid, n = data[pos], data[pos + 1]
        if pid in PIDS:
            out.append(decode_pid(pid, data[pos + 2 : pos + 2 + n]))
        pos += 2 + n
    return out


def encode_pids(values: dict[int, float]) -> bytes:
    out = b""
    for pid, value in values.items():
        raw = encode_pid(pid, value)
        out += bytes((pid, len(raw))) + raw
    return out
