"""Settings of the drivers' side (environment prefix ``GONGWU_DRIVING_``), read only by the composition root."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DrivingSettings"]


class DrivingSettings(BaseSettings):
    """Drivers' tasks, the telematics trip link, receipts."""

    model_config = SettingsConfigDict(env_prefix="GONGWU_DRIVING_", extra="ignore")

    receipt_max_bytes: int = Field(
        8_000_000, ge=10_000, le=16_000_000, description="Largest receipt photo accepted (bytes; at most 16 MB)."
    )
    trip_match_minutes: float = Field(
        30.0,
        ge=0,
        description="A telematics trip serves a booking when it overlaps the time from pick-up to drop-off, "
        "widened by this many minutes on each side.",
    )
    max_odometer_jump_km: float = Field(
        2000.0, gt=0, description="An odometer reading more than this above the car's last one is refused as a typo."
    )
