"""HTTP shapes of bookings, approvals, frequent places and notifications."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ApprovalOut",
    "BookingDetail",
    "BookingIn",
    "BookingOut",
    "DecisionIn",
    "EstimateIn",
    "EstimateOut",
    "EventOut",
    "LiveOut",
    "PlaceIn",
    "PlaceOut",
    "StopIn",
]


class StopIn(BaseModel):
    """A pick-up or drop-off point: WGS-84 coordinates and what to call it."""

    model_config = ConfigDict(str_strip_whitespace=True)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    address: str = Field(min_length=1, max_length=200, description="Street or place name shown to the driver")


class BookingIn(BaseModel):
    """A request for an official car (用车申请)."""

    model_config = ConfigDict(str_strip_whitespace=True)
    purpose: str = Field(min_length=2, max_length=200, description="事由: what the trip is for")
    passengers: int = Field(1, ge=1, le=99)
    passenger_names: list[str] = Field(default_factory=list, max_length=99)
    pickup: StopIn
    dropoff: StopIn
    earliest_pickup: datetime = Field(description="Earliest pick-up; without a zone: the bureau's local time")
    latest_arrival: datetime = Field(description="Latest arrival at the drop-off")
    category: str = Field("other", description="Car category wanted (fleet categories)")
    min_seats: int | None = Field(None, ge=2, le=60, description="A bigger car than passengers + driver")
    poolable: bool = Field(True, description="The requester allows sharing the car (拼车)")
    confidential: bool = Field(False, description="机要: never pooled, confidential cars only")
    leader_trip: bool = Field(False, description="定向化保障: a leader's trip, never pooled")
    unit_id: int | None = Field(None, description="The unit that pays (default: the requester's)")
    contact_phone: str | None = Field(None, max_length=32)
    note: str | None = Field(None, max_length=255, description="For the driver")


class EstimateIn(BaseModel):
    pickup: StopIn
    dropoff: StopIn
    category: str = "other"
    depart_at: datetime | None = None


class EstimateOut(BaseModel):
    km: float
    minutes: float
    cost: Decimal
    approximate: bool
    beyond_city: bool
    geometry: list[tuple[float, float]] = Field(description="[lon, lat] pairs of the route")


class DecisionIn(BaseModel):
    reason: str | None = Field(None, max_length=255, description="Required to reject; optional otherwise")


class BookingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    unit_id: int
    unit_name: str | None = None
    requester_id: int
    requester_name: str | None = None
    purpose: str
    passengers: int
    passenger_names: list[str]
    contact_phone: str | None
    note: str | None
    pickup_lat: float
    pickup_lon: float
    pickup_address: str
    dropoff_lat: float
    dropoff_lon: float
    dropoff_address: str
    earliest_pickup: datetime
    latest_arrival: datetime
    category: str
    min_seats: int
    poolable: bool
    confidential: bool
    leader_trip: bool
    may_pool: bool
    beyond_city: bool
    status: str
    status_name: dict[str, str] | None = None
    approval_levels: int
    approved_level: int
    pending_level: int | None
    estimated_km: float
    estimated_minutes: float
    estimate_approximate: bool
    max_ride_minutes: float
    estimated_cost: Decimal
    budget_line_id: int | None
    vehicle_id: int | None
    plate: str | None = None
    driver_id: int | None
    driver_name: str | None = None
    driver_phone: str | None = None
    planned_pickup_at: datetime | None
    planned_dropoff_at: datetime | None
    checkin_code: str | None = Field(None, description="Shown to the requester (and the driver) only")
    actual_km: float | None
    actual_cost: Decimal | None
    telematics_trip_id: int | None
    created_at: datetime
    updated_at: datetime


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    actor_id: int | None
    actor_name: str
    kind: str
    from_status: str | None
    to_status: str
    note: str | None


class ApprovalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    level: int
    approver_id: int
    approver_name: str | None = None
    decision: str
    reason: str | None
    at: datetime


class LiveOut(BaseModel):
    """Where the assigned car is and when it should reach the next stop (pick-up, or drop-off once riding)."""

    lat: float
    lon: float
    target: str = Field(description="pickup | dropoff")
    eta: datetime | None
    eta_minutes: float | None
    approximate: bool


class BookingDetail(BookingOut):
    events: list[EventOut]
    approvals: list[ApprovalOut]
    live: LiveOut | None = None
    can_cancel: bool = False
    can_approve: bool = False


class PlaceIn(BaseModel):
    name: str = Field(min_length=1, max_length=80)
    name_en: str | None = Field(None, max_length=120)
    address: str = Field(min_length=1, max_length=200)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    unit_id: int | None = None
    sort: int = 0


class PlaceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    name_en: str | None
    address: str
    lat: float
    lon: float
    unit_id: int | None
