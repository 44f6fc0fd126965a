"""A fuel-card transaction against the car's track: the stop at the station it belongs to, or where the car was.

The stop is the car's standstill (telematics) that overlaps the transaction's time ± ``match_window_minutes``
within ``match_radius_m`` of the station (the nearest wins). Without one, the car's trusted point nearest in
time says where it was: farther than ``elsewhere_m`` from the station is ``elsewhere`` (the supervision rule
*refuel while the car was elsewhere* reads it), nearer is ``no_stop``; no point at all is ``no_track``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.geo import haversine_m
from gongwu.dispatch.costs.models import FuelTransaction
from gongwu.dispatch.costs.settings import CostsSettings
from gongwu.telematics import service as telematics

__all__ = ["match_fuel"]


async def match_fuel(session: AsyncSession, txn: FuelTransaction, settings: CostsSettings) -> None:
    window = timedelta(minutes=settings.match_window_minutes)
    lo, hi = txn.at - window, txn.at + window
    stops = await telematics.list_stops(session, None, txn.vehicle_id, txn.at - timedelta(hours=24), hi)
    best: tuple[float, int] | None = None
    for stop in stops:
        if stop.lat is None or stop.lon is None:
            continue
        if stop.start_time > hi or (stop.end_time is not None and stop.end_time < lo):
            continue
        distance = haversine_m(stop.lat, stop.lon, txn.lat, txn.lon)
        if distance <= settings.match_radius_m and (best is None or distance < best[0]):
            best = (distance, stop.id)
    points = await telematics.track(session, None, txn.vehicle_id, lo - window, hi + window)
    nearest = min(points, key=lambda p: abs((datetime.fromisoformat(p[2]) - txn.at).total_seconds()), default=None)
    if nearest is not None:
        txn.car_lon, txn.car_lat = float(nearest[0]), float(nearest[1])
        txn.distance_m = round(haversine_m(txn.car_lat, txn.car_lon, txn.lat, txn.lon), 1)
    if best is not None:
        txn.match_status, txn.stop_id = "matched", best[1]
        txn.distance_m = round(best[0], 1) if txn.distance_m is None else txn.distance_m
    elif txn.distance_m is None:
        txn.match_status = "no_track"
    elif txn.distance_m > settings.elsewhere_m:
        txn.match_status = "elsewhere"
    else:
        txn.match_status = "no_stop"
