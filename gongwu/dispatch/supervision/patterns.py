"""Each car's normal pattern, beyond fixed rules: where it spends the night and when in the week it moves.

* **Night parking.** The car's position at the end of each night joins the nearest of its night clusters
  (within ``night_cluster_m``: the cluster's centre moves to the running mean) or starts a new one (at most
  eight, the rarest dropped). Once ``pattern_min_nights`` nights are known, a night farther than
  ``night_cluster_m`` from every cluster that holds at least a tenth of the nights is *unusual night parking*.
* **Rest-day rhythm.** Per weekday and local hour, on how many observed days of that weekday the car moved. On a
  rest day (weekend or holiday of the unit's calendar), moving in hours it moved in on at most ``rare_share`` of
  the past such weekdays — with ``pattern_min_days`` of them observed — is *unusual rest-day movement*.

A day is learnt after it is judged (yesterday's trip does not make itself normal), once (``last_day``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from gongwu.core.geo import haversine_m
from gongwu.dispatch.supervision.models import VehiclePattern
from gongwu.dispatch.supervision.rules import Hit
from gongwu.dispatch.supervision.settings import SupervisionSettings

__all__ = ["judge", "learn"]

MAX_CLUSTERS = 8


def _empty(pattern: VehiclePattern) -> None:
    if not pattern.hours:
        pattern.hours = [[0] * 24 for _ in range(7)]
    if not pattern.weekdays:
        pattern.weekdays = [0] * 7
    if pattern.nights is None:
        pattern.nights = []


def judge(
    pattern: VehiclePattern,
    plate: str,
    day: date,
    night: tuple[float, float] | None,
    hours: set[int],
    rest_day: bool,
    window: tuple[datetime, datetime],
    s: SupervisionSettings,
) -> list[Hit]:
    _empty(pattern)
    hits = []
    vid = pattern.vehicle_id
    if night is not None and pattern.nights_observed >= s.pattern_min_nights:
        usual = [c for c in pattern.nights if c["nights"] >= max(1, pattern.nights_observed // 10)]
        nearest = min(usual, key=lambda c: haversine_m(c["lat"], c["lon"], *night), default=None)
        distance = haversine_m(nearest["lat"], nearest["lon"], *night) if nearest else float("inf")
        if distance > s.night_cluster_m:
            share = nearest["nights"] / pattern.nights_observed if nearest else 0.0
            places: list[dict[str, Any]] = [{"role": "night", "lat": night[0], "lon": night[1], "name": plate}]
            places += [
                {"role": "usual_night", "lat": c["lat"], "lon": c["lon"], "name": f"{c['nights']} 晚"} for c in usual
            ]
            hits.append(
                Hit("unusual_night", f"day:{vid}:{day.isoformat()}", vid, *window,
                    f"{plate}：{day:%m-%d} 凌晨停放在距常驻地点 {distance / 1000:.1f} 公里处",
                    f"{plate} spent the night of {day:%m-%d} {distance / 1000:.1f} km from its usual places",
                    {"numbers": {"distance_m": round(distance), "nights_observed": pattern.nights_observed,
                                 "usual_share": round(share, 2)}, "places": places})
            )  # fmt: skip
    weekday = day.weekday()
    seen = pattern.weekdays[weekday]
    if rest_day and hours and seen >= s.pattern_min_days:
        rates = {h: pattern.hours[weekday][h] / seen for h in sorted(hours)}
        if max(rates.values()) <= s.rare_share:
            names = "一二三四五六日"[weekday]
            span = f"{min(hours):02d}:00–{max(hours) + 1:02d}:00"
            hits.append(
                Hit("rest_day_movement", f"rest:{vid}:{day.isoformat()}", vid, *window,
                    f"{plate}：休息日（周{names}）{span} 出行，以往 {seen} 个周{names}在这些时段出行不超过 "
                    f"{max(rates.values()):.0%}",
                    f"{plate} moved on a rest day ({day:%a}) {span}; on {seen} past {day:%A}s it moved then at "
                    f"most {max(rates.values()):.0%} of the time",
                    {"numbers": {"hours": sorted(hours), "days_observed": seen,
                                 "rates": {str(h): round(r, 2) for h, r in rates.items()}}})
            )  # fmt: skip
    return hits


def learn(
    pattern: VehiclePattern, day: date, night: tuple[float, float] | None, hours: set[int], s: SupervisionSettings
) -> None:
    """Add the day to the car's pattern (once)."""
    _empty(pattern)
    if pattern.last_day is not None and day <= pattern.last_day:
        return
    clusters = [dict(c) for c in pattern.nights]
    if night is not None:
        nearest = min(clusters, key=lambda c: haversine_m(c["lat"], c["lon"], *night), default=None)
        if nearest is not None and haversine_m(nearest["lat"], nearest["lon"], *night) <= s.night_cluster_m:
            n = nearest["nights"]
            nearest["lat"] = (nearest["lat"] * n + night[0]) / (n + 1)
            nearest["lon"] = (nearest["lon"] * n + night[1]) / (n + 1)
            nearest["nights"] = n + 1
        else:
            clusters.append({"lat": night[0], "lon": night[1], "nights": 1})
        clusters = sorted(clusters, key=lambda c: -c["nights"])[:MAX_CLUSTERS]
        pattern.nights_observed += 1
    pattern.nights = clusters
    weekday = day.weekday()
    table = [list(row) for row in pattern.hours]
    for h in hours:
        table[weekday][h] += 1
    pattern.hours = table
    counts = list(pattern.weekdays)
    counts[weekday] += 1
    pattern.weekdays = counts
    pattern.last_day = day
