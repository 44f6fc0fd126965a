"""All settings of one process, composed from each package's own settings class."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic_settings import BaseSettings

from gongwu.core.settings import CoreSettings
from gongwu.dispatch.charging.settings import ChargingSettings
from gongwu.dispatch.costs.settings import CostsSettings
from gongwu.dispatch.driving.settings import DrivingSettings
from gongwu.dispatch.pooling.settings import PoolingSettings
from gongwu.dispatch.settings import DispatchSettings
from gongwu.dispatch.supervision.settings import SupervisionSettings
from gongwu.routing.settings import RoutingSettings
from gongwu.telematics.settings import TelematicsSettings

__all__ = ["SETTINGS_CLASSES", "Settings", "load_settings", "settings_markdown"]


@dataclass(frozen=True)
class Settings:
    core: CoreSettings = field(default_factory=CoreSettings)
    telematics: TelematicsSettings = field(default_factory=TelematicsSettings)
    routing: RoutingSettings = field(default_factory=RoutingSettings)
    dispatch: DispatchSettings = field(default_factory=DispatchSettings)
    charging: ChargingSettings = field(default_factory=ChargingSettings)
    pooling: PoolingSettings = field(default_factory=PoolingSettings)
    driving: DrivingSettings = field(default_factory=DrivingSettings)
    costs: CostsSettings = field(default_factory=CostsSettings)
    supervision: SupervisionSettings = field(default_factory=SupervisionSettings)


SETTINGS_CLASSES: list[type[BaseSettings]] = [
    CoreSettings,
    TelematicsSettings,
    RoutingSettings,
    ChargingSettings,
    DispatchSettings,
    PoolingSettings,
    DrivingSettings,
    CostsSettings,
    SupervisionSettings,
]
"""Every package's settings class; `gongwu settings` and docs/settings.md list their fields."""


def settings_markdown() -> str:
    """A markdown table of every setting: variable, default, meaning (docs/settings.md is this text)."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for cls in SETTINGS_CLASSES:
        prefix = str(cls.model_config.get("env_prefix", ""))
        for name, info in cls.model_fields.items():
            default = info.get_default(call_default_factory=True)
            shown = "(secret)" if "secret" in name else ("—" if default is None else f"`{default}`")
            lines.append(f"| `{prefix}{name.upper()}` | {shown} | {info.description or ''} |")
    return "\n".join(lines) + "\n"


def load_settings(**core_overrides: object) -> Settings:
    """Read the environment (prefix ``GONGWU_``); keyword arguments override core settings."""
    return Settings(
        core=CoreSettings(**core_overrides),  # type: ignore[arg-type]
        telematics=TelematicsSettings(),
        routing=RoutingSettings(),
        charging=ChargingSettings(),
        dispatch=DispatchSettings(),
        pooling=PoolingSettings(),
        driving=DrivingSettings(),
        costs=CostsSettings(),
        supervision=SupervisionSettings(),
    )
