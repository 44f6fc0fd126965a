"""Settings of running costs (environment prefix ``GONGWU_COSTS_``), read only by the composition root."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_QUOTAS", "CostsSettings"]

DEFAULT_QUOTAS: dict[str, tuple[int, float]] = {
    "confidential": (30_000, 1.10),
    "emergency": (36_000, 1.20),
    "law_enforcement": (32_000, 1.10),
    "special_technical": (40_000, 1.30),
    "other": (24_000, 0.90),
}
"""Per category: the running-cost quota (定额, yuan per car and year) and the fallback running rate (yuan/km)."""


class CostsSettings(BaseSettings):
    """Fuel-card matching, trip settlement, the month's close, depreciation, drivers and outliers."""

    model_config = SettingsConfigDict(env_prefix="GONGWU_COSTS_", extra="ignore")

    match_window_minutes: float = Field(
        20.0, gt=0, description="A fuel-card transaction matches a stop of the car this close in time to it."
    )
    match_radius_m: float = Field(300.0, gt=0, description="… and this close to the station.")
    elsewhere_m: float = Field(
        1000.0,
        gt=0,
        description="The car seen farther than this from the station at the transaction's time: elsewhere.",
    )
    rate_history_days: int = Field(
        90, ge=7, description="A car's running rate per km is its running costs ÷ its km over this many days …"
    )
    rate_min_km: float = Field(
        300.0, ge=0, description="… when it drove at least this far then; else the category's quota rate."
    )
    ev_rate_share: float = Field(
        0.35,
        ge=0,
        le=1,
        description="Share of the category's quota rate a new-energy car's trips pay (its electricity is charged "
        "to the owner by the charging module, not by the km).",
    )
    close_after_days: int = Field(
        5, ge=1, le=28, description="A month is closed (the owner pays the rest) on this day of the next month."
    )
    service_life_months: int = Field(96, ge=12, description="Straight-line depreciation period (8 years).")
    residual_share: float = Field(0.0, ge=0, lt=1, description="Residual value share at the end of the service life.")
    driver_monthly_yuan: Decimal = Field(
        Decimal("9000"), ge=0, description="A driver's monthly cost, allocated to the cars he drove by driving time."
    )
    outlier_ratio: float = Field(
        1.5,
        gt=1,
        description="A car's metric above its peers' median × this (and a robust z-score above 3) is flagged.",
    )
    outlier_min_peers: int = Field(3, ge=2, description="Fewest peers (same category) for a comparison.")
    background_enabled: bool = Field(
        True, description="Settle completed bookings from the bus and close months in the background."
    )
