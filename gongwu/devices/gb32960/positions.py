"""GB/T 32960 real-time reports → normalised :class:`~gongwu.devices.position.Position`."""

from __future__ import annotations

from gongwu.devices.gb32960.codec import Gb32960Message
from gongwu.devices.gb32960.messages import RealtimeReport
from gongwu.devices.gb32960.units import Alarms, VehicleData, VehiclePosition
from gongwu.devices.position import Alarm, Extra, ExtraValue, Position

GENERAL_ALARM_BITS: tuple[Alarm, ...] = (
    Alarm.BATTERY_TEMP_DIFFERENCE,
    Alarm.BATTERY_HIGH_TEMP,
    Alarm.PACK_OVERVOLTAGE,
    Alarm.PACK_UNDERVOLTAGE,
    Alarm.SOC_LOW,
    Alarm.CELL_OVERVOLTAGE,
    Alarm.CELL_UNDERVOLTAGE,
    Alarm.SOC_HIGH,
    Alarm.SOC_JUMP,
    Alarm.PACK_MISMATCH,
    Alarm.CELL_INCONSISTENT,
    Alarm.INSULATION,
    Alarm.DCDC_TEMP,
    Alarm.BRAKE_SYSTEM,
    Alarm.DCDC_STATE,
    Alarm.MOTOR_CONTROLLER_TEMP,
    Alarm.HV_INTERLOCK,
    Alarm.MOTOR_TEMP,
    Alarm.PACK_OVERCHARGE,
    # 2025 additions (bits 19–27)
    Alarm.MOTOR_OVERSPEED,
    Alarm.MOTOR_OVERCURRENT,
    Alarm.SUPERCAP_OVERTEMP,
    Alarm.SUPERCAP_OVERPRESSURE,
    Alarm.BATTERY_THERMAL_EVENT,
    Alarm.HYDROGEN_LEAK,
    Alarm.HYDROGEN_PRESSURE,
    Alarm.HYDROGEN_TEMP,
    Alarm.FUEL_CELL_STACK_OVERTEMP,
)
"""通用报警标志, bit by bit (19 bits in 2016, 28 in 2025)."""


def general_alarms(flags: int, edition: str) -> frozenset[Alarm]:
    width = 28 if edition == "2025" else 19
    return frozenset(a for bit, a in enumerate(GENERAL_ALARM_BITS[:width]) if flags >> bit & 1)


def positions(msg: Gb32960Message) -> list[Position]:
    """The position of a real-time or re-sent report (coordinates ``None`` if it carries none)."""
    report = msg.payload
    if not isinstance(report, RealtimeReport):
        return []
    vehicle: VehicleData | None = report.unit(VehicleData)
    where: VehiclePosition | None = report.unit(VehiclePosition)
    alarms: Alarms | None = report.unit(Alarms)
    extras: dict[Extra, ExtraValue] = {}
    if report.resend:
        extras[Extra.BLIND_AREA] = True
    ignition = None
    if vehicle is not None:
        ignition = {1: True, 2: False}.get(vehicle.vehicle_state)
        extras[Extra.VEHICLE_STATE] = vehicle.vehicle_state
        extras[Extra.CHARGE_STATE] = vehicle.charge_state
        extras[Extra.GEAR] = vehicle.gear_position
        for key, value in (
            (Extra.TOTAL_VOLTAGE_V, vehicle.total_voltage_v),
            (Extra.TOTAL_CURRENT_A, vehicle.total_current_a),
            (Extra.INSULATION_KOHM, vehicle.insulation_kohm),
        ):
            if value is not None:
                extras[key] = value
    flagged: frozenset[Alarm] = frozenset()
    if alarms is not None:
        flagged = general_alarms(alarms.general_flags, msg.edition)
        extras[Extra.ALARM_LEVEL] = alarms.max_level
    if where is not None and where.coordinate_system is not None:
        extras[Extra.COORDINATE_SYSTEM] = where.coordinate_system
    return [
        Position(
            terminal_id=msg.vin,
            time=report.time,
            lat=None if where is None else where.lat,
            lon=None if where is None else where.lon,
            fix_valid=where is not None and where.valid and where.lat is not None and where.lon is not None,
            speed_kmh=None if vehicle is None else vehicle.speed_kmh,
            ignition=ignition,
            odometer_km=None if vehicle is None else vehicle.odometer_km,
            soc_pct=None if vehicle is None or vehicle.soc_pct is None else float(vehicle.soc_pct),
            alarms=flagged,
            extras=extras,
        )
    ]
