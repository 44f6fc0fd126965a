"""Information units (信息体) of GB/T 32960.3 real-time reports, 2016 and 2025 editions.

A measured value sent as the "abnormal" (0xFE…) or "invalid" (0xFF…) marker decodes to ``None`` — unknown,
never a number — and ``None`` encodes as the invalid marker. State bytes (vehicle state, gear…) stay ints.
2025 renumbers the types: extremes are gone, alarms are 0x06, pack voltages 0x07, pack temperatures 0x08.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gongwu.devices._wire import Reader, check_range
from gongwu.devices.errors import EncodeError

GbEdition = Literal["2016", "2025"]


# ------------------------------------------------------------------ scaled fields with markers


def scaled(raw: int, size: int, divisor: int = 1, raw_offset: int = 0) -> float | None:
    """``(raw - raw_offset) / divisor``, or ``None`` for the 0xFE…/0xFF… markers of a ``size``-byte field."""
    if raw >= (1 << (8 * size)) - 2:
        return None
    return (raw - raw_offset) / divisor


def unscaled(value: float | None, size: int, what: str, divisor: int = 1, raw_offset: int = 0) -> bytes:
    top = (1 << (8 * size)) - 1
    if value is None:
        return top.to_bytes(size, "big")
    raw = round(value * divisor) + raw_offset
    if not 0 <= raw < top - 1:
        raise EncodeError(f"{what} = {value} is outside the range of its field")
    return raw.to_bytes(size, "big")


def _int(r: Reader, size: int, what: str) -> int:
    return r.u8(what) if size == 1 else r.u16(what) if size == 2 else r.u32(what)


def _opt_int(value: float | None) -> int | None:
    return None if value is None else int(value)


# ------------------------------------------------------------------ the units


@dataclass(frozen=True, slots=True)
class VehicleData:
    """整车数据 (0x01). States: vehicle 1 on/2 off/3 other; charge 1 parked charging/2 driving charging/
    3 not charging/4 charged; mode 1 electric/2 hybrid/3 fuel; DC-DC 1 on/2 off. ``gear`` is the raw gear
    byte (bits 0–3 position, 13 R, 14 D, 15 P; bit 4 braking force, bit 5 driving force)."""

    vehicle_state: int
    charge_state: int
    run_mode: int
    speed_kmh: float | None
    odometer_km: float | None
    total_voltage_v: float | None
    total_current_a: float | None
    soc_pct: int | None
    dcdc_state: int
    gear: int
    insulation_kohm: int | None
    accelerator_pct: int | None = None
    """2016 only (the 2025 edition dropped the pedals)."""
    brake_pct: int | None = None

    @property
    def gear_position(self) -> int:
        return self.gear & 0x0F


def _current_offset(edition: GbEdition) -> int:
    return 30000 if edition == "2025" else 10000


def decode_vehicle(r: Reader, edition: GbEdition) -> VehicleData:
    states = (r.u8("vehicle state"), r.u8("charge state"), r.u8("run mode"))
    speed = scaled(r.u16("speed"), 2, 10)
    odometer = scaled(r.u32("odometer"), 4, 10)
    voltage = scaled(r.u16("total voltage"), 2, 10)
    current = scaled(r.u16("total current"), 2, 10, _current_offset(edition))
    soc = _opt_int(scaled(r.u8("SOC"), 1))
    dcdc, gear = r.u8("DC-DC state"), r.u8("gear")
    raw_insulation = r.u16("insulation")
    insulation = raw_insulation if edition == "2016" else _opt_int(scaled(raw_insulation, 2))
    if edition == "2025":
        return VehicleData(*states, speed, odometer, voltage, current, soc, dcdc, gear, insulation)
    accel = _opt_int(scaled(r.u8("accelerator"), 1))
    brake = _opt_int(scaled(r.u8("brake"), 1))
    return VehicleData(*states, speed, odometer, voltage, current, soc, dcdc, gear, insulation, accel, brake)


def encode_vehicle(u: VehicleData, edition: GbEdition) -> bytes:
    out = bytes((check_range(u.vehicle_state, 8, "vehicle_state"), check_range(u.charge_state, 8, "charge_state")))
    out += bytes((check_range(u.run_mode, 8, "run_mode"),))
    out += unscaled(u.speed_kmh, 2, "speed", 10) + unscaled(u.odometer_km, 4, "odometer", 10)
    out += unscaled(u.total_voltage_v, 2, "voltage", 10)
    out += unscaled(u.total_current_a, 2, "current", 10, _current_offset(edition))
    out += unscaled(u.soc_pct, 1, "soc") + bytes((check_range(u.dcdc_state, 8, "dcdc"), check_range(u.gear, 8, "gear")))
    if edition == "2016":
        if u.insulation_kohm is None:
            raise EncodeError("the 2016 insulation field has no invalid marker")
        out += check_range(u.insulation_kohm, 16, "insulation").to_bytes(2, "big")
        return out + unscaled(u.accelerator_pct, 1, "accelerator") + unscaled(u.brake_pct, 1, "brake")
    if u.accelerator_pct is not None or u.brake_pct is not None:
        raise EncodeError("the 2025 vehicle data has no pedal positions")
    return out + unscaled(u.insulation_kohm, 2, "insulation")


@dataclass(frozen=True, slots=True)
class DriveMotor:
    """One drive motor. State 1 consuming, 2 generating, 3 off, 4 ready. 2025 drops voltage and current."""

    number: int
    state: int
    controller_temp_c: int | None
    rpm: int | None
    torque_nm: float | None
    temp_c: int | None
    input_voltage_v: float | None = None
    dc_current_a: float | None = None


@dataclass(frozen=True, slots=True)
class DriveMotors:
    """驱动电机数据 (0x02)."""

    motors: tuple[DriveMotor, ...]


def decode_motors(r: Reader, edition: GbEdition) -> DriveMotors:
    motors = []
    for _ in range(r.u8("motor count")):
        number, state = r.u8("motor number"), r.u8("motor state")
        ctrl = _opt_int(scaled(r.u8("controller temp"), 1, 1, 40))
        if edition == "2016":
            rpm = _opt_int(scaled(r.u16("rpm"), 2, 1, 20000))
            torque = scaled(r.u16("torque"), 2, 10, 20000)
            temp = _opt_int(scaled(r.u8("motor temp"), 1, 1, 40))
            volt = scaled(r.u16("input voltage"), 2, 10)
            amps = scaled(r.u16("DC current"), 2, 10, 10000)
            motors.append(DriveMotor(number, state, ctrl, rpm, torque, temp, volt, amps))
        else:
            rpm = _opt_int(scaled(r.u16("rpm"), 2, 1, 32000))
            torque = scaled(r.u32("torque"), 4, 10, 200000)
            temp = _opt_int(scaled(r.u8("motor temp"), 1, 1, 40))
            motors.append(DriveMotor(number, state, ctrl, rpm, torque, temp))
    return DriveMotors(tuple(motors))


def encode_motors(u: DriveMotors, edition: GbEdition) -> bytes:
    out = bytes((check_range(len(u.motors), 8, "motor count"),))
    for m in u.motors:
        out += bytes((check_range(m.number, 8, "motor number"), check_range(m.state, 8, "motor state")))
        out += unscaled(m.controller_temp_c, 1, "controller temp", 1, 40)
        if edition == "2016":
            out += unscaled(m.rpm, 2, "rpm", 1, 20000) + unscaled(m.torque_nm, 2, "torque", 10, 20000)
            out += unscaled(m.temp_c, 1, "motor temp", 1, 40)
            out += unscaled(m.input_voltage_v, 2, "input voltage", 10) + unscaled(
                m.dc_current_a, 2, "current", 10, 10000
            )
        else:
            if m.input_voltage_v is not None or m.dc_current_a is not None:
                raise EncodeError("2025 drive motors carry no voltage/current")
            out += unscaled(m.rpm, 2, "rpm", 1, 32000) + unscaled(m.torque_nm, 4, "torque", 10, 200000)
            out += unscaled(m.temp_c, 1, "motor temp", 1, 40)
    return out


@dataclass(frozen=True, slots=True)
class FuelCell:
    """燃料电池数据 (0x03, 2016 layout)."""

    voltage_v: float | None
    current_a: float | None
    consumption_kg_100km: float | None
    probe_temps_c: tuple[int | None, ...]
    max_h2_temp_c: float | None
    max_h2_temp_probe: int
    max_h2_concentration_ppm: int | None
    max_h2_concentration_sensor: int
    max_h2_pressure_mpa: float | None
    max_h2_pressure_sensor: int
    dcdc_state: int


def decode_fuel_cell(r: Reader, edition: GbEdition) -> FuelCell:
    volt, amps = scaled(r.u16("voltage"), 2, 10), scaled(r.u16("current"), 2, 10)
    rate = scaled(r.u16("consumption"), 2, 100)
    temps = tuple(_opt_int(scaled(r.u8("probe temp"), 1, 1, 40)) for _ in range(r.u16("probe count")))
    h2_temp, h2_probe = scaled(r.u16("max H2 temp"), 2, 10, 400), r.u8("max H2 temp probe")
    conc, conc_sensor = _opt_int(scaled(r.u16("max H2 concentration"), 2)), r.u8("concentration sensor")
    pressure, pressure_sensor = scaled(r.u16("max H2 pressure"), 2, 10), r.u8("pressure sensor")
    return FuelCell(
        volt, amps, rate, temps, h2_temp, h2_probe, conc, conc_sensor, pressure, pressure_sensor, r.u8("DC-DC")
    )


def encode_fuel_cell(u: FuelCell, edition: GbEdition) -> bytes:
    out = unscaled(u.voltage_v, 2, "voltage", 10) + unscaled(u.current_a, 2, "current", 10)
    out += unscaled(u.consumption_kg_100km, 2, "consumption", 100)
    out += check_range(len(u.probe_temps_c), 16, "probe count").to_bytes(2, "big")
    out += b"".join(unscaled(t, 1, "probe temp", 1, 40) for t in u.probe_temps_c)
    out += unscaled(u.max_h2_temp_c, 2, "H2 temp", 10, 400) + bytes((check_range(u.max_h2_temp_probe, 8, "probe"),))
    out += unscaled(u.max_h2_concentration_ppm, 2, "H2 concentration")
    out += bytes((check_range(u.max_h2_concentration_sensor, 8, "sensor"),))
    out += unscaled(u.max_h2_pressure_mpa, 2, "H2 pressure", 10) + bytes(
        (check_range(u.max_h2_pressure_sensor, 8, "s"),)
    )
    return out + bytes((check_range(u.dcdc_state, 8, "dcdc"),))


@dataclass(frozen=True, slots=True)
class Engine:
    """发动机数据 (0x04). 2025 keeps only the crankshaft speed."""

    crank_rpm: int | None
    state: int | None = None
    fuel_rate_l_100km: float | None = None


def decode_engine(r: Reader, edition: GbEdition) -> Engine:
    if edition == "2025":
        return Engine(_opt_int(scaled(r.u16("crank speed"), 2)))
    state = r.u8("engine state")
    rpm = _opt_int(scaled(r.u16("crank speed"), 2))
    return Engine(rpm, state, scaled(r.u16("fuel rate"), 2, 100))


def encode_engine(u: Engine, edition: GbEdition) -> bytes:
    if edition == "2025":
        if u.state is not None or u.fuel_rate_l_100km is not None:
            raise EncodeError("2025 engine data has only the crankshaft speed")
        return unscaled(u.crank_rpm, 2, "crank speed")
    if u.state is None:
        raise EncodeError("2016 engine data needs the engine state")
    return (
        bytes((check_range(u.state, 8, "state"),))
        + unscaled(u.crank_rpm, 2, "crank speed")
        + unscaled(u.fuel_rate_l_100km, 2, "fuel rate", 100)
    )


@dataclass(frozen=True, slots=True)
class VehiclePosition:
    """车辆位置数据 (0x05). Status bit 0 = 1 means no valid fix; bits 1/2 south/west.
    ``coordinate_system`` (2025): 1 WGS-84, 2 GCJ-02, 3 other."""

    status: int
    lat: float | None
    lon: float | None
    coordinate_system: int | None = None

    @property
    def valid(self) -> bool:
        return not self.status & 1


def decode_position(r: Reader, edition: GbEdition) -> VehiclePosition:
    status = r.u8("position status")
    system = r.u8("coordinate system") if edition == "2025" else None
    lon, lat = scaled(r.u32("longitude"), 4, 1_000_000), scaled(r.u32("latitude"), 4, 1_000_000)
    if lat is not None and status & 2:
        lat = -lat
    if lon is not None and status & 4:
        lon = -lon
    return VehiclePosition(status, lat, lon, system)


def encode_position(u: VehiclePosition, edition: GbEdition) -> bytes:
    out = bytes((check_range(u.status, 8, "status"),))
    if edition == "2025":
        out += bytes((check_range(1 if u.coordinate_system is None else u.coordinate_system, 8, "system"),))
    elif u.coordinate_system is not None:
        raise EncodeError("the coordinate system byte exists only in 2025")
    for value, bit, what in ((u.lon, 4, "longitude"), (u.lat, 2, "latitude")):
        if value is not None and value < 0 and not u.status & bit:
            raise EncodeError(f"negative {what} needs status bit {bit >> 1}")
        out += unscaled(None if value is None else abs(value), 4, what, 1_000_000)
    return out


@dataclass(frozen=True, slots=True)
class Extremes:
    """极值数据 (0x06, 2016 only): where the highest/lowest cell voltage and temperature are."""

    max_voltage_subsystem: int
    max_voltage_cell: int
    max_cell_voltage_v: float | None
    min_voltage_subsystem: int
    min_voltage_cell: int
    min_cell_voltage_v: float | None
    max_temp_subsystem: int
    max_temp_probe: int
    max_temp_c: int | None
    min_temp_subsystem: int
    min_temp_probe: int
    min_temp_c: int | None


def decode_extremes(r: Reader, edition: GbEdition) -> Extremes:
    out: list[int | float | None] = []
    for _ in range(2):
        out += [r.u8("subsystem"), r.u8("cell"), scaled(r.u16("cell voltage"), 2, 1000)]
    for _ in range(2):
        out += [r.u8("subsystem"), r.u8("probe"), _opt_int(scaled(r.u8("temperature"), 1, 1, 40))]
    return Extremes(*out)  # type: ignore[arg-type]


def encode_extremes(u: Extremes, edition: GbEdition) -> bytes:
    out = b""
    for sub, cell, volt in (
        (u.max_voltage_subsystem, u.max_voltage_cell, u.max_cell_voltage_v),
        (u.min_voltage_subsystem, u.min_voltage_cell, u.min_cell_voltage_v),
    ):
        out += bytes((check_range(sub, 8, "subsystem"), check_range(cell, 8, "cell"))) + unscaled(volt, 2, "volt", 1000)
    for sub, probe, temp in (
        (u.max_temp_subsystem, u.max_temp_probe, u.max_temp_c),
        (u.min_temp_subsystem, u.min_temp_probe, u.min_temp_c),
    ):
        out += bytes((check_range(sub, 8, "subsystem"), check_range(probe, 8, "probe"))) + unscaled(temp, 1, "t", 1, 40)
    return out


@dataclass(frozen=True, slots=True)
class Alarms:
    """报警数据 (0x07 in 2016, 0x06 in 2025): highest level, general flags, fault code lists.
    2025 adds a list of (general alarm bit, level) pairs."""

    max_level: int
    general_flags: int
    battery_faults: tuple[int, ...] = ()
    motor_faults: tuple[int, ...] = ()
    engine_faults: tuple[int, ...] = ()
    other_faults: tuple[int, ...] = ()
    general_levels: tuple[tuple[int, int], ...] = ()


def decode_alarms(r: Reader, edition: GbEdition) -> Alarms:
    level, flags = r.u8("max alarm level"), r.u32("general alarm flags")
    lists = [tuple(r.u32("fault code") for _ in range(r.u8("fault count"))) for _ in range(4)]
    levels: tuple[tuple[int, int], ...] = ()
    if edition == "2025":
        levels = tuple((r.u8("alarm"), r.u8("level")) for _ in range(r.u8("general alarm count")))
    return Alarms(level, flags, lists[0], lists[1], lists[2], lists[3], levels)


def encode_alarms(u: Alarms, edition: GbEdition) -> bytes:
    out = bytes((check_range(u.max_level, 8, "level"),)) + check_range(u.general_flags, 32, "flags").to_bytes(4, "big")
    for codes in (u.battery_faults, u.motor_faults, u.engine_faults, u.other_faults):
        out += bytes((check_range(len(codes), 8, "fault count"),))
        out += b"".join(check_range(c, 32, "fault code").to_bytes(4, "big") for c in codes)
    if edition == "2025":
        out += bytes((check_range(len(u.general_levels), 8, "alarm count"),))
        out += b"".join(bytes((check_range(a, 8, "alarm"), check_range(lv, 8, "level"))) for a, lv in u.general_levels)
    elif u.general_levels:
        raise EncodeError("per-alarm levels exist only in 2025")
    return out


@dataclass(frozen=True, slots=True)
class PackVoltage:
    """One rechargeable energy storage subsystem's voltages. 2016 frames may carry a slice of the cells
    (``first_cell``, 1-based, and ``cells_total``); 2025 always carries them all."""

    number: int
    voltage_v: float | None
    current_a: float | None
    cell_voltages_v: tuple[float | None, ...]
    cells_total: int | None = None
    first_cell: int | None = None


@dataclass(frozen=True, slots=True)
class PackVoltages:
    """可充电储能装置电压数据 (0x08 in 2016, 0x07 in 2025)."""

    packs: tuple[PackVoltage, ...]


def decode_pack_voltages(r: Reader, edition: GbEdition) -> PackVoltages:
    packs = []
    for _ in range(r.u8("subsystem count")):
        number = r.u8("subsystem number")
        volt = scaled(r.u16("pack voltage"), 2, 10)
        amps = scaled(r.u16("pack current"), 2, 10, _current_offset(edition))
        total: int | None = None
        first: int | None = None
        if edition == "2016":
            total, first, count = r.u16("cells total"), r.u16("first cell"), r.u8("cells in frame")
        else:
            count = r.u16("cell count")
        cells = tuple(scaled(r.u16("cell voltage"), 2, 1000) for _ in range(count))
        packs.append(PackVoltage(number, volt, amps, cells, total, first))
    return PackVoltages(tuple(packs))


def encode_pack_voltages(u: PackVoltages, edition: GbEdition) -> bytes:
    out = bytes((check_range(len(u.packs), 8, "subsystem count"),))
    for p in u.packs:
        out += bytes((check_range(p.number, 8, "subsystem"),)) + unscaled(p.voltage_v, 2, "pack voltage", 10)
        out += unscaled(p.current_a, 2, "pack current", 10, _current_offset(edition))
        if edition == "2016":
            if p.cells_total is None or p.first_cell is None:
                raise EncodeError("2016 pack voltages need cells_total and first_cell")
            out += check_range(p.cells_total, 16, "cells_total").to_bytes(2, "big")
            out += check_range(p.first_cell, 16, "first_cell").to_bytes(2, "big")
            out += bytes((check_range(len(p.cell_voltages_v), 8, "cells in frame"),))
        else:
            if p.cells_total is not None or p.first_cell is not None:
                raise EncodeError("2025 pack voltages carry all cells (no slice fields)")
            out += check_range(len(p.cell_voltages_v), 16, "cell count").to_bytes(2, "big")
        out += b"".join(unscaled(v, 2, "cell voltage", 1000) for v in p.cell_voltages_v)
    return out


@dataclass(frozen=True, slots=True)
class PackTemperature:
    number: int
    probe_temps_c: tuple[int | None, ...]


@dataclass(frozen=True, slots=True)
class PackTemperatures:
    """可充电储能装置温度数据 (0x09 in 2016, 0x08 in 2025)."""

    packs: tuple[PackTemperature, ...]


def decode_pack_temps(r: Reader, edition: GbEdition) -> PackTemperatures:
    packs = []
    for _ in range(r.u8("subsystem count")):
        number = r.u8("subsystem number")
        temps = tuple(_opt_int(scaled(r.u8("probe temp"), 1, 1, 40)) for _ in range(r.u16("probe count")))
        packs.append(PackTemperature(number, temps))
    return PackTemperatures(tuple(packs))


def encode_pack_temps(u: PackTemperatures, edition: GbEdition) -> bytes:
    out = bytes((check_range(len(u.packs), 8, "subsystem count"),))
    for p in u.packs:
        out += bytes((check_range(p.number, 8, "subsystem"),))
        out += check_range(len(p.probe_temps_c), 16, "probe count").to_bytes(2, "big")
        out += b"".join(unscaled(t, 1, "probe temp", 1, 40) for t in p.probe_temps_c)
    return out


@dataclass(frozen=True, slots=True)
class VendorUnit:
    """A vendor-defined unit (types 0x80–0xFE): WORD length + bytes."""

    unit_type: int
    data: bytes


@dataclass(frozen=True, slots=True)
class RawUnit:
    """A standard-range unit this codec has no layout for; it runs to the end of the units."""

    unit_type: int
    data: bytes


Unit = (
    VehicleData
    | DriveMotors
    | FuelCell
    | Engine
    | VehiclePosition
    | Extremes
    | Alarms
    | PackVoltages
    | PackTemperatures
    | VendorUnit
    | RawUnit
)
