"""Pydantic I/O of pooled dispatch: plans with routes, stops and left-out bookings; overrides."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AcceptOut",
    "BookingBrief",
    "CarOption",
    "DriverOption",
    "Names",
    "OptionsOut",
    "OverrideIn",
    "OverrideOut",
    "PlanOut",
    "PlansOut",
    "RouteOut",
    "RunOut",
    "StopOut",
    "UnservedOut",
]


class Names(BaseModel):
    zh: str
    en: str


class StopOut(BaseModel):
    sequence: int
    booking_id: int
    code: str
    kind: Literal["pickup", "dropoff"]
    lat: float
    lon: float
    address: str
    arrive_at: datetime
    start_at: datetime
    load_after: int
    locked: bool
    change: Literal["new", "moved", "same", "aboard"]
    """Against the bookings now: a new assignment, moved from another car, kept, or a rider already aboard."""


class RouteOut(BaseModel):
    vehicle_id: int
    plate: str
    category: str
    seats: int
    energy_type: str
    driver_id: int
    driver_name: str
    start: tuple[float, float]
    """[lon, lat] where the car starts."""
    start_source: str
    depart_at: datetime
    finish_at: datetime
    distance_km: float
    readiness: float | None
    stops: list[StopOut]


class UnservedOut(BaseModel):
    booking_id: int
    code: str
    reason: str
    reason_name: Names
    previous_vehicle_id: int | None
    previous_plate: str | None = None


class BookingBrief(BaseModel):
    id: int
    code: str
    purpose: str
    unit_name: str | None
    passengers: int
    category: str
    may_pool: bool
    status: str
    status_name: Names
    pickup_address: str
    dropoff_address: str
    pickup: tuple[float, float]
    dropoff: tuple[float, float]
    earliest_pickup: datetime
    latest_arrival: datetime
    vehicle_id: int | None
    plate: str | None
    override: dict[str, Any] | None = None


class PlanOut(BaseModel):
    id: int
    status: str
    status_name: Names
    created_at: datetime
    trigger: str
    accepted_at: datetime | None
    cost: float
    distance_km: float
    served: int
    unserved_count: int
    moved: int
    verified: bool
    stats: dict[str, Any]
    routes: list[RouteOut]
    unserved: list[UnservedOut]
    bookings: list[BookingBrief]
    changes: dict[str, list[int]]
    """What accepting it does: ``assign``, ``reassign``, ``unassign``, ``keep`` (booking ids)."""


class PlansOut(BaseModel):
    proposal: PlanOut | None
    in_force: PlanOut | None
    overrides: list[OverrideOut]


class RunOut(BaseModel):
    plan: PlanOut | None
    unchanged: bool


class AcceptOut(BaseModel):
    plan: PlanOut
    assigned: list[int]
    reassigned: list[int]
    unassigned: list[int]
    kept: list[int]


class OverrideIn(BaseModel):
    booking_id: int
    kind: Literal["pin", "hold"] = "pin"
    vehicle_id: int | None = None
    driver_id: int | None = None
    note: str | None = Field(None, max_length=255)
    replan: bool = True
    """Run the planner at once so the proposal shows the override."""


class OverrideOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    booking_id: int
    kind: str
    vehicle_id: int | None
    driver_id: int | None
    note: str | None
    active: bool
    created_by: int | None
    created_at: datetime
    removed_at: datetime | None
    plate: str | None = None
    driver_name: str | None = None
    code: str | None = None
    plan: PlanOut | None = None


class CarOption(BaseModel):
    vehicle_id: int
    plate: str
    category: str
    seats: int
    energy_type: str
    fits: bool
    """Category, seats and (for ordinary trips) not a leader's car: an override to it is accepted."""


class DriverOption(BaseModel):
    driver_id: int
    name: str


class OptionsOut(BaseModel):
    cars: list[CarOption]
    drivers: list[DriverOption]


PlansOut.model_rebuild()
