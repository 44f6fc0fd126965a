"""Valhalla over HTTP: ``/sources_to_targets`` for matrices, ``/route`` for routes.

Valhalla understands departure times: ``depart_at`` is sent as ``date_time`` (type 1, local wall-clock time
of the given zone). Both matrix answer shapes are read: the verbose one (rows of
``{from_index, to_index, time, distance}``) and the concise one (``{durations, distances}``). Distances are
requested in kilometres and returned in metres. Route shapes are encoded polylines with 6 decimals.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import numpy as np

from gongwu.routing.errors import EngineError, NoRoute
from gongwu.routing.types import LatLon, MatrixResult, PointLike, Route, as_points

__all__ = ["ValhallaTravelTimes", "decode_polyline"]

# Valhalla error codes meaning "there is no route" rather than "the server is broken".
_NO_ROUTE_CODES = {170, 171, 442, 443}


def decode_polyline(encoded: str, precision: int = 6) -> list[tuple[float, float]]:
    """Google's encoded-polyline format → [(lon, lat)] (Valhalla uses 6 decimals, OSRM's polyline 5)."""
    coords: list[tuple[float, float]] = []
    index = lat = lon = 0
    factor = 10.0**precision
    while index < len(encoded):
        deltas = []
        for _ in range(2):
            shift = result = 0
            while True:
                b = ord(encoded[index]) - 63
                index += 1
                result |= (b & 0x1F) << shift
                shift += 5
                if b < 0x20:
                    break
            deltas.append(~(result >> 1) if result & 1 else result >> 1)
        lat += deltas[0]
        lon += deltas[1]
        coords.append((lon / factor, lat / factor))
    return coords


class ValhallaTravelTimes:
    """:class:`~gongwu.routing.types.TravelTimes` backed by a Valhalla server at ``base_url``."""

    name = "valhalla"

    def __init__(
        self,
        base_url: str,
        *,
        costing: str = "auto",
        timezone: str = "Asia/Shanghai",
        timeout_s: float = 10.0,
        client: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.costing = costing
        self._tz = ZoneInfo(timezone)
        self._client = client or httpx.Client(timeout=timeout_s)

    def close(self) -> None:
        self._client.close()

    def _post(self, service: str, payload: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.base_url}/{service}"
        try:
            response = self._client.post(url, json=payload)
        except httpx.HTTPError as exc:
            raise EngineError(
                f"Valhalla at {self.base_url} is unreachable: {exc}",
                message_zh=f"无法连接 Valhalla 路径规划引擎（{self.base_url}）：{exc}",
                details={"url": url},
            ) from exc
        try:
            body: dict[str, Any] = response.json()
        except ValueError as exc:
            raise EngineError(
                f"Valhalla answered {response.status_code} without JSON",
                message_zh=f"Valhalla 返回了 {response.status_code}，但不是 JSON。",
                details={"status": response.status_code},
            ) from exc
        if response.status_code != 200 or "error_code" in body:
            code = body.get("error_code")
            message = str(body.get("error", ""))
            if code in _NO_ROUTE_CODES:
                raise NoRoute(
                    f"Valhalla: {message}",
                    message_zh=f"两点之间没有可通行的路线（Valhalla：{message}）。",
                    details={"engine": self.name, "valhalla_code": code},
                )
            raise EngineError(
                f"Valhalla error {code}: {message}",
                message_zh=f"Valhalla 出错 {code}：{message}",
                details={"status": response.status_code, "valhalla_code": code},
            )
        return body

    def _base(self, depart_at: datetime | None) -> dict[str, Any]:
        payload: dict[str, Any] = {"costing": self.costing, "units": "kilometers"}
        if depart_at is not None:
            local = depart_at.astimezone(self._tz) if depart_at.tzinfo else depart_at
            payload["date_time"] = {"type": 1, "value": local.strftime("%Y-%m-%dT%H:%M")}
        return payload

    def matrix(
        self,
        sources: Sequence[PointLike],
        targets: Sequence[PointLike],
        depart_at: datetime | None = None,
    ) -> MatrixResult:
        src, dst = as_points(sources), as_points(targets)
        payload = self._base(depart_at)
        payload["sources"] = [{"lat": p.lat, "lon": p.lon} for p in src]
        payload["targets"] = [{"lat": p.lat, "lon": p.lon} for p in dst]
        body = self._post("sources_to_targets", payload)
        dur, dist = _read_matrix(body.get("sources_to_targets"), len(src), len(dst))
        return MatrixResult(dur, dist, np.zeros(dur.shape, dtype=bool), self.name)

    def route(self, a: PointLike, b: PointLike, depart_at: datetime | None = None) -> Route:
        pa, pb = as_points([a, b])
        payload = self._base(depart_at)
        payload["locations"] = [{"lat": pa.lat, "lon": pa.lon}, {"lat": pb.lat, "lon": pb.lon}]
        trip = self._post("route", payload).get("trip")
        if not trip or not trip.get("legs"):
            raise NoRoute(details={"engine": self.name})
        geometry: list[tuple[float, float]] = []
        for leg in trip["legs"]:
            for pt in decode_polyline(leg["shape"]):
                if not geometry or geometry[-1] != pt:
                    geometry.append(pt)
        summary = trip["summary"]
        snapped = None
        locs = trip.get("locations") or []
        if len(locs) == 2:
            snapped = (LatLon(locs[0]["lat"], locs[0]["lon"]), LatLon(locs[1]["lat"], locs[1]["lon"]))
        return Route(
            geometry=geometry,
            distance_m=float(summary["length"]) * 1000.0,
            duration_s=float(summary["time"]),
            engine=self.name,
            snapped=snapped,
        )


def _read_matrix(cells: Any, n: int, m: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    dur = np.full((n, m), np.inf)
    dist = np.full((n, m), np.inf)
    if isinstance(cells, dict):  # concise answer
        for i, row in enumerate(cells.get("durations") or []):
            for j, v in enumerate(row):
                if v is not None:
                    dur[i, j] = float(v)
        for i, row in enumerate(cells.get("distances") or []):
            for j, v in enumerate(row):
                if v is not None:
                    dist[i, j] = float(v) * 1000.0
        return dur, dist
    if not isinstance(cells, list):
        raise EngineError(
            "Valhalla answer has no sources_to_targets", message_zh="Valhalla 的结果中没有 sources_to_targets。"
        )
    for i, row in enumerate(cells):
        for j, cell in enumerate(row):
            fi, tj = cell.get("from_index", i), cell.get("to_index", j)
            if cell.get("time") is not None:
                dur[fi, tj] = float(cell["time"])
            if cell.get("distance") is not None:
                dist[fi, tj] = float(cell["distance"]) * 1000.0
    return dur, dist
