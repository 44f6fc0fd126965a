"""Settings of dispatch (environment prefix ``GONGWU_DISPATCH_``), read only by the composition root.

The rules of official-car use a bureau sets for itself: its city area (a trip leaving it needs a second,
senior approval), what a kilometre costs per car category, who may book which category, how long a rider may
be kept in a shared car, and where state changes are announced (the outbound webhook of SMS / IM gateways).

Example: ``GONGWU_DISPATCH_CITY_AREA='[[116.0,39.6],[116.8,39.6],[116.8,40.2],[116.0,40.2]]'``
``GONGWU_DISPATCH_WEBHOOK_URL=https://sms-gw.example/gongwu GONGWU_DISPATCH_WEBHOOK_SECRET=…``.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DispatchSettings"]

DEFAULT_COST_PER_KM = {
    "confidential": 3.0,
    "emergency": 3.0,
    "law_enforcement": 2.5,
    "special_technical": 3.5,
    "other": 2.0,
}


class DispatchSettings(BaseSettings):
    """Booking rules, the approval chain, cost estimates, pooling bounds and notifications."""

    model_config = SettingsConfigDict(env_prefix="GONGWU_DISPATCH_", extra="ignore")

    # -- where the city ends
    city_area: list[tuple[float, float]] | None = Field(
        None,
        description="The city's boundary as a JSON ring of [lon, lat] (WGS-84); a trip with an end outside it is "
        "beyond the city and needs a senior second approval. Unset: the whole imported map is the city.",
    )

    # -- the approval chain
    senior_approver_units: list[str] = Field(
        ["JGSWJ"],
        description="Codes of units whose approvers give the second (senior) approval of beyond-city trips of "
        "every unit (the bureau's leadership); approvers in sight of the booking's unit may give it too.",
    )
    senior_min_rank: str = Field(
        "director_general",
        description="Lowest rank (职级 code) of a senior approver; they must also rank at least as high as the "
        "first approver and be another person.",
    )
    leader_min_rank: str = Field(
        "deputy_director_general",
        description="Lowest rank of a requester who may book a leader trip (定向化保障).",
    )

    # -- who may book what
    open_categories: list[str] = Field(
        ["other"],
        description="Car categories every unit may book; the others need the unit (or a unit above it) to hold "
        "a quota (编制) of that category.",
    )
    unit_monthly_bookings: int = Field(
        0, ge=0, description="Most bookings a unit may make per calendar month (0: no limit)."
    )
    max_days_ahead: int = Field(60, ge=1, description="How far ahead a trip may be booked (days).")
    min_lead_minutes: float = Field(
        0.0, ge=0, description="How long before its earliest pick-up a trip must be booked."
    )
    service_minutes: float = Field(
        2.0, ge=0, description="Time to board and to alight at each stop (counted when checking a window fits)."
    )

    # -- pooling bounds (the dial-a-ride problem)
    max_ride_factor: float = Field(
        1.5, ge=1.0, description="A pooled rider's time in the car is at most this × the direct drive …"
    )
    max_ride_extra_minutes: float = Field(5.0, ge=0, description="… plus this many minutes.")

    # -- cost estimates
    cost_per_km: dict[str, float] = Field(
        DEFAULT_COST_PER_KM,
        description="Estimated running cost per routed km, by car category (yuan; JSON object). Reserved on the "
        "unit's 公务用车运行维护费 (30231) line at approval.",
    )
    cost_base_yuan: Decimal = Field(
        Decimal("10.00"), ge=0, description="Fixed part of every trip's estimate (the drive to the pick-up, waiting)."
    )

    # -- notifications
    webhook_url: str | None = Field(
        None, description="Where every booking state change is POSTed as JSON (an SMS / IM gateway). Unset: none."
    )
    webhook_secret: SecretStr = Field(
        SecretStr(""), description="Key of the `X-Gongwu-Signature` HMAC-SHA256 header of webhook calls."
    )
    webhook_timeout_s: float = Field(5.0, gt=0, description="Timeout of one webhook call.")
    webhook_max_attempts: int = Field(
        8, ge=1, description="Webhook calls per event before it is given up (failed); the wait doubles each time."
    )
    webhook_retry_s: float = Field(2.0, gt=0, description="Wait before the first webhook retry.")
    outbox_poll_s: float = Field(1.0, gt=0, description="How often the sender looks for events to publish or post.")

    @field_validator("city_area")
    @classmethod
    def _ring(cls, ring: list[tuple[float, float]] | None) -> list[tuple[float, float]] | None:
        if ring is None:
            return None
        if len(ring) < 3:
            raise ValueError("the city area needs at least three [lon, lat] corners")
        for lon, lat in ring:
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise ValueError(f"[{lon}, {lat}] is not a WGS-84 [lon, lat] pair")
        return ring
