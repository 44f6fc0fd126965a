"""Time-of-use tariffs the demo and the benchmark use (see docs/charging.md for the sources).

Beijing general industrial & commercial (一般工商业), single-system (单一制), below 1 kV: peak 10:00–15:00 and
18:00–21:00, valley 23:00–07:00, flat in between (the period structure named in the issue, Beijing's schedule
before September 2023), priced at the peak : flat : valley ratio 1.71 : 1 : 0.36 that Beijing set for this user
class in August 2023, on a flat price of 0.80 yuan/kWh (an assumption of the right order; a site enters its
own bill's prices).
"""

from __future__ import annotations

from gongwu.dispatch.charging.problem import Tariff

__all__ = ["BEIJING_COMMERCIAL", "BEIJING_COMMERCIAL_BANDS"]

FLAT = 0.80
BEIJING_COMMERCIAL_BANDS: tuple[tuple[str, str, str, float], ...] = (
    ("valley", "23:00", "07:00", round(FLAT * 0.36, 4)),
    ("flat", "07:00", "10:00", FLAT),
    ("peak", "10:00", "15:00", round(FLAT * 1.71, 4)),
    ("flat", "15:00", "18:00", FLAT),
    ("peak", "18:00", "21:00", round(FLAT * 1.71, 4)),
    ("flat", "21:00", "23:00", FLAT),
)
BEIJING_COMMERCIAL = Tariff.of(BEIJING_COMMERCIAL_BANDS, name="北京一般工商业分时电价（不满1千伏）")
