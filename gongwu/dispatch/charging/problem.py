"""The charging problem as value objects: sites with connectors and a tariff, cars with their state, trips.

充电计划 (charging plan): which car charges on which connector, when and how much, so every assigned trip
starts with enough charge. Nothing here knows about OR-Tools or the database; :func:`.solver.plan` solves a
:class:`ChargingProblem`. Times are aware datetimes (stored and compared in UTC); the tariff is read in the
site's local wall-clock zone. Energies are kWh on the battery side unless a name says ``grid``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from gongwu.core.errors import InvalidInput

__all__ = [
    "BAND_KINDS",
    "ChargingProblem",
    "ChargingSite",
    "Connector",
    "ConnectorKind",
    "EvState",
    "Tariff",
    "TariffBand",
    "TripDemand",
]

ConnectorKind = Literal["ac", "dc"]
BandKind = Literal["sharp", "peak", "flat", "valley"]
BAND_KINDS: dict[str, tuple[str, str]] = {
    "sharp": ("尖峰", "Sharp peak"),
    "peak": ("高峰", "Peak"),
    "flat": ("平段", "Flat"),
    "valley": ("低谷", "Valley"),
}
EFFICIENCY: dict[str, float] = {"ac": 0.92, "dc": 0.94}
"""Share of the energy drawn from the grid that reaches the battery (charger and battery losses)."""


def _aware(value: datetime, what: str) -> datetime:
    if value.tzinfo is None:
        raise InvalidInput(
            f"{what} needs a time zone.", code="charging.naive_time", message_zh=f"时间缺少时区（{what}）。"
        )
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class TariffBand:
    """One band of a time-of-use tariff (分时电价): ``[start, end)`` local wall-clock, wrapping past midnight
    when ``end <= start`` (``23:00–07:00``)."""

    kind: BandKind
    start: time
    end: time
    price: float
    """Yuan per kWh drawn from the grid."""

    def __post_init__(self) -> None:
        if self.kind not in BAND_KINDS:
            raise InvalidInput(
                f"Tariff band kind must be one of {list(BAND_KINDS)}.",
                code="charging.bad_band",
                message_zh=f"电价时段类型须为 {list(BAND_KINDS)} 之一。",
            )
        if not 0 <= self.price < 100:
            raise InvalidInput(
                f"A tariff price of {self.price} yuan/kWh is not plausible.",
                code="charging.bad_price",
                message_zh=f"电价 {self.price} 元/kWh 不合理。",
            )

    def covers(self, minute: int) -> bool:
        start, end = self.start.hour * 60 + self.start.minute, self.end.hour * 60 + self.end.minute
        if start < end:
            return start <= minute < end
        return minute >= start or minute < end


@dataclass(frozen=True, slots=True)
class Tariff:
    """A time-of-use tariff: bands that cover the 24 hours of a day exactly once, in ``timezone``."""

    bands: tuple[TariffBand, ...]
    timezone: str = "Asia/Shanghai"
    name: str = ""
    _by_minute: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "bands", tuple(self.bands))
        owner: list[int] = []
        for minute in range(24 * 60):
            hits = [i for i, band in enumerate(self.bands) if band.covers(minute)]
            if len(hits) != 1:
                at = f"{minute // 60:02d}:{minute % 60:02d}"
                problem = "no band" if not hits else "more than one band"
                raise InvalidInput(
                    f"The tariff has {problem} at {at}.",
                    code="charging.bad_tariff",
                    message_zh=f"分时电价设置有误：{at} {'不属于任何时段' if not hits else '同时属于多个时段'}。",
                )
            owner.append(hits[0])
        object.__setattr__(self, "_by_minute", tuple(owner))

    @classmethod
    def of(
        cls, bands: Iterable[tuple[str, str, str, float]], timezone: str = "Asia/Shanghai", name: str = ""
    ) -> Tariff:
        """From ``(kind, "HH:MM", "HH:MM", price)`` rows; ``"24:00"`` is accepted as an end."""

        def hhmm(text: str) -> time:
            hours, minutes = (int(x) for x in text.split(":"))
            return time(0, 0) if (hours, minutes) == (24, 0) else time(hours, minutes)

        return cls(
            tuple(TariffBand(kind, hhmm(a), hhmm(b), float(p)) for kind, a, b, p in bands),  # type: ignore[arg-type]
            timezone,
            name,
        )

    def band_at(self, when: datetime) -> TariffBand:
        local = _aware(when, "A tariff time").astimezone(ZoneInfo(self.timezone))
        return self.bands[self._by_minute[local.hour * 60 + local.minute]]

    def price_at(self, when: datetime) -> float:
        return self.band_at(when).price

    def mean_price(self, start: datetime, end: datetime) -> float:
        """Time-weighted mean price over ``[start, end)``, minute by minute."""
        minutes = max(1, int((end - start).total_seconds() // 60))
        step = max(1, minutes // 240)
        samples = [self.price_at(start + timedelta(minutes=m)) for m in range(0, minutes, step)]
        return sum(samples) / len(samples)

    @property
    def cheapest(self) -> float:
        return min(b.price for b in self.bands)


@dataclass(frozen=True, slots=True)
class Connector:
    """One charging point (枪): AC or DC, its rated power."""

    id: str
    kind: ConnectorKind
    kw: float
    label: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("ac", "dc"):
            raise InvalidInput(
                "A connector is 'ac' or 'dc'.",
                code="charging.bad_connector",
                message_zh="充电枪类型须为交流（ac）或直流（dc）。",
            )
        if not 0 < self.kw <= 1000:
            raise InvalidInput(
                f"Connector {self.id}: {self.kw} kW is not plausible.",
                code="charging.bad_connector",
                message_zh=f"充电枪 {self.id}：功率 {self.kw} kW 不合理。",
            )

    @property
    def efficiency(self) -> float:
        return EFFICIENCY[self.kind]


@dataclass(frozen=True, slots=True)
class ChargingSite:
    """A charging site (充电场站): its connectors, the power cap of its supply, its tariff."""

    id: str
    connectors: tuple[Connector, ...]
    cap_kw: float
    tariff: Tariff
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "connectors", tuple(self.connectors))
        ids = [c.id for c in self.connectors]
        if len(set(ids)) != len(ids):
            raise InvalidInput(
                f"Site {self.id}: connector ids must be unique.",
                code="charging.bad_site",
                message_zh=f"充电场站 {self.id}：充电枪编号不能重复。",
            )
        if self.cap_kw <= 0:
            raise InvalidInput(
                f"Site {self.id}: the power cap must be positive.",
                code="charging.bad_site",
                message_zh=f"充电场站 {self.id}：功率上限须为正数。",
            )

    def connector(self, connector_id: str) -> Connector:
        for c in self.connectors:
            if c.id == connector_id:
                return c
        raise InvalidInput(
            f"Site {self.id} has no connector {connector_id}.",
            code="charging.unknown_connector",
            message_zh=f"充电场站 {self.id} 没有充电枪 {connector_id}。",
        )


@dataclass(frozen=True, slots=True)
class EvState:
    """A new-energy car as the planner sees it.

    ``soc_kwh`` is the charge when the car is next free at ``site_id``: now for a parked car, the expected
    charge on return for a car out on a trip (``available_from`` is then its return). ``max_ac_kw`` is the
    on-board charger's limit; ``max_dc_kw`` None means the car takes no DC. ``plugged_into`` names the
    connector it is plugged into now (kept if the plan keeps charging it). ``min_soc`` is the floor kept at
    every departure on top of the trip's own need; ``max_soc`` the share of the battery a plan fills up to.
    """

    vehicle_id: str
    battery_kwh: float
    kwh_per_km: float
    soc_kwh: float
    site_id: str | None
    available_from: datetime | None = None
    max_ac_kw: float = 7.0
    max_dc_kw: float | None = 60.0
    plugged_into: str | None = None
    label: str = ""
    min_soc: float = 0.0
    max_soc: float = 1.0

    def __post_init__(self) -> None:
        if self.battery_kwh <= 0 or self.kwh_per_km <= 0:
            raise InvalidInput(
                f"Car {self.name}: battery and consumption must be positive.",
                code="charging.bad_vehicle",
                message_zh=f"车辆 {self.name}：电池容量和能耗须为正数。",
            )
        if not 0 <= self.soc_kwh <= self.battery_kwh * 1.001:
            raise InvalidInput(
                f"Car {self.name}: a charge of {self.soc_kwh:.1f} kWh does not fit a {self.battery_kwh} kWh battery.",
                code="charging.bad_soc",
                message_zh=f"车辆 {self.name}：电量 {self.soc_kwh:.1f} kWh 超出电池容量 {self.battery_kwh} kWh。",
            )
        if not 0 <= self.min_soc < self.max_soc <= 1:
            raise InvalidInput(
                f"Car {self.name}: need 0 ≤ min_soc < max_soc ≤ 1.",
                code="charging.bad_vehicle",
                message_zh=f"车辆 {self.name}：须满足 0 ≤ 最低电量 < 最高电量 ≤ 1。",
            )
        if self.available_from is not None:
            object.__setattr__(self, "available_from", _aware(self.available_from, "available_from"))

    @classmethod
    def from_soc_pct(cls, vehicle_id: str, battery_kwh: float, soc_pct: float, **kw: object) -> EvState:
        return cls(vehicle_id, battery_kwh, soc_kwh=battery_kwh * max(0.0, min(100.0, soc_pct)) / 100, **kw)  # type: ignore[arg-type]

    @property
    def name(self) -> str:
        return self.label or self.vehicle_id

    @property
    def soc_pct(self) -> float:
        return 100 * self.soc_kwh / self.battery_kwh

    def max_kw(self, connector: Connector) -> float:
        """The power this car draws on ``connector`` (0: it cannot use it)."""
        limit = self.max_ac_kw if connector.kind == "ac" else (self.max_dc_kw or 0.0)
        return max(0.0, min(limit, connector.kw))


@dataclass(frozen=True, slots=True)
class TripDemand:
    """A trip assigned to a car: it leaves its site at ``departure`` needing ``energy_kwh`` in the battery
    (the routed distance × consumption × (1 + reserve)), uses ``consumption_kwh`` of it, and is back at
    ``returns_to`` (None: the car's own site) at ``return_time``."""

    id: str
    vehicle_id: str
    departure: datetime
    return_time: datetime
    energy_kwh: float
    consumption_kwh: float | None = None
    returns_to: str | None = None
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "departure", _aware(self.departure, "A trip's departure"))
        object.__setattr__(self, "return_time", _aware(self.return_time, "A trip's return"))
        if self.return_time < self.departure:
            raise InvalidInput(
                f"Trip {self.id} returns before it leaves.",
                code="charging.bad_trip",
                message_zh=f"行程 {self.id} 的返回时间早于出发时间。",
            )
        if self.energy_kwh < 0 or (self.consumption_kwh is not None and self.consumption_kwh < 0):
            raise InvalidInput(
                f"Trip {self.id}: energy must not be negative.",
                code="charging.bad_trip",
                message_zh=f"行程 {self.id}：电量不能为负数。",
            )

    @classmethod
    def routed(
        cls,
        id: str,
        vehicle_id: str,
        departure: datetime,
        return_time: datetime,
        *,
        distance_km: float,
        kwh_per_km: float,
        reserve: float = 0.15,
        returns_to: str | None = None,
        label: str = "",
    ) -> TripDemand:
        """A trip from its routed distance: needs distance × consumption × (1 + reserve)."""
        used = distance_km * kwh_per_km
        return cls(id, vehicle_id, departure, return_time, used * (1 + reserve), used, returns_to, label)

    @property
    def uses_kwh(self) -> float:
        """What the trip is expected to take out of the battery (its need without the reserve)."""
        return self.energy_kwh if self.consumption_kwh is None else min(self.consumption_kwh, self.energy_kwh)

    @property
    def name(self) -> str:
        return self.label or self.id


@dataclass(frozen=True, eq=False)
class ChargingProblem:
    """Sites, cars, their trips, from ``now`` over ``horizon``: ``slot_minutes`` slots for ``fine_hours``,
    hourly slots after that.

    ``plug_move_cost`` (yuan) prices one plug-in (someone moves a car to a connector), so plans with few
    moves win; ``stability_cost`` (yuan per slot changed) and ``min_gain`` (yuan) keep the previous plan
    unless a new one gains enough; ``shortfall_cost`` (yuan per kWh a trip lacks) ranks a trip served above
    any saving. ``peak_cost`` (yuan per kW of a site's highest slot in the plan) spreads charging over the cheap
    hours instead of bunching it (what a two-part tariff's demand charge and the transformer both like): 1.3
    yuan per kW for a plan of about a day is of the order of a demand charge (需量电费) of some 40 yuan per kW
    a month; with it, ``stability_cost`` must be high enough that an equal-peak reshuffle of other cars'
    sessions does not pay (0.8 yuan per slot changed). Trips
    not booked yet will need charge too: each kWh in a battery at the end of the horizon, up
    to ``target_soc``, is worth ``stored_value`` yuan (None: halfway between the two cheapest prices of the
    car's site, per kWh in the battery), so cars fill up when power is cheap but not at peak prices.
    """

    sites: tuple[ChargingSite, ...]
    evs: tuple[EvState, ...]
    trips: tuple[TripDemand, ...]
    now: datetime
    horizon: timedelta = timedelta(hours=36)
    slot_minutes: int = 15
    fine_hours: float = 6.0
    plug_move_cost: float = 2.0
    stability_cost: float = 0.8
    min_gain: float = 1.0
    shortfall_cost: float = 1000.0
    peak_cost: float = 1.3
    target_soc: float = 0.8
    stored_value: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "sites", tuple(self.sites))
        object.__setattr__(self, "evs", tuple(self.evs))
        object.__setattr__(self, "trips", tuple(sorted(self.trips, key=lambda t: (t.departure, t.id))))
        object.__setattr__(self, "now", _aware(self.now, "now"))
        if not 1 <= self.slot_minutes <= 60 or 60 % self.slot_minutes:
            raise InvalidInput(
                "slot_minutes must divide an hour.",
                code="charging.bad_slot",
                message_zh="时段长度（slot_minutes）须能整除 60 分钟。",
            )
        if not 0 <= self.target_soc <= 1 or self.fine_hours < 0:
            raise InvalidInput(
                "target_soc is a share in [0, 1]; fine_hours ≥ 0.",
                code="charging.bad_problem",
                message_zh="目标电量（target_soc）须在 0 到 1 之间，精细时段（fine_hours）不能为负数。",
            )
        if self.horizon < timedelta(minutes=self.slot_minutes):
            raise InvalidInput(
                "The horizon is shorter than one slot.",
                code="charging.bad_horizon",
                message_zh="计划时长短于一个时段。",
            )
        sites = {s.id for s in self.sites}
        if len(sites) != len(self.sites):
            raise InvalidInput(
                "Site ids must be unique.", code="charging.bad_site", message_zh="充电场站编号不能重复。"
            )
        vehicles = {v.vehicle_id for v in self.evs}
        if len(vehicles) != len(self.evs):
            raise InvalidInput(
                "Vehicle ids must be unique.", code="charging.bad_vehicle", message_zh="车辆编号不能重复。"
            )
        for ev in self.evs:
            if ev.site_id is not None and ev.site_id not in sites:
                raise InvalidInput(
                    f"Car {ev.name} is at unknown site {ev.site_id}.",
                    code="charging.unknown_site",
                    message_zh=f"车辆 {ev.name} 所在的充电场站 {ev.site_id} 不存在。",
                )
        if len({t.id for t in self.trips}) != len(self.trips):
            raise InvalidInput("Trip ids must be unique.", code="charging.bad_trip", message_zh="行程编号不能重复。")
        for trip in self.trips:
            if trip.vehicle_id not in vehicles:
                raise InvalidInput(
                    f"Trip {trip.id} is for unknown car {trip.vehicle_id}.",
                    code="charging.bad_trip",
                    message_zh=f"行程 {trip.id} 对应的车辆 {trip.vehicle_id} 不存在。",
                )
            if trip.returns_to is not None and trip.returns_to not in sites:
                raise InvalidInput(
                    f"Trip {trip.id} returns to unknown site.",
                    code="charging.unknown_site",
                    message_zh=f"行程 {trip.id} 返回的充电场站不存在。",
                )
        self._check_overlaps()

    def _check_overlaps(self) -> None:
        for ev in self.evs:
            free = ev.available_from or self.now
            for trip in self.trips_of(ev.vehicle_id):
                if trip.departure < free:
                    raise InvalidInput(
                        f"Trip {trip.name} of car {ev.name} leaves at {trip.departure:%Y-%m-%d %H:%M} UTC, "
                        "before the car is free.",
                        code="charging.overlapping_trips",
                        message_zh=f"车辆 {ev.name} 的行程 {trip.name} 于 {trip.departure:%Y-%m-%d %H:%M}（UTC）出发，"
                        "此时车辆尚未空闲。",
                        details={"trip_id": trip.id, "vehicle_id": ev.vehicle_id},
                    )
                free = trip.return_time

    def site(self, site_id: str) -> ChargingSite:
        for s in self.sites:
            if s.id == site_id:
                return s
        raise InvalidInput(
            f"Unknown site {site_id}.", code="charging.unknown_site", message_zh=f"充电场站 {site_id} 不存在。"
        )

    def value_of_stored(self, ev: EvState) -> float:
        """Yuan a kWh in ``ev``'s battery at the end of the horizon is worth (see ``stored_value``)."""
        if self.stored_value is not None:
            return self.stored_value
        site = next((s for s in self.sites if s.id == ev.site_id), None)
        if site is None:
            return 0.0
        prices = sorted({b.price for b in site.tariff.bands})
        pair = prices[:2] if len(prices) > 1 else prices * 2
        return sum(pair) / 2 / EFFICIENCY["ac"]

    def ev(self, vehicle_id: str) -> EvState:
        for v in self.evs:
            if v.vehicle_id == vehicle_id:
                return v
        raise InvalidInput(
            f"Unknown car {vehicle_id}.", code="charging.bad_vehicle", message_zh=f"车辆 {vehicle_id} 不存在。"
        )

    def trips_of(self, vehicle_id: str) -> Sequence[TripDemand]:
        return [t for t in self.trips if t.vehicle_id == vehicle_id]
