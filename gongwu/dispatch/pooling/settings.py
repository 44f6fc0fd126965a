"""Settings of pooled dispatch (environment prefix ``GONGWU_POOLING_``), read only by the composition root.

How often and how hard the rolling planner works, how much a changed assignment must gain before drivers see
it change, where cars without a live position start, and which drivers it plans for.

Example: ``GONGWU_POOLING_REPLAN_EVERY_S=30 GONGWU_POOLING_DEPOT='[39.9087, 116.3975]'``.
"""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["PoolingSettings"]


class PoolingSettings(BaseSettings):
    """The rolling pooled-dispatch planner (拼车调度)."""

    model_config = SettingsConfigDict(env_prefix="GONGWU_POOLING_", extra="ignore")

    planner_enabled: bool = Field(
        True,
        description="Re-plan in the background (on the timer and when bookings change). Run it in one process "
        "of a deployment; the others still plan on demand.",
    )
    replan_every_s: float = Field(60.0, gt=0, description="Re-plan at least this often (rolling batches).")
    replan_debounce_s: float = Field(
        5.0, ge=0, description="After a booking changes, wait this long for more changes before re-planning."
    )
    auto_accept: bool = Field(
        False, description="Put every new proposal in force at once (no dispatcher's acceptance)."
    )
    time_limit_s: float = Field(3.0, gt=0, le=120, description="Search time of one plan (seconds).")
    solver_workers: int = Field(
        1, ge=1, le=16, description="Search processes of one plan (the optimizer forks them in its worker process)."
    )
    horizon_hours: float = Field(
        24.0, gt=0, le=168, description="Bookings whose pick-up window opens within this many hours are planned."
    )
    max_route_hours: float = Field(
        0.0,
        ge=0,
        description="Longest a car's planned route in one batch may last, first stop to last (a driver's day); "
        "0: no limit. Set it below the horizon only when drivers change cars within it.",
    )
    stability_m: float = Field(
        2000.0,
        ge=0,
        description="A plan pays this many metres of driving for every booking it moves to another car, so "
        "assignments change only for a real gain (stability for drivers).",
    )
    readiness_m: float = Field(
        3000.0,
        ge=0,
        description="Metres of driving an electric car that still needs all its charging time costs extra "
        "(charged cars are preferred; 0: ignore readiness).",
    )
    retime_minutes: float = Field(
        5.0,
        ge=0,
        description="Accepting a plan re-times an assigned booking on its own car only when its planned pick-up "
        "moves by more than this (riders and drivers are not told about every small shift).",
    )
    depot: tuple[float, float] | None = Field(
        None,
        description="Where cars without a live position start, as [lat, lon] (WGS-84). Unset: the first "
        "frequent place (the bureau).",
    )
    driver_units: list[str] = Field(
        ["JGSWJ-GWYC"],
        description="Codes of the units whose drivers (and sub-units') are planned for (the car-service centre); "
        "when none of them exists, every active driver.",
    )
    keep_plans_days: float = Field(
        7.0, gt=0, description="Proposals never accepted are deleted after this many days (plans in force stay)."
    )

    @field_validator("depot")
    @classmethod
    def _depot(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and not (-90 <= value[0] <= 90 and -180 <= value[1] <= 180):
            raise ValueError("the depot is [lat, lon] in WGS-84 degrees")
        return value
