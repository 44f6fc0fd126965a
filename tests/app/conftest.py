"""Fixtures of the app tests: the demo bureau seeded once per run."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from gongwu.core.db import Database
from tests.conftest import _in_thread


@pytest.fixture(scope="session")
def demo_sqlite(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo bureau seeded once per run into an embedded database (copied by each test that uses it)."""
    from gongwu.app.demo import seed

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copy(sqlite_template, path)

    async def work() -> None:
        database = Database(f"sqlite+aiosqlite:///{path}")
        try:
            await seed(database)
        finally:
            await database.dispose()

    _in_thread(lambda: asyncio.run(work()))
    return path
