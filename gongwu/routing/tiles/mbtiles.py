"""MBTiles 1.3 (SQLite) writing and reading.

MBTiles is what Debian's tilemaker writes too, so either builder's output is served the same way. The browser
never sees the container: the app serves ``/map/tiles/{z}/{x}/{y}.pbf`` out of it (a PMTiles file's point —
range requests against static hosting — buys nothing on one offline server).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["MBTilesWriter", "TileStore"]


class MBTilesWriter:
    """Write tiles (XYZ scheme in, TMS rows stored as the spec says) and metadata to a new file."""

    def __init__(self, path: Path) -> None:
        path.unlink(missing_ok=True)
        self._db = sqlite3.connect(path)
        self._db.executescript(
            """
            CREATE TABLE metadata (name TEXT, value TEXT);
            CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
            """
        )

    def put_many(self, tiles: Iterable[tuple[int, int, int, bytes]]) -> None:
        self._db.executemany(
            "INSERT INTO tiles VALUES (?, ?, ?, ?)",
            ((z, x, (1 << z) - 1 - y, data) for z, x, y, data in tiles),
        )

    def close(self, metadata: Mapping[str, Any]) -> None:
        rows = [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in metadata.items()]
        self._db.executemany("INSERT INTO metadata VALUES (?, ?)", rows)
        self._db.execute("CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)")
        self._db.commit()
        self._db.close()


class TileStore:
    """Read-only access to an .mbtiles file, safe to share between threads."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise FileNotFoundError(path)
        self.path = path
        self._db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock:
            self.metadata: dict[str, str] = dict(self._db.execute("SELECT name, value FROM metadata").fetchall())

    def get(self, z: int, x: int, y: int) -> bytes | None:
        """The stored tile (gzip-compressed MVT) at XYZ coordinates, or None."""
        if z < 0 or z > 30 or not (0 <= x < (1 << z)) or not (0 <= y < (1 << z)):
            return None
        with self._lock:
            row = self._db.execute(
                "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                (z, x, (1 << z) - 1 - y),
            ).fetchone()
        return None if row is None else bytes(row[0])

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM tiles").fetchone()[0])

    def close(self) -> None:
        self._db.close()
