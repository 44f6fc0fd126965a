"""The audit rules: a catalogue (code, names, severity) and small pure functions over what one trip, one car's
day or one transaction looked like. Each returns a :class:`Hit` (summary and evidence) or None; the runner in
:mod:`.audit` gathers their inputs in bulk and stores the hits as findings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from gongwu.core.geo import haversine_m
from gongwu.dispatch.supervision.settings import SupervisionSettings

__all__ = ["RULES", "Hit", "TripFacts", "coverage_rules", "refuel_rules", "ride_rules"]

RULES: dict[str, tuple[str, str, str]] = {
    "no_booking": ("无预约出车（疑似私用）", "Movement without a booking (possible private use)", "warning"),
    "outside_hours": ("非工作时间无预约用车", "Use outside working hours without a booking", "warning"),
    "sealed_use": ("封存期用车", "Use during a sealed period", "critical"),
    "off_destination": ("未到达审批目的地", "The approved destination was not reached", "warning"),
    "far_stop": ("停留点远离审批路线", "A long stop far from the approved places", "warning"),
    "detour": ("绕行", "Detour against the routed distance", "warning"),
    "odometer_mismatch": ("里程表与GPS里程不符", "Odometer and GPS distance differ", "warning"),
    "refuel_over_tank": ("加油量超过油箱容积", "Refuel larger than the tank", "critical"),
    "refuel_elsewhere": ("加油时车辆不在加油站", "Refuel while the car was elsewhere", "critical"),
    "refuel_no_rise": ("加油后油位未上升", "No fuel-level rise after a refuel", "warning"),
    "charge_no_soc_rise": ("充电后电量未上升", "No SOC rise after a charging session", "warning"),
    "unusual_night": ("夜间停放地点异常", "Unusual place for the night", "info"),
    "rest_day_movement": ("休息日异常出行", "Unusual movement on a rest day", "info"),
}
"""Every rule: Chinese name, English name, severity (``info``, ``warning``, ``critical``)."""


@dataclass
class Hit:
    rule: str
    subject: str
    vehicle_id: int
    starts_at: datetime
    ends_at: datetime
    zh: str
    en: str
    evidence: dict[str, Any] = field(default_factory=dict)
    booking_id: int | None = None
    trip_id: int | None = None


@dataclass
class TripFacts:
    """One trip and what judges it: the bookings of its car near it, its calendar and seal status."""

    id: int
    vehicle_id: int
    plate: str
    category: str
    start: datetime
    end: datetime
    km: float
    start_pos: tuple[float, float] | None
    end_pos: tuple[float, float] | None
    bookings: list[Any]
    outside_hours: bool
    sealed: str | None


def _place(role: str, lat: float | None, lon: float | None, name: str = "") -> dict[str, Any] | None:
    if lat is None or lon is None:
        return None
    return {"role": role, "lat": lat, "lon": lon, "name": name}


def covering(t: TripFacts, slack: timedelta) -> list[Any]:
    """The bookings whose duty window (pick-up − slack … drop-off + slack) overlaps the trip."""
    out = []
    for b in t.bookings:
        lo = (b.planned_pickup_at or b.earliest_pickup) - slack
        hi = (b.planned_dropoff_at or b.latest_arrival) + slack
        if lo < t.end and t.start < hi:
            out.append(b)
    return out


def coverage_rules(t: TripFacts, s: SupervisionSettings) -> list[Hit]:
    """Sealed use (always); unbooked use outside working hours; unbooked use (possible private use)."""
    if t.km < s.min_trip_km:
        return []
    covered = covering(t, timedelta(minutes=s.booking_slack_minutes))
    numbers = {"km": round(t.km, 2), "minutes": round((t.end - t.start).total_seconds() / 60, 1)}
    ends = (_place("start", *(t.start_pos or (None, None))), _place("end", *(t.end_pos or (None, None))))
    places = [p for p in ends if p]
    base = {"numbers": numbers, "places": places, "times": {"start": t.start.isoformat(), "end": t.end.isoformat()}}
    subject = f"trip:{t.id}"
    when = f"{t.plate} {t.km:.1f} km"
    if t.sealed:
        return [
            Hit("sealed_use", subject, t.vehicle_id, t.start, t.end, f"{when}：封存期（{t.sealed}）内行驶",
                f"{when} driven while sealed ({t.sealed})", base | {"seal": t.sealed}, trip_id=t.id)
        ]  # fmt: skip
    if covered:
        return []
    if t.outside_hours:
        return [
            Hit("outside_hours", subject, t.vehicle_id, t.start, t.end, f"{when}：非工作时间行驶且无用车预约",
                f"{when} driven outside working hours without a booking", base, trip_id=t.id)
        ]  # fmt: skip
    if t.category in s.unbooked_exempt_categories:
        return []
    return [
        Hit("no_booking", subject, t.vehicle_id, t.start, t.end, f"{when}：无用车预约",
            f"{when} driven without a booking", base, trip_id=t.id)
    ]  # fmt: skip


def ride_rules(
    b: Any, plate: str, stops: list[Any], ride_km: float | None, routed_km: float | None, s: SupervisionSettings
) -> list[Hit]:
    """A completed booking's ride: the drop-off reached (a stop there, or the ride ending there), no long stop far
    from the approved places, and no detour against the routed distance."""
    hits: list[Hit] = []
    start = b.planned_pickup_at or b.earliest_pickup
    end = b.planned_dropoff_at or b.latest_arrival
    slack = timedelta(minutes=s.booking_slack_minutes)
    near = [x for x in stops if start - slack <= x.start_time <= end + slack]
    places = [
        _place("pickup", b.pickup_lat, b.pickup_lon, b.pickup_address),
        _place("dropoff", b.dropoff_lat, b.dropoff_lon, b.dropoff_address),
    ]
    subject = f"booking:{b.id}"
    assert b.vehicle_id is not None
    if near and not any(
        haversine_m(x.lat, x.lon, b.dropoff_lat, b.dropoff_lon) <= s.destination_radius_m for x in near if x.lat
    ):
        closest = min(
            (haversine_m(x.lat, x.lon, b.dropoff_lat, b.dropoff_lon) for x in near if x.lat), default=float("nan")
        )
        hits.append(
            Hit("off_destination", subject, b.vehicle_id, start, end,
                f"{plate} {b.code}：未在目的地 {b.dropoff_address} 附近停留（最近 {closest:.0f} 米）",
                f"{plate} {b.code} never stopped near {b.dropoff_address} (closest {closest:.0f} m)",
                {"numbers": {"closest_m": round(closest), "radius_m": s.destination_radius_m},
                 "places": places + [_place("stop", x.lat, x.lon, f"{x.start_time:%H:%M}") for x in near]},
                booking_id=b.id)
        )  # fmt: skip
    for x in near:
        if x.lat is None or x.end_time is None:
            continue
        minutes = (x.end_time - x.start_time).total_seconds() / 60
        if x.start_time < start or x.start_time > end or minutes < s.far_stop_minutes:
            continue
        distance = min(haversine_m(x.lat, x.lon, p["lat"], p["lon"]) for p in places if p)
        if distance > s.far_stop_m:
            hits.append(
                Hit("far_stop", f"{subject}:stop:{x.id}", b.vehicle_id, x.start_time, x.end_time,
                    f"{plate} {b.code}：途中在距审批地点 {distance / 1000:.1f} 公里处停留 {minutes:.0f} 分钟",
                    f"{plate} {b.code} stopped {minutes:.0f} min {distance / 1000:.1f} km from the approved places",
                    {"numbers": {"minutes": round(minutes), "distance_m": round(distance)},
                     "places": [*places, _place("stop", x.lat, x.lon)]}, booking_id=b.id)
            )  # fmt: skip
    if ride_km and routed_km and ride_km > routed_km * s.detour_ratio and ride_km - routed_km >= s.detour_min_km:
        ratio = ride_km / routed_km
        hits.append(
            Hit("detour", subject, b.vehicle_id, start, end,
                f"{plate} {b.code}：行驶 {ride_km:.1f} 公里，为规划路线 {routed_km:.1f} 公里的 {ratio:.1f} 倍",
                f"{plate} {b.code} drove {ride_km:.1f} km, {ratio:.1f}× the routed {routed_km:.1f} km",
                {"numbers": {"ride_km": round(ride_km, 2), "routed_km": round(routed_km, 2), "ratio": round(ratio, 2)},
                 "places": places}, booking_id=b.id)
        )  # fmt: skip
    return hits


def odometer_hit(
    subject: str, vehicle_id: int, plate: str, lo: datetime, hi: datetime, odo_km: float, gps_km: float,
    what: str, s: SupervisionSettings, booking_id: int | None = None,
) -> Hit | None:  # fmt: skip
    """Odometer km (the terminal's or the driver's) against the GPS track's km."""
    if odo_km is None or gps_km is None or max(odo_km, gps_km) < s.odometer_min_km:
        return None
    gap = abs(odo_km - gps_km)
    if gap <= max(s.odometer_tolerance * max(gps_km, odo_km), s.odometer_min_km):
        return None
    return Hit(
        "odometer_mismatch", subject, vehicle_id, lo, hi,
        f"{plate}：{what}里程 {odo_km:.1f} 公里，GPS 轨迹 {gps_km:.1f} 公里，相差 {gap:.1f} 公里",
        f"{plate}: {what} {odo_km:.1f} km against {gps_km:.1f} km of GPS track ({gap:.1f} km apart)",
        {"numbers": {"odometer_km": round(odo_km, 2), "gps_km": round(gps_km, 2), "gap_km": round(gap, 2)}},
        booking_id=booking_id,
    )  # fmt: skip


def refuel_rules(
    txn: Any, plate: str, tank_l: float | None, gauge: tuple[float, float] | None, s: SupervisionSettings
) -> list[Hit]:
    """A fuel-card transaction: larger than the tank, the car elsewhere at the time, or no rise of the gauge."""
    hits = []
    subject = f"fuel:{txn.id}"
    station = _place("station", txn.lat, txn.lon, txn.station_name)
    car = _place("car", txn.car_lat, txn.car_lon, plate)
    base: dict[str, Any] = {
        "places": [p for p in (station, car) if p],
        "times": {"at": txn.at.isoformat()},
        "numbers": {"litres": txn.litres, "amount": str(txn.amount)},
    }
    window = (txn.at - timedelta(minutes=10), txn.at + timedelta(minutes=10))
    if tank_l and txn.litres > tank_l * s.tank_margin:
        hits.append(
            Hit("refuel_over_tank", subject, txn.vehicle_id, *window,
                f"{plate}：加油 {txn.litres:.1f} 升，超过油箱容积 {tank_l:.0f} 升",
                f"{plate}: {txn.litres:.1f} L bought, the tank holds {tank_l:.0f} L",
                base | {"numbers": base["numbers"] | {"tank_l": tank_l}})
        )  # fmt: skip
    if txn.match_status == "elsewhere" and txn.distance_m is not None:
        km = txn.distance_m / 1000
        hits.append(
            Hit("refuel_elsewhere", subject, txn.vehicle_id, *window,
                f"{plate}：{txn.station_name} 加油时车辆在 {km:.1f} 公里外",
                f"{plate}: refuelled at {txn.station_name} while the car was {km:.1f} km away",
                base | {"numbers": base["numbers"] | {"distance_m": round(txn.distance_m)}})
        )  # fmt: skip
    if gauge is not None and txn.match_status != "elsewhere":
        before, after = gauge
        rise = after - before
        if rise < txn.litres * s.fuel_rise_share:
            hits.append(
                Hit("refuel_no_rise", subject, txn.vehicle_id, *window,
                    f"{plate}：加油 {txn.litres:.1f} 升，油位只从 {before:.1f} 升变为 {after:.1f} 升",
                    f"{plate}: {txn.litres:.1f} L bought, the gauge went from {before:.1f} L to {after:.1f} L",
                    base | {"numbers": base["numbers"] | {"gauge_before_l": before, "gauge_after_l": after}})
            )  # fmt: skip
    return hits


def charge_hit(
    session_row: Any, plate: str, battery_kwh: float | None, soc: tuple[float, float] | None, s: SupervisionSettings
) -> Hit | None:
    """A charging session whose SOC did not rise with the energy it recorded."""
    if soc is None or not battery_kwh:
        return None
    before, after = soc
    expected = session_row.energy_kwh * 0.92 / battery_kwh * 100
    if after - before >= expected * s.soc_rise_share:
        return None
    return Hit(
        "charge_no_soc_rise", f"charging:{session_row.id}", session_row.vehicle_id, session_row.started_at,
        session_row.ended_at,
        f"{plate}：充电 {session_row.energy_kwh:.1f} kWh，SOC 只从 {before:.0f}% 变为 {after:.0f}%"
        f"（应升约 {expected:.0f}%）",
        f"{plate}: {session_row.energy_kwh:.1f} kWh charged, SOC {before:.0f}% → {after:.0f}% (≈ +{expected:.0f}% due)",
        {"numbers": {"energy_kwh": session_row.energy_kwh, "soc_before": before, "soc_after": after,
                     "expected_rise": round(expected, 1), "cost": str(session_row.cost)}},
    )  # fmt: skip
