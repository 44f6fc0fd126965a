"""Driving along a polyline at a given speed (great-circle distances), for the simulated terminals."""

from __future__ import annotations

import math
from collections.abc import Sequence

EARTH_M = 6_371_008.8


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_M * math.asin(min(1.0, math.sqrt(h)))


def bearing_deg(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    y = math.sin(lon2 - lon1) * math.cos(lat2)
    x = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(lon2 - lon1)
    return (math.degrees(math.atan2(y, x)) + 360) % 360


class PathWalker:
    """Position along ``path`` after driving; loops back to the start at the end (cars come home)."""

    __slots__ = ("_cum", "_path", "distance_m", "odometer_km")

    def __init__(self, path: Sequence[tuple[float, float]], odometer_km: float = 0.0) -> None:
        if not path:
            raise ValueError("a path needs at least one point")
        self._path = list(path)
        self._cum = [0.0]
        for a, b in zip(self._path, self._path[1:], strict=False):
            self._cum.append(self._cum[-1] + haversine_m(a, b))
        self.distance_m = 0.0
        self.odometer_km = odometer_km

    @property
    def length_m(self) -> float:
        return self._cum[-1]

    def advance(self, metres: float) -> None:
        self.distance_m += metres
        self.odometer_km += metres / 1000

    def where(self) -> tuple[float, float, float]:
        """``(lat, lon, course)`` at the distance driven so far."""
        if self.length_m == 0:
            return self._path[0][0], self._path[0][1], 0.0
        d = self.distance_m % self.length_m
        i = 1
        while i < len(self._cum) - 1 and self._cum[i] < d:
            i += 1
        a, b = self._path[i - 1], self._path[i]
        seg = self._cum[i] - self._cum[i - 1]
        f = 0.0 if seg == 0 else (d - self._cum[i - 1]) / seg
        return a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, bearing_deg(a, b)
