"""Pydantic I/O of the drivers' side."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["CarBrief", "ExpenseOut", "Place", "StepIn", "TaskOut", "TaskRecord", "TasksOut"]


class Place(BaseModel):
    lat: float
    lon: float
    address: str
    navigation: dict[str, str]
    """``geo`` (a geo: URI) and ``amap`` (Amap's navigation link, GCJ-02)."""


class TaskRecord(BaseModel):
    """Planned vs actual: what the cost and audit work reads."""

    model_config = ConfigDict(from_attributes=True)

    accepted_at: datetime | None = None
    arrived_at: datetime | None = None
    boarded_at: datetime | None = None
    dropped_at: datetime | None = None
    finished_at: datetime | None = None
    odometer_start_km: float | None = None
    odometer_end_km: float | None = None
    planned_pickup_at: datetime | None = None
    planned_dropoff_at: datetime | None = None
    planned_km: float | None = None
    actual_km: float | None = None
    trip_id: int | None = None
    trip_km: float | None = None
    trip_start_at: datetime | None = None
    trip_end_at: datetime | None = None


class TaskOut(BaseModel):
    id: int
    """The booking's id."""
    code: str
    purpose: str
    status: str
    status_name: dict[str, str]
    step: str
    step_name: dict[str, str]
    next: str | None
    """The action the task waits for: accept, arrive, board, dropoff, finish (None: done)."""
    passengers: int
    passenger_names: list[str]
    contact_phone: str | None
    requester_name: str | None
    note: str | None
    may_pool: bool
    pickup: Place
    dropoff: Place
    earliest_pickup: datetime
    latest_arrival: datetime
    planned_pickup_at: datetime | None
    planned_dropoff_at: datetime | None
    vehicle_id: int | None
    plate: str | None
    car_odometer_km: float | None
    sequence: int | None
    record: TaskRecord


class CarBrief(BaseModel):
    vehicle_id: int
    plate: str
    energy_type: str
    odometer_km: float


class TasksOut(BaseModel):
    driver: dict[str, object]
    car: CarBrief | None
    """The car of the driver's current (or next) task."""
    tasks: list[TaskOut]
    route: list[dict[str, object]]
    steps: dict[str, dict[str, str]]
    expense_kinds: dict[str, dict[str, str]]


class StepIn(BaseModel):
    code: str | None = Field(None, max_length=16, description="The rider's check-in code (boarding).")
    odometer_km: float | None = Field(None, description="Odometer reading (boarding: optional; finishing: required).")


class ExpenseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    driver_id: int
    vehicle_id: int
    booking_id: int | None
    kind: str
    amount: Decimal
    litres: float | None
    kwh: float | None
    odometer_km: float | None
    at: datetime
    place: str | None
    lat: float | None
    lon: float | None
    note: str | None
    receipt_type: str
    receipt_bytes: int
    receipt_sha256: str
    status: str
    created_at: datetime
    plate: str | None = None
    receipt_url: str | None = None
