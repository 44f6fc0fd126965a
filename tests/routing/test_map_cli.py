"""`gongwu map import` / `info` through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from gongwu.app.map_cli import app

runner = CliRunner()


def test_import_and_info(tmp_path: Path, helsinki_pbf: Path) -> None:
    result = runner.invoke(app, ["import", str(helsinki_pbf), "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Imported Helsinki.osm.pbf" in result.output
    assert "Cropped extract" in result.output
    assert (tmp_path / "map" / "graph.npz").is_file() and (tmp_path / "map" / "tiles.mbtiles").is_file()
    info = runner.invoke(app, ["info", "--data-dir", str(tmp_path)])
    assert info.exit_code == 0 and json.loads(info.output)["source"] == "Helsinki.osm.pbf"


def test_quiet_import_prints_json(tmp_path: Path, helsinki_pbf: Path) -> None:
    result = runner.invoke(app, ["import", str(helsinki_pbf), "--data-dir", str(tmp_path), "-q"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["roads"] > 500


def test_bad_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "x.osm.pbf"
    bad.write_text("hello")
    result = runner.invoke(app, ["import", str(bad), "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "not an OpenStreetMap" in result.output
    missing = runner.invoke(app, ["info", "--data-dir", str(tmp_path)])
    assert missing.exit_code == 1


def test_import_demo_if_missing(tmp_path: Path) -> None:
    first = runner.invoke(app, ["import-demo", "--data-dir", str(tmp_path), "--if-missing"])
    assert first.exit_code == 0 and "Imported Helsinki.osm.pbf" in first.output
    again = runner.invoke(app, ["import-demo", "--data-dir", str(tmp_path), "--if-missing"])
    assert again.exit_code == 0 and "already imported" in again.output
