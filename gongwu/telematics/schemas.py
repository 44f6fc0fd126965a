"""Pydantic I/O of the telematics API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AckIn",
    "CalendarDayIO",
    "CalendarIO",
    "CommandIn",
    "CommandOut",
    "DailyOut",
    "GeofenceIn",
    "GeofenceOut",
    "GeofencePatch",
    "LimitIn",
    "StopOut",
    "TerminalIn",
    "TerminalOut",
    "TerminalPatch",
    "TrackOut",
]


class TerminalIn(BaseModel):
    protocol: Literal["jt808", "gb32960", "nmea"]
    identifier: str = Field(description="JT/T 808 phone / terminal number; GB/T 32960 VIN; NMEA terminal id.")
    vehicle_id: int


class TerminalPatch(BaseModel):
    vehicle_id: int | None = None
    disabled: bool | None = None


class TerminalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    protocol: str
    identifier: str
    vehicle_id: int
    plate: str | None = None
    registered: bool = False
    registered_at: datetime | None
    maker: str
    model: str
    imei: str
    software_version: str
    disabled: bool
    auto_provisioned: bool
    online: bool = False
    created_at: datetime


class CommandIn(BaseModel):
    kind: Literal[
        "text", "location_query", "set_params", "query_params", "geofence_push", "geofence_delete", "gb_query"
    ]
    args: dict[str, Any] = Field(
        default_factory=dict,
        description="text: {text, flags?}; set_params: {params: {'0x0001': 30}}; geofence_push/delete: "
        "{geofence_id}; gb_query: {params: [ids]?}; the others take none.",
    )


class CommandOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    terminal_id: int
    kind: str
    args: dict[str, Any]
    status: str
    created_by_name: str
    created_at: datetime
    sent_at: datetime | None
    answered_at: datetime | None
    answer: dict[str, Any] | None


class AckIn(BaseModel):
    note: str | None = Field(None, max_length=400)


class TrackOut(BaseModel):
    points: list[list[Any]] = Field(description="[lon, lat, ISO time, speed km/h], oldest first")


class StopOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    start_time: datetime
    end_time: datetime | None
    lat: float | None
    lon: float | None
    ignition: bool


class DailyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    day: date
    distance_km: float
    driving_s: float
    trips: int
    max_speed_kmh: float
    fuel_used_l: float
    energy_used_kwh: float


class GeofenceIn(BaseModel):
    unit_id: int
    name: str = Field(min_length=1, max_length=80)
    shape: Literal["polygon", "circle"]
    geometry: dict[str, Any] | None = Field(None, description="GeoJSON Polygon ([lon, lat] rings) for a polygon.")
    center_lat: float | None = Field(None, ge=-90, le=90)
    center_lon: float | None = Field(None, ge=-180, le=180)
    radius_m: float | None = Field(None, gt=0)
    approved_area: bool = Field(False, description="Leaving it (every approved area of the unit) raises an alarm.")
    speed_limit_kmh: float | None = Field(None, gt=0, le=200, description="Overspeed limit inside.")
    active: bool = True


class GeofencePatch(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=80)
    shape: Literal["polygon", "circle"] | None = None
    geometry: dict[str, Any] | None = None
    center_lat: float | None = Field(None, ge=-90, le=90)
    center_lon: float | None = Field(None, ge=-180, le=180)
    radius_m: float | None = Field(None, gt=0)
    approved_area: bool | None = None
    speed_limit_kmh: float | None = Field(None, gt=0, le=200)
    active: bool | None = None


class GeofenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    unit_id: int
    name: str
    shape: str
    geometry: dict[str, Any] | None
    center_lat: float | None
    center_lon: float | None
    radius_m: float | None
    approved_area: bool
    speed_limit_kmh: float | None
    active: bool


class CalendarDayIO(BaseModel):
    day: date
    kind: Literal["holiday", "workday"]
    name: str = ""


class CalendarIO(BaseModel):
    unit_id: int | None = None
    workdays: str = Field("12345", description="ISO weekday digits (1 = Monday).")
    day_start: str = Field("08:00", pattern=r"^\d{2}:\d{2}$")
    day_end: str = Field("18:00", pattern=r"^\d{2}:\d{2}$")
    exempt_categories: str = Field("emergency", description="Categories never alarmed outside working hours.")
    days: list[CalendarDayIO] = Field(default_factory=list, description="Holidays and working weekend days.")


class LimitIn(BaseModel):
    speed_limit_kmh: float | None = Field(None, description="None: the default limit applies.")
