"""All settings of one process, composed from each package's own settings class."""

from __future__ import annotations

from dataclasses import dataclass, field

from gongwu.core.settings import CoreSettings

__all__ = ["Settings", "load_settings"]


@dataclass(frozen=True)
class Settings:
    core: CoreSettings = field(default_factory=CoreSettings)


def load_settings(**core_overrides: object) -> Settings:
    """Read the environment (prefix ``GONGWU_``); keyword arguments override core settings."""
    return Settings(core=CoreSettings(**core_overrides))  # type: ignore[arg-type]
