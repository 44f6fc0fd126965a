"""HTTP shapes of EV charging."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

HHMM = r"^([01]\d|2[0-4]):[0-5]\d$"


class BandIn(BaseModel):
    kind: Literal["sharp", "peak", "flat", "valley"] = Field(description="尖峰 | 高峰 | 平段 | 低谷")
    start: str = Field(pattern=HHMM, description="local HH:MM")
    end: str = Field(pattern=HHMM, description="local HH:MM; a band may wrap past midnight (23:00–07:00)")
    price: float = Field(ge=0, lt=100, description="yuan per kWh")


class TariffIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    timezone: str = "Asia/Shanghai"
    source: str = Field("", max_length=255, description="where the prices come from (the bill, a notice)")
    bands: list[BandIn] = Field(min_length=1, description="covering the 24 hours exactly once")


class BandsIn(BaseModel):
    bands: list[BandIn] = Field(min_length=1)


class TariffOut(BaseModel):
    id: int
    name: str
    timezone: str
    source: str
    bands: list[BandIn]


class ConnectorIn(BaseModel):
    code: str = Field(min_length=1, max_length=16)
    kind: Literal["ac", "dc"]
    kw: float = Field(gt=0, le=1000)
    label: str = Field("", max_length=60)


class ConnectorPatch(BaseModel):
    label: str | None = Field(None, max_length=60)
    kind: Literal["ac", "dc"] | None = None
    kw: float | None = Field(None, gt=0, le=1000)
    active: bool | None = None


class ConnectorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    site_id: int
    code: str
    label: str
    kind: str
    kw: float
    active: bool


class SiteIn(BaseModel):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=120)
    unit_id: int
    cap_kw: float = Field(gt=0, description="the power the supply (transformer) allows for charging, kW")
    tariff_id: int
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    address: str = Field("", max_length=255)
    connectors: list[ConnectorIn] = []


class SitePatch(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=120)
    cap_kw: float | None = Field(None, gt=0)
    tariff_id: int | None = None
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    address: str | None = Field(None, max_length=255)


class SiteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    unit_id: int
    cap_kw: float
    tariff_id: int
    lat: float | None
    lon: float | None
    address: str
    connectors: list[ConnectorOut] = []


class ProfileIn(BaseModel):
    home_site_id: int | None = None
    max_ac_kw: float | None = Field(None, gt=0, le=50, description="the on-board charger's limit")
    max_dc_kw: float | None = Field(None, gt=0, le=500, description="unset: the car takes no DC")
    min_soc_pct: float | None = Field(None, ge=0, lt=100)
    max_soc_pct: float | None = Field(None, gt=0, le=100)


class ProfileOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    vehicle_id: int
    home_site_id: int | None
    max_ac_kw: float
    max_dc_kw: float | None
    min_soc_pct: float
    max_soc_pct: float


class SocIn(BaseModel):
    soc_pct: float = Field(ge=0, le=100)


class SessionIn(BaseModel):
    vehicle_id: int
    started_at: AwareDatetime
    ended_at: AwareDatetime
    energy_kwh: float = Field(gt=0, le=1000, description="drawn from the charger")
    site_id: int | None = Field(None, description="unset: charged away from our sites (public price)")
    connector_id: int | None = None
    soc_before: float | None = Field(None, ge=0, le=100)
    soc_after: float | None = Field(None, ge=0, le=100)
    cost: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2, description="unset: from the tariff")
    note: str | None = Field(None, max_length=255)


class SessionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    vehicle_id: int
    unit_id: int
    site_id: int | None
    connector_id: int | None
    started_at: datetime
    ended_at: datetime
    energy_kwh: float
    cost: Decimal
    soc_before: float | None
    soc_after: float | None
    source: str
    budget_line_id: int | None
    note: str | None


class ReplanOut(BaseModel):
    planned: bool
    cost: float | None = None
    peak_kw: float | None = None
    plug_moves: int | None = None
    unserved: list[dict[str, Any]] = []
    wall_s: float | None = None
    kept_previous: bool | None = None
