"""HTTP shapes of the fleet."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class VehicleIn(BaseModel):
    plate: str = Field(min_length=5, max_length=16, description="Chinese plate, e.g. 京A12345 or 京AD12345")
    vin: str | None = Field(None, description="17-character VIN with a valid check digit")
    unit_id: int
    category: str = Field(description="confidential | emergency | law_enforcement | special_technical | other")
    energy_type: str = Field(description="fuel | bev | phev")
    seats: int = Field(ge=1, le=60)
    dedicated: bool = Field(False, description="定向化保障 (a leader's car): never pooled")
    make_model: str = Field("", max_length=80)
    purchase_date: date | None = None
    purchase_price: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    odometer_km: float = Field(0.0, ge=0)
    battery_kwh: float | None = Field(None, gt=0, le=300)
    kwh_per_100km: float | None = Field(None, gt=0, le=100)
    fuel_tank_l: float | None = Field(None, gt=0, le=300)
    l_per_100km: float | None = Field(None, gt=0, le=60)


class VehiclePatch(BaseModel):
    plate: str | None = Field(None, min_length=5, max_length=16)
    vin: str | None = None
    unit_id: int | None = None
    category: str | None = None
    energy_type: str | None = None
    seats: int | None = Field(None, ge=1, le=60)
    dedicated: bool | None = None
    make_model: str | None = Field(None, max_length=80)
    status: str | None = None
    odometer_km: float | None = Field(None, ge=0)
    battery_kwh: float | None = Field(None, gt=0, le=300)
    kwh_per_100km: float | None = Field(None, gt=0, le=100)
    fuel_tank_l: float | None = Field(None, gt=0, le=300)
    l_per_100km: float | None = Field(None, gt=0, le=60)


class VehicleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    plate: str
    vin: str | None
    unit_id: int
    category: str
    energy_type: str
    seats: int
    dedicated: bool
    make_model: str
    purchase_date: date | None
    purchase_price: Decimal | None
    odometer_km: float
    status: str
    battery_kwh: float | None
    kwh_per_100km: float | None
    fuel_tank_l: float | None
    l_per_100km: float | None


class DriverIn(BaseModel):
    name: str = Field(min_length=1, max_length=80)
    unit_id: int
    licence_class: str
    licence_expiry: date
    phone: str | None = Field(None, max_length=32)
    user_id: int | None = None


class DriverOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    unit_id: int
    licence_class: str
    licence_expiry: date
    phone: str | None
    user_id: int | None
    status: str


class QuotaIn(BaseModel):
    allowed: int = Field(ge=0, le=10_000)


class QuotaOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    unit_id: int
    category: str
    allowed: int
    used: int


class SealIn(BaseModel):
    starts_at: datetime
    ends_at: datetime
    reason: str = Field(min_length=1, max_length=120)
    vehicle_id: int | None = None
    unit_id: int | None = None


class SealOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    vehicle_id: int | None
    unit_id: int | None
    starts_at: datetime
    ends_at: datetime
    reason: str
