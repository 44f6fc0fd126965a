"""Settings of EV charging (environment prefix ``GONGWU_CHARGING_``), read only by the composition root."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ChargingSettings"]


class ChargingSettings(BaseSettings):
    """The charging planner, its re-planning, and what a session away from our own sites costs."""

    model_config = SettingsConfigDict(env_prefix="GONGWU_CHARGING_", extra="ignore")

    replan_enabled: bool = Field(True, description="Re-plan charging in the background (on bookings, SOC, a timer).")
    replan_every_s: float = Field(
        900.0, gt=0, description="Re-plan every site at least this often (the plan rolls forward)."
    )
    replan_debounce_s: float = Field(
        30.0, ge=0, description="After a booking, assignment or SOC change, wait this long for more before re-planning."
    )
    horizon_hours: float = Field(36.0, gt=0, le=168, description="How far ahead a plan looks.")
    slot_minutes: int = Field(15, ge=5, le=60, description="Length of a plan's near-term slots (hourly after 6 h).")
    time_limit_s: float = Field(10.0, gt=0, description="Upper bound on one plan's repair rounds.")
    plug_move_cost: float = Field(
        2.0, ge=0, description="Yuan one plug-in is worth avoiding (someone moves a car): fewer, longer sessions."
    )
    target_soc_pct: float = Field(
        80.0, ge=0, le=100, description="Cars fill up to this charge when power is cheap, for trips not booked yet."
    )
    trip_reserve: float = Field(
        0.15, ge=0, le=1, description="Energy a trip needs on top of its routed distance × consumption (share)."
    )
    soc_stale_minutes: float = Field(
        180.0, gt=0, description="A SOC reading older than this is not trusted (the car is planned as empty-ish)."
    )
    public_price: float = Field(
        1.8, ge=0, description="Yuan per kWh of a session away from our sites (public chargers, service fee included)."
    )
