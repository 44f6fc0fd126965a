"""Many simulated terminals at once: the demo (~40 cars) and the load benchmark (up to 10,000 connections)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass

from gongwu.devices.sim.gb32960 import Gb32960Vehicle
from gongwu.devices.sim.jt808 import Jt808Terminal

Vehicle = Jt808Terminal | Gb32960Vehicle


@dataclass(frozen=True, slots=True)
class FleetStats:
    terminals: int
    reports: int
    acked: int
    resent: int
    connects: int
    errors: int


def ring_path(lat: float, lon: float, radius_m: float = 2000.0, points: int = 24) -> list[tuple[float, float]]:
    """A closed loop around a point (handy default path for demo cars)."""
    out = []
    for i in range(points + 1):
        a = 2 * math.pi * i / points
        out.append(
            (
                lat + radius_m / 111_320 * math.sin(a),
                lon + radius_m / (111_320 * math.cos(math.radians(lat))) * math.cos(a),
            )
        )
    return out


class FleetSimulator:
    """Runs its vehicles concurrently (one task each); ``connect_rate`` spreads the connection storm."""

    def __init__(self, vehicles: Sequence[Vehicle], *, connect_rate: float = 500.0) -> None:
        self.vehicles = list(vehicles)
        self.connect_rate = connect_rate

    def stop(self) -> None:
        for v in self.vehicles:
            v.stop()

    async def run(self, duration_s: float | None = None) -> FleetStats:
        async def start(i: int, v: Vehicle) -> object:
            await asyncio.sleep(i / self.connect_rate)
            return await v.run()

        tasks = [asyncio.ensure_future(start(i, v)) for i, v in enumerate(self.vehicles)]
        if duration_s is not None:
            done, _ = await asyncio.wait(tasks, timeout=duration_s)
            if len(done) < len(tasks):
                self.stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        return self.stats()

    def stats(self) -> FleetStats:
        reports = acked = resent = connects = errors = 0
        for v in self.vehicles:
            s = v.stats
            reports += s.reports
            acked += s.acked
            resent += s.resent
            connects += s.connects
            errors += s.errors
        return FleetStats(len(self.vehicles), reports, acked, resent, connects, errors)
