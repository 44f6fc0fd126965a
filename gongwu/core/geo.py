"""Geodesy helpers: great-circle distance, bearing, bounding boxes and WGS-84 ⇄ GCJ-02.

Everything Gongwu stores is WGS-84 (what GPS/BeiDou terminals report). GCJ-02 (国测局坐标, "Mars
coordinates") is the obfuscated datum that Chinese map services (Amap/Gaode, Tencent) use; it only appears at
the edges: importing points picked on such a map, or exporting points to one.

The GCJ-02 offset is defined only inside China. By the usual rule (the one every open implementation
uses) a point outside the rectangle lon 72.004–137.8347, lat 0.8293–55.8271 is "outside China" and its GCJ-02
coordinates equal its WGS-84 ones. The rectangle is coarse: it also covers parts of neighbouring countries,
where the offset is applied as well, which is what the Chinese services themselves do near the border.

Latitudes and longitudes are decimal degrees; argument order is always (lat, lon).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "EARTH_RADIUS_M",
    "BBox",
    "bearing_deg",
    "destination",
    "gcj02_to_wgs84",
    "haversine_m",
    "in_bbox",
    "out_of_china",
    "wgs84_to_gcj02",
]

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG), metres."""

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 obfuscation.
_GCJ_A = 6_378_245.0
_GCJ_EE = 0.006_693_421_622_965_943_23


@dataclass(frozen=True, slots=True)
class BBox:
    """A lat/lon rectangle (not crossing the antimeridian)."""

    min_lat: float
    min_lon: float
    max_lat: float
    max_lon: float

    def __post_init__(self) -> None:
        if not (self.min_lat <= self.max_lat and self.min_lon <= self.max_lon):
            raise ValueError(f"empty bbox: {self}")

    def contains(self, lat: float, lon: float, margin_deg: float = 0.0) -> bool:
        """True when (lat, lon) lies inside the box grown by ``margin_deg`` on every side."""
        return (
            self.min_lat - margin_deg <= lat <= self.max_lat + margin_deg
            and self.min_lon - margin_deg <= lon <= self.max_lon + margin_deg
        )

    def as_list(self) -> list[float]:
        """``[min_lon, min_lat, max_lon, max_lat]``, the GeoJSON / MapLibre order."""
        return [self.min_lon, self.min_lat, self.max_lon, self.max_lat]

    @property
    def center(self) -> tuple[float, float]:
        """Centre as (lat, lon)."""
        return ((self.min_lat + self.max_lat) / 2, (self.min_lon + self.max_lon) / 2)


def in_bbox(lat: float, lon: float, bbox: BBox, margin_deg: float = 0.0) -> bool:
    """True when (lat, lon) lies inside ``bbox`` (grown by ``margin_deg``)."""
    return bbox.contains(lat, lon, margin_deg)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points (spherical Earth, error < 0.5 %)."""
    p1 = math.radians(lat1)
    p2 = math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial bearing from point 1 to point 2, degrees clockwise from north in [0, 360)."""
    p1 = math.radians(lat1)
    p2 = math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360.0


def destination(lat: float, lon: float, bearing: float, distance_m: float) -> tuple[float, float]:
    """The point reached from (lat, lon) going ``distance_m`` along ``bearing`` degrees: (lat, lon)."""
    d = distance_m / EARTH_RADIUS_M
    b = math.radians(bearing)
    p1 = math.radians(lat)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = math.radians(lon) + math.atan2(
        math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
    )
    return math.degrees(p2), (math.degrees(l2) + 540.0) % 360.0 - 180.0


def out_of_china(lat: float, lon: float) -> bool:
    """The usual rule: outside this rectangle GCJ-02 equals WGS-84."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _gcj_dlat(x: float, y: float) -> float:
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    r += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return r


def _gcj_dlon(x: float, y: float) -> float:
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    r += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return r


def _gcj_offset(lat: float, lon: float) -> tuple[float, float]:
    """(dlat, dlon) in degrees that GCJ-02 adds to a WGS-84 point inside China."""
    dlat = _gcj_dlat(lon - 105.0, lat - 35.0)
    dlon = _gcj_dlon(lon - 105.0, lat - 35.0)
    rad = math.radians(lat)
    magic = 1.0 - _GCJ_EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_GCJ_A * (1.0 - _GCJ_EE)) / (magic * sqrt_magic) * math.pi)
    dlon = (dlon * 180.0) / (_GCJ_A / sqrt_magic * math.cos(rad) * math.pi)
    return dlat, dlon


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """WGS-84 → GCJ-02 (for export to Chinese map services). Identity outside China. Returns (lat, lon)."""
    if out_of_china(lat, lon):
        return lat, lon
    dlat, dlon = _gcj_offset(lat, lon)
    return lat + dlat, lon + dlon


def gcj02_to_wgs84(lat: float, lon: float, tolerance_m: float = 0.01) -> tuple[float, float]:
    """GCJ-02 → WGS-84 (for points imported from Chinese map services). Returns (lat, lon).

    The forward transform has no closed-form inverse; this iterates ``w ← w − (gcj(w) − g)`` until the
    forward image of the answer is within ``tolerance_m`` of the input (default 1 cm; a few iterations).
    Identity outside China.
    """
    if out_of_china(lat, lon):
        return lat, lon
    w_lat, w_lon = lat, lon
    for _ in range(30):
        g_lat, g_lon = wgs84_to_gcj02(w_lat, w_lon)
        e_lat, e_lon = g_lat - lat, g_lon - lon
        w_lat -= e_lat
        w_lon -= e_lon
        if haversine_m(g_lat, g_lon, lat, lon) < tolerance_m:
            break
    return w_lat, w_lon
