"""The one normalised location record every protocol produces.

Downstream code (the ingest pipeline, live state, trips) consumes :class:`Position` and never needs to know
whether a car speaks JT/T 808, GB/T 32960 or NMEA. Units are fixed: degrees WGS-84 as sent by the terminal,
metres, km/h, km, litres, percent. A value the terminal did not send, or sent as "invalid", is ``None``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


class Alarm(enum.StrEnum):
    """Named alarms, shared by all protocols (报警标志 of JT/T 808, 通用报警标志 of GB/T 32960)."""

    __hash__ = str.__hash__  # hash like the string it equals (and faster than Enum's)

    # JT/T 808 alarm word, bit by bit
    SOS = "sos"
    OVERSPEED = "overspeed"
    FATIGUE_DRIVING = "fatigue_driving"
    DANGER_WARNING = "danger_warning"
    GNSS_FAULT = "gnss_fault"
    GNSS_ANTENNA_CUT = "gnss_antenna_cut"
    GNSS_ANTENNA_SHORT = "gnss_antenna_short"
    POWER_LOW = "power_low"
    POWER_CUT = "power_cut"
    DISPLAY_FAULT = "display_fault"
    TTS_FAULT = "tts_fault"
    CAMERA_FAULT = "camera_fault"
    IC_CARD_FAULT = "ic_card_fault"
    OVERSPEED_WARNING = "overspeed_warning"
    FATIGUE_WARNING = "fatigue_warning"
    DRIVING_TIMEOUT_TODAY = "driving_timeout_today"
    PARKING_TIMEOUT = "parking_timeout"
    AREA_IN_OUT = "area_in_out"
    ROUTE_IN_OUT = "route_in_out"
    ROUTE_TIME = "route_time"
    ROUTE_DEVIATION = "route_deviation"
    VSS_FAULT = "vss_fault"
    FUEL_ABNORMAL = "fuel_abnormal"
    STOLEN = "stolen"
    ILLEGAL_IGNITION = "illegal_ignition"
    ILLEGAL_MOVEMENT = "illegal_movement"
    COLLISION = "collision"
    ROLLOVER = "rollover"
    ILLEGAL_DOOR_OPEN = "illegal_door_open"
    # GB/T 32960 general alarm flags
    BATTERY_TEMP_DIFFERENCE = "battery_temp_difference"
    BATTERY_HIGH_TEMP = "battery_high_temp"
    PACK_OVERVOLTAGE = "pack_overvoltage"
    PACK_UNDERVOLTAGE = "pack_undervoltage"
    SOC_LOW = "soc_low"
    CELL_OVERVOLTAGE = "cell_overvoltage"
    CELL_UNDERVOLTAGE = "cell_undervoltage"
    SOC_HIGH = "soc_high"
    SOC_JUMP = "soc_jump"
    PACK_MISMATCH = "pack_mismatch"
    CELL_INCONSISTENT = "cell_inconsistent"
    INSULATION = "insulation"
    DCDC_TEMP = "dcdc_temp"
    BRAKE_SYSTEM = "brake_system"
    DCDC_STATE = "dcdc_state"
    MOTOR_CONTROLLER_TEMP = "motor_controller_temp"
    HV_INTERLOCK = "hv_interlock"
    MOTOR_TEMP = "motor_temp"
    PACK_OVERCHARGE = "pack_overcharge"
    MOTOR_OVERSPEED = "motor_overspeed"
    MOTOR_OVERCURRENT = "motor_overcurrent"
    SUPERCAP_OVERTEMP = "supercap_overtemp"
    SUPERCAP_OVERPRESSURE = "supercap_overpressure"
    BATTERY_THERMAL_EVENT = "battery_thermal_event"
    HYDROGEN_LEAK = "hydrogen_leak"
    HYDROGEN_PRESSURE = "hydrogen_pressure"
    HYDROGEN_TEMP = "hydrogen_temp"
    FUEL_CELL_STACK_OVERTEMP = "fuel_cell_stack_overtemp"


class Extra(enum.StrEnum):
    """Keys of the typed extras of a :class:`Position`; the unit is part of the name."""

    __hash__ = str.__hash__

    SATELLITES = "satellites"
    RSSI = "rssi"
    HDOP = "hdop"
    RECORDER_SPEED_KMH = "recorder_speed_kmh"
    ALARM_EVENT_ID = "alarm_event_id"
    IO_STATUS = "io_status"
    EXT_SIGNALS = "ext_signals"
    ANALOG_AD0 = "analog_ad0"
    ANALOG_AD1 = "analog_ad1"
    STATUS_BITS = "status_bits"
    ALARM_BITS = "alarm_bits"
    DOOR_LOCKED = "door_locked"
    BATTERY_V = "battery_v"
    BATTERY_PCT = "battery_pct"
    ICCID = "iccid"
    RPM = "rpm"
    ENGINE_LOAD_PCT = "engine_load_pct"
    COOLANT_TEMP_C = "coolant_temp_c"
    INTAKE_TEMP_C = "intake_temp_c"
    THROTTLE_PCT = "throttle_pct"
    MAF_G_S = "maf_g_s"
    FUEL_LEVEL_PCT = "fuel_level_pct"
    FUEL_RATE_L_H = "fuel_rate_l_h"
    OBD_SPEED_KMH = "obd_speed_kmh"
    ENGINE_RUNTIME_S = "engine_runtime_s"
    ECU_VOLTAGE_V = "ecu_voltage_v"
    AMBIENT_TEMP_C = "ambient_temp_c"
    VEHICLE_STATE = "vehicle_state"
    CHARGE_STATE = "charge_state"
    TOTAL_VOLTAGE_V = "total_voltage_v"
    TOTAL_CURRENT_A = "total_current_a"
    INSULATION_KOHM = "insulation_kohm"
    GEAR = "gear"
    ALARM_LEVEL = "alarm_level"
    COORDINATE_SYSTEM = "coordinate_system"
    BLIND_AREA = "blind_area"


ExtraValue = int | float | str | bool


@dataclass(frozen=True, slots=True)
class Position:
    """One location fix of one terminal, whatever protocol it came in.

    ``time`` is an aware UTC datetime, or ``None`` if the terminal sent no usable clock (all zeros); the
    pipeline then stamps the receive time. ``lat``/``lon`` are ``None`` only when the protocol had no
    coordinates at all (a GB/T 32960 report without a position unit, or with invalid markers).
    """

    terminal_id: str
    time: datetime | None
    lat: float | None
    lon: float | None
    fix_valid: bool
    altitude_m: float | None = None
    speed_kmh: float | None = None
    course: float | None = None
    ignition: bool | None = None
    odometer_km: float | None = None
    fuel_l: float | None = None
    soc_pct: float | None = None
    alarms: frozenset[Alarm] = frozenset()
    extras: Mapping[Extra, ExtraValue] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        """The JSON shape used by the command line and tests: ``time`` as ISO 8601 UTC with ``Z``."""
        return {
            "terminal_id": self.terminal_id,
            "time": iso_utc(self.time),
            "lat": self.lat,
            "lon": self.lon,
            "fix_valid": self.fix_valid,
            "altitude_m": self.altitude_m,
            "speed_kmh": self.speed_kmh,
            "course": self.course,
            "ignition": self.ignition,
            "odometer_km": self.odometer_km,
            "fuel_l": self.fuel_l,
            "soc_pct": self.soc_pct,
            "alarms": sorted(a.value for a in self.alarms),
            "extras": {k.value: v for k, v in sorted(self.extras.items())},
        }


def iso_utc(value: datetime | None) -> str | None:
    """``2024-01-10T09:26:05Z`` for an aware datetime (converted to UTC), ``None`` for ``None``."""
    if value is None:
        return None
    from datetime import UTC

    text = value.astimezone(UTC).replace(tzinfo=None).isoformat()
    return text + "Z"
