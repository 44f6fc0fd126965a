"""HTTP shapes of running costs (inputs; the sheets and evaluations are answered as documented JSON)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


class WorkOrderIn(BaseModel):
    vehicle_id: int
    number: str = Field(min_length=1, max_length=40, description="the shop's work-order number")
    shop: str = Field(min_length=1, max_length=80, description="the fixed repair shop (定点维修厂)")
    kind: Literal["repair", "maintenance"]
    closed_on: date
    parts: Decimal = Field(ge=0, description="yuan")
    labour: Decimal = Field(ge=0, description="yuan")
    odometer_km: float | None = Field(None, ge=0)
    description: str = Field("", max_length=255)


class FixedCostIn(BaseModel):
    vehicle_id: int
    kind: Literal["insurance", "inspection"]
    payee: str = Field(min_length=1, max_length=80, description="insurer or inspection station")
    reference: str = Field("", max_length=40, description="policy number")
    amount: Decimal = Field(gt=0, description="yuan for the whole period")
    first_month: str = Field(pattern=MONTH)
    months: int = Field(12, ge=1, le=36)


class StationIn(BaseModel):
    code: str = Field(min_length=1, max_length=24)
    name: str = Field(min_length=1, max_length=80)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    supplier: str = Field("", max_length=40)


class QuotaIn(BaseModel):
    annual_yuan: Decimal = Field(gt=0, description="running-cost quota per car and year (定额)")
    rate_per_km: float = Field(gt=0, lt=100, description="fallback running rate a trip pays per km")


class MonthIn(BaseModel):
    month: str = Field(pattern=MONTH)
