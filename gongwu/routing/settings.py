"""Settings of the routing package (environment prefix ``GONGWU_``), read only by the app.

Example: ``GONGWU_ROUTING_ENGINE=osrm GONGWU_OSRM_URL=http://osrm.internal:5000``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["RoutingSettings"]


class RoutingSettings(BaseSettings):
    """Which engine answers routes and matrices, and how estimates are made."""

    model_config = SettingsConfigDict(env_prefix="GONGWU_", extra="ignore")

    routing_engine: Literal["graph", "osrm", "valhalla"] = Field(
        "graph",
        description="`graph`: the embedded road graph of the imported extract (offline). `osrm` / `valhalla`: "
        "an engine server over HTTP (its URL below). The base map always comes from the imported extract.",
    )
    osrm_url: str | None = Field(None, description="Base URL of an OSRM server, e.g. `http://osrm:5000`.")
    osrm_profile: str = Field("driving", description="OSRM profile name in request paths.")
    valhalla_url: str | None = Field(None, description="Base URL of a Valhalla server, e.g. `http://valhalla:8002`.")
    valhalla_costing: str = Field("auto", description="Valhalla costing model.")
    routing_timeout_s: float = Field(10.0, gt=0, description="HTTP timeout for OSRM/Valhalla requests.")
    routing_detour_factor: float = Field(
        1.4, ge=1.0, description="Road distance ÷ straight-line distance assumed for points off the road graph."
    )
    routing_offgraph_speed_kmh: float = Field(
        25.0, gt=0, description="Average speed assumed for straight-line estimates."
    )
    routing_max_snap_m: float = Field(
        300.0, gt=0, description="A point farther than this from any road is treated as off the graph."
    )
    routing_default_speeds_kmh: dict[str, float] = Field(
        default_factory=dict,
        description='Default speed per road class where no limit is posted, as JSON: `{"residential": 20}`.',
    )
    routing_learned_speeds: bool = Field(
        True, description="Use speeds learned from the fleet's trips (DATA_DIR/map/speeds.json) when present."
    )
    routing_cache_mb: float = Field(128.0, gt=0, description="Memory bound of the travel-time cache.")
    routing_tile_maxzoom: int = Field(
        16, ge=12, le=18, description="Deepest zoom of the base-map tiles built at import (deeper is overzoomed)."
    )

    @model_validator(mode="after")
    def _engine_needs_its_url(self) -> RoutingSettings:
        if self.routing_engine == "osrm" and not self.osrm_url:
            raise ValueError("GONGWU_ROUTING_ENGINE=osrm needs GONGWU_OSRM_URL")
        if self.routing_engine == "valhalla" and not self.valhalla_url:
            raise ValueError("GONGWU_ROUTING_ENGINE=valhalla needs GONGWU_VALHALLA_URL")
        return self
