from __future__ import annotations

from pathlib import Path

import pytest

from tests.devices.vectors import vectors_dir as _vectors_dir


@pytest.fixture(scope="session")
def vectors_dir() -> Path:
    return _vectors_dir()
