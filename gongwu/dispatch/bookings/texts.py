"""What notifications say, in Chinese and English, for each kind of booking event and each audience."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from gongwu.dispatch.bookings.models import Booking

__all__ = ["Texts", "local_time", "text"]

Texts = tuple[str, str]


def local_time(at: datetime | None, timezone: str) -> str:
    if at is None:
        return "—"
    return at.astimezone(ZoneInfo(timezone)).strftime("%m-%d %H:%M")


def text(kind: str, audience: str, b: Booking, timezone: str, **extra: object) -> Texts:
    """(zh, en) for an event ``kind`` told to ``audience`` (requester, approver, senior, driver, dispatcher)."""
    when = local_time(b.earliest_pickup, timezone)
    route_zh = f"{b.pickup_address} → {b.dropoff_address}"
    reason = str(extra.get("reason") or "")
    key = (kind, audience)
    if key == ("submitted", "approver"):
        who = extra.get("requester", "")
        return (
            f"{who} 申请用车 {b.code}：{b.purpose}，{when}，{route_zh}，待您审批",
            f"{who} asks for a car ({b.code}): {b.purpose}, {when}, {route_zh}. Awaiting your approval.",
        )
    if key == ("approved_level", "senior"):
        return (
            f"出市用车 {b.code} 已通过单位审批，待您复核：{b.purpose}，{when}，{route_zh}",
            f"Beyond-city trip {b.code} passed its unit's approval and awaits yours: {b.purpose}, {when}.",
        )
    if key == ("approved_level", "requester"):
        return (
            f"您的用车申请 {b.code} 已通过单位审批，出市行程待上级审批",
            f"Your booking {b.code} passed the unit's approval; as it leaves the city, a senior approval follows.",
        )
    if kind == "approved":
        return (
            f"您的用车申请 {b.code} 已批准，预计费用 {b.estimated_cost} 元",
            f"Your booking {b.code} was approved (estimated cost {b.estimated_cost} yuan).",
        )
    if kind == "rejected":
        return (f"您的用车申请 {b.code} 被驳回：{reason}", f"Your booking {b.code} was rejected: {reason}")
    if kind == "cancelled":
        suffix_zh = f"：{reason}" if reason else ""
        suffix_en = f": {reason}" if reason else "."
        return (f"用车申请 {b.code}（{when}）已取消{suffix_zh}", f"Booking {b.code} ({when}) was cancelled{suffix_en}")
    if kind in ("assigned", "reassigned") and audience == "requester":
        pickup = local_time(b.planned_pickup_at, timezone)
        plate, driver = extra.get("plate", ""), extra.get("driver", "")
        return (
            f"{b.code} 已派车：{plate}，驾驶员 {driver}，约 {pickup} 到达上车点，乘车码 {b.checkin_code}",
            f"{b.code}: car {plate}, driver {driver}, at the pick-up about {pickup}; check-in code {b.checkin_code}.",
        )
    if kind in ("assigned", "reassigned") and audience == "driver":
        pickup = local_time(b.planned_pickup_at, timezone)
        return (
            f"新任务 {b.code}：{pickup} 在 {b.pickup_address} 接 {b.passengers} 人 → {b.dropoff_address}",
            f"New task {b.code}: pick up {b.passengers} at {b.pickup_address} about {pickup} → {b.dropoff_address}.",
        )
    if kind in ("unassigned", "reassigned") and audience == "former_driver":
        return (f"任务 {b.code} 已改派他人", f"Task {b.code} was given to another car.")
    if kind == "unassigned":
        return (
            f"{b.code} 的派车已撤回，正在重新安排",
            f"The car of {b.code} was withdrawn; a new one is being arranged.",
        )
    if kind == "in_progress":
        return (f"{b.code} 行程开始", f"{b.code}: the trip has started.")
    if kind == "completed":
        return (f"{b.code} 行程已完成", f"{b.code}: the trip is completed.")
    return (f"{b.code}：{kind}", f"{b.code}: {kind}")
