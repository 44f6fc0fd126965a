"""OSRM over HTTP: ``/table`` for matrices, ``/route`` for routes (OSRM v5 API).

Large matrices are split into requests of at most ``max_locations`` coordinates (OSRM's ``--max-table-size``
defaults to 100). ``null`` cells (no route) come back as ``inf``. OSRM has no time-of-day speeds, so
``depart_at`` is ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import httpx
import numpy as np

from gongwu.routing.errors import EngineError, NoRoute
from gongwu.routing.types import LatLon, MatrixResult, PointLike, Route, as_points

__all__ = ["OsrmTravelTimes"]


class OsrmTravelTimes:
    """:class:`~gongwu.routing.types.TravelTimes` backed by an OSRM server at ``base_url``."""

    name = "osrm"

    def __init__(
        self,
        base_url: str,
        *,
        profile: str = "driving",
        timeout_s: float = 10.0,
        max_locations: int = 100,
        client: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.profile = profile
        self.max_locations = max(2, max_locations)
        self._client = client or httpx.Client(timeout=timeout_s)

    def close(self) -> None:
        self._client.close()

    def _get(self, service: str, coords: Sequence[LatLon], params: dict[str, str]) -> dict[str, Any]:
        path = ";".join(f"{p.lon:.6f},{p.lat:.6f}" for p in coords)
        url = f"{self.base_url}/{service}/v1/{self.profile}/{path}"
        try:
            response = self._client.get(url, params=params)
        except httpx.HTTPError as exc:
            raise EngineError(
                f"OSRM at {self.base_url} is unreachable: {exc}",
                message_zh=f"无法连接 OSRM 路径规划引擎（{self.base_url}）：{exc}",
                details={"url": url},
            ) from exc
        try:
            body: dict[str, Any] = response.json()
        except ValueError as exc:
            raise EngineError(
                f"OSRM answered {response.status_code} without JSON",
                message_zh=f"OSRM 返回了 {response.status_code}，但不是 JSON。",
                details={"status": response.status_code},
            ) from exc
        code = body.get("code")
        if code == "NoRoute":
            raise NoRoute(
                body.get("message") or NoRoute.default_message,
                message_zh=NoRoute.default_message_zh,
                details={"engine": self.name},
            )
        if response.status_code != 200 or code != "Ok":
            raise EngineError(
                f"OSRM error {code}: {body.get('message', '')}".strip(),
                message_zh=f"OSRM 出错 {code}：{body.get('message', '')}".strip(),
                details={"status": response.status_code, "osrm_code": code},
            )
        return body

    def matrix(
        self,
        sources: Sequence[PointLike],
        targets: Sequence[PointLike],
        depart_at: datetime | None = None,
    ) -> MatrixResult:
        src, dst = as_points(sources), as_points(targets)
        dur = np.full((len(src), len(dst)), np.inf)
        dist = np.full((len(src), len(dst)), np.inf)
        if len(src) + len(dst) <= self.max_locations:
            s_step, t_step = max(1, len(src)), max(1, len(dst))
        else:
            s_step = max(1, min(len(src), self.max_locations // 2))
            t_step = self.max_locations - s_step
        for i0 in range(0, len(src), s_step):
            for j0 in range(0, len(dst), t_step):
                block_s, block_t = src[i0 : i0 + s_step], dst[j0 : j0 + t_step]
                d, m = self._table(block_s, block_t)
                dur[i0 : i0 + len(block_s), j0 : j0 + len(block_t)] = d
                dist[i0 : i0 + len(block_s), j0 : j0 + len(block_t)] = m
        return MatrixResult(dur, dist, np.zeros(dur.shape, dtype=bool), self.name)

    def _table(self, src: list[LatLon], dst: list[LatLon]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        n = len(src)
        params = {
            "sources": ";".join(str(i) for i in range(n)),
            "destinations": ";".join(str(n + j) for j in range(len(dst))),
            "annotations": "duration,distance",
        }
        body = self._get("table", [*src, *dst], params)
        return _grid(body.get("durations"), n, len(dst)), _grid(body.get("distances"), n, len(dst))

    def route(self, a: PointLike, b: PointLike, depart_at: datetime | None = None) -> Route:
        pa, pb = as_points([a, b])
        params = {"overview": "full", "geometries": "geojson", "steps": "false"}
        body = self._get("route", [pa, pb], params)
        routes = body.get("routes") or []
        if not routes:
            raise NoRoute(details={"engine": self.name})
        best = routes[0]
        coords = [(float(x), float(y)) for x, y in best["geometry"]["coordinates"]]
        waypoints = body.get("waypoints") or []
        snapped = None
        if len(waypoints) == 2:
            (lon0, lat0), (lon1, lat1) = waypoints[0]["location"], waypoints[1]["location"]
            snapped = (LatLon(lat0, lon0), LatLon(lat1, lon1))
        return Route(
            geometry=coords,
            distance_m=float(best["distance"]),
            duration_s=float(best["duration"]),
            engine=self.name,
            snapped=snapped,
        )


def _grid(rows: Any, n: int, m: int) -> np.ndarray[Any, Any]:
    if rows is None:
        raise EngineError(
            "OSRM table answer lacks durations/distances (annotations unsupported?)",
            message_zh="OSRM 距离矩阵结果缺少 durations/distances（可能不支持 annotations）。",
        )
    out = np.array([[np.inf if v is None else float(v) for v in row] for row in rows], dtype=np.float64)
    if out.shape != (n, m):
        raise EngineError(
            f"OSRM table answer is {out.shape}, expected {(n, m)}",
            message_zh=f"OSRM 距离矩阵结果为 {out.shape}，应为 {(n, m)}。",
        )
    return out
