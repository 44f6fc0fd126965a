"""Road classes, default speeds and OpenStreetMap ``maxspeed`` parsing.

A road's free-flow speed is, in order: its ``maxspeed`` tag × :data:`MAXSPEED_FACTOR` (cars rarely hold the
limit in a city: lights, turns, traffic), or the default speed of its class. Both are conservative city
values in the spirit of OSRM's car profile. Speeds learned from the fleet's own trips
(:mod:`gongwu.routing.learned`) replace them per class and hour of day when there are enough samples.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = [
    "DEFAULT_SPEEDS_KMH",
    "MAXSPEED_FACTOR",
    "ROAD_CLASSES",
    "class_code",
    "default_speed_kmh",
    "parse_maxspeed",
]

ROAD_CLASSES: tuple[str, ...] = (
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "unclassified",
    "residential",
    "living_street",
    "service",
    "road",
)
"""The drivable ``highway=*`` values, in the order of their integer codes in the graph file."""

DEFAULT_SPEEDS_KMH: Mapping[str, float] = {
    "motorway": 90.0,
    "motorway_link": 45.0,
    "trunk": 80.0,
    "trunk_link": 40.0,
    "primary": 50.0,
    "primary_link": 30.0,
    "secondary": 45.0,
    "secondary_link": 25.0,
    "tertiary": 35.0,
    "tertiary_link": 20.0,
    "unclassified": 25.0,
    "residential": 25.0,
    "living_street": 10.0,
    "service": 15.0,
    "road": 20.0,
}

MAXSPEED_FACTOR = 0.8
"""Share of the posted limit a car averages on a road that has one."""

# Implicit limits written as "CC:zone" (km/h). Covers China and the demo extract (Finland), plus the common ones.
_ZONE_LIMITS: Mapping[str, float] = {
    "urban": 50.0,
    "rural": 80.0,
    "motorway": 120.0,
    "trunk": 100.0,
    "living_street": 20.0,
    "walk": 7.0,
    "zone30": 30.0,
    "zone:30": 30.0,
}
_COUNTRY_ZONE: Mapping[tuple[str, str], float] = {
    ("CN", "rural"): 70.0,
    ("CN", "motorway"): 120.0,
    ("CN", "urban"): 50.0,
    ("FI", "urban"): 50.0,
    ("FI", "rural"): 80.0,
    ("DE", "rural"): 100.0,
    ("RU", "urban"): 60.0,
    ("RU", "rural"): 90.0,
}
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?\s*$")


def class_code(highway: str) -> int:
    """Integer code of a drivable road class (raises ValueError for a non-drivable one)."""
    return ROAD_CLASSES.index(highway)


def parse_maxspeed(value: str | None) -> float | None:
    """``maxspeed`` tag → km/h, or None when absent or not understood.

    Understands ``"50"``, ``"30 mph"``, ``"FI:urban"``, ``"CN:motorway"``, ``"walk"``; for ``"60;80"`` the
    lower value. ``"none"``/``"signals"``/``"variable"`` give None (fall back to the class default).
    """
    if not value:
        return None
    speeds = [s for s in (_parse_one(part) for part in value.split(";")) if s is not None]
    return min(speeds) if speeds else None


def _parse_one(text: str) -> float | None:
    text = text.strip()
    m = _NUMBER.match(text)
    if m:
        speed = float(m.group(1))
        unit = m.group(2)
        if unit == "mph":
            speed *= 1.609344
        elif unit == "knots":
            speed *= 1.852
        return speed if speed > 0 else None
    if ":" in text:
        country, _, zone = text.partition(":")
        key = (country.upper(), zone.lower())
        if key in _COUNTRY_ZONE:
            return _COUNTRY_ZONE[key]
        return _ZONE_LIMITS.get(zone.lower())
    return _ZONE_LIMITS.get(text.lower())


def default_speed_kmh(highway: str, maxspeed: str | None, overrides: Mapping[str, float] | None = None) -> float:
    """Free-flow speed of a road: posted limit × factor, else the (possibly overridden) class default."""
    limit = parse_maxspeed(maxspeed)
    if limit is not None:
        return max(5.0, limit * MAXSPEED_FACTOR)
    if overrides and highway in overrides:
        return float(overrides[highway])
    return DEFAULT_SPEEDS_KMH[highway]
