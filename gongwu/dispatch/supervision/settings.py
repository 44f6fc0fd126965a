"""Settings of trip supervision (environment prefix ``GONGWU_SUPERVISION_``), read only by the composition root."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["SupervisionSettings"]


class SupervisionSettings(BaseSettings):
    """The audit rules' thresholds, the normal patterns, and when the nightly audit runs."""

    model_config = SettingsConfigDict(env_prefix="GONGWU_SUPERVISION_", extra="ignore")

    min_trip_km: float = Field(0.5, ge=0, description="Trips shorter than this are not audited (moving in a yard).")
    booking_slack_minutes: float = Field(
        60.0,
        ge=0,
        description="A booking covers its car's driving this long before the pick-up and after the drop-off.",
    )
    unbooked_exempt_categories: list[str] = Field(
        ["emergency", "law_enforcement"],
        description="Car categories used without bookings (no `no_booking` finding); JSON list.",
    )
    destination_radius_m: float = Field(500.0, gt=0, description="A stop this close to the drop-off reached it.")
    far_stop_m: float = Field(2000.0, gt=0, description="A stop on a booked ride farther than this from its ends …")
    far_stop_minutes: float = Field(15.0, gt=0, description="… and longer than this is flagged.")
    detour_ratio: float = Field(1.6, gt=1, description="Ride km ÷ routed km above this is a detour …")
    detour_min_km: float = Field(3.0, ge=0, description="… when it adds at least this many km.")
    odometer_tolerance: float = Field(0.1, gt=0, description="Odometer and GPS km may differ by this share …")
    odometer_min_km: float = Field(2.0, ge=0, description="… or this many km, whichever is more.")
    tank_margin: float = Field(1.05, ge=1, description="A refuel above the tank × this is flagged.")
    fuel_rise_share: float = Field(
        0.5, gt=0, le=1, description="The gauge must rise by this share of the litres bought (cars with a gauge)."
    )
    soc_rise_share: float = Field(
        0.5, gt=0, le=1, description="SOC must rise by this share of the energy a session recorded."
    )
    night_hours: tuple[int, int] = Field((1, 5), description="Local hours [from, to) that make 'the night'.")
    night_cluster_m: float = Field(500.0, gt=0, description="Night parking places this close are one place.")
    pattern_min_nights: int = Field(7, ge=1, description="Nights observed before unusual night parking is flagged.")
    pattern_min_days: int = Field(3, ge=1, description="Days of a weekday observed before its rhythm is trusted.")
    rare_share: float = Field(
        0.1, gt=0, lt=1, description="Moving on a rest day in hours the car moved on at most this share of such days."
    )
    nightly_enabled: bool = Field(True, description="Run the nightly audit in the background (one process).")
    nightly_hour: int = Field(3, ge=0, le=23, description="Local hour the nightly audit of yesterday runs.")
    trips_enabled: bool = Field(True, description="Audit every finished trip from the bus (telematics.trips).")
