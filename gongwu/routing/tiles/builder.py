"""Cut the base-map features into vector tiles, zoom by zoom, and write them to an MBTiles file.

Per zoom: features below their min zoom are dropped, the rest simplified to a tile unit (1/4096 of a tile),
areas smaller than a few units dropped; then per tile the candidates come from an STR-tree, are clipped to the
tile plus a 64-unit buffer (so strokes meet across tile edges), moved to tile coordinates and encoded.
Everything heavy is vectorised shapely; a small city takes seconds.
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

from gongwu.routing.tiles.features import LAYERS, MapFeatures, bounds
from gongwu.routing.tiles.mbtiles import MBTilesWriter
from gongwu.routing.tiles.mvt import EXTENT, LINESTRING, POINT, POLYGON, Feature, Layer, encode_tile

__all__ = ["TileBuildReport", "build_tiles", "lonlat_to_tile"]

_HALF = 20_037_508.342789244  # half the Web Mercator world width, metres
_BUFFER = 64


@dataclass(frozen=True, slots=True)
class TileBuildReport:
    tiles: int
    bytes: int
    minzoom: int
    maxzoom: int
    bounds: tuple[float, float, float, float]


def lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The XYZ tile holding a point at zoom ``z``."""
    n = 1 << z
    lat = max(min(lat, 85.0511), -85.0511)
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def _mercator(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    lon, lat = coords[:, 0], np.clip(coords[:, 1], -85.0511, 85.0511)
    x = lon * _HALF / 180.0
    y = np.log(np.tan((90.0 + lat) * np.pi / 360.0)) * _HALF / np.pi
    return np.column_stack([x, y])


@dataclass
class _ZoomLayer:
    geoms: npt.NDArray[np.object_]
    props: list[dict[str, Any]]
    tree: shapely.STRtree


def build_tiles(
    features: MapFeatures,
    out: Path,
    minzoom: int = 10,
    maxzoom: int = 16,
    on_progress: Callable[[int, int], None] | None = None,
    name: str = "Gongwu base map",
) -> TileBuildReport:
    """Write every tile of the features' extent from ``minzoom`` to ``maxzoom`` into ``out`` (.mbtiles)."""
    box = bounds(features)
    if box is None:
        raise ValueError("no features to tile")
    merc = {layer: _to_mercator(features.geoms[layer]) for layer in LAYERS}
    ranges = {z: _tile_range(box, z) for z in range(minzoom, maxzoom + 1)}
    total = sum((x1 - x0 + 1) * (y1 - y0 + 1) for x0, y0, x1, y1 in ranges.values())
    writer = MBTilesWriter(out)
    done = 0
    size = 0
    written = 0
    try:
        for z in range(minzoom, maxzoom + 1):
            layers = _zoom_layers(features, merc, z)
            batch: list[tuple[int, int, int, bytes]] = []
            for x, y in _tiles(ranges[z]):
                data = _tile(layers, z, x, y)
                done += 1
                if data is not None:
                    blob = gzip.compress(data, compresslevel=6, mtime=0)
                    batch.append((z, x, y, blob))
                    size += len(blob)
                if on_progress is not None and done % 20 == 0:
                    on_progress(done, total)
            writer.put_many(batch)
            written += len(batch)
    except BaseException:
        writer.close({})
        out.unlink(missing_ok=True)
        raise
    center_lon, center_lat = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    writer.close(
        {
            "name": name,
            "format": "pbf",
            "type": "baselayer",
            "version": "1",
            "minzoom": str(minzoom),
            "maxzoom": str(maxzoom),
            "bounds": ",".join(f"{v:.6f}" for v in box),
            "center": f"{center_lon:.6f},{center_lat:.6f},{min(maxzoom, 14)}",
            "json": {"vector_layers": [{"id": layer, "fields": {}} for layer in LAYERS]},
        }
    )
    if on_progress is not None:
        on_progress(total, total)
    return TileBuildReport(written, size, minzoom, maxzoom, box)


def _to_mercator(geoms: list[shapely.Geometry]) -> npt.NDArray[np.object_]:
    arr = np.array(geoms, dtype=object)
    if arr.size == 0:
        return arr
    return np.asarray(shapely.transform(arr, _mercator), dtype=object)


def _tile_range(box: tuple[float, float, float, float], z: int) -> tuple[int, int, int, int]:
    x0, y0 = lonlat_to_tile(box[0], box[3], z)
    x1, y1 = lonlat_to_tile(box[2], box[1], z)
    return x0, y0, x1, y1


def _tiles(r: tuple[int, int, int, int]) -> Iterator[tuple[int, int]]:
    x0, y0, x1, y1 = r
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            yield x, y


def _zoom_layers(features: MapFeatures, merc: dict[str, npt.NDArray[np.object_]], z: int) -> dict[str, _ZoomLayer]:
    unit = 2 * _HALF / (1 << z) / EXTENT
    out: dict[str, _ZoomLayer] = {}
    for layer in LAYERS:
        geoms = merc[layer]
        if geoms.size == 0:
            continue
        keep = np.array(features.minzoom[layer]) <= z
        if not keep.any():
            continue
        idx = np.flatnonzero(keep)
        g = geoms[idx]
        if layer != "place":
            g = shapely.simplify(g, unit, preserve_topology=(layer in ("water", "landcover", "landuse")))
        if layer in ("water", "landcover", "landuse", "building"):
            big = shapely.area(g) >= (3 * unit) ** 2
            idx, g = idx[big], g[big]
        nonempty = ~shapely.is_empty(g)
        idx, g = idx[nonempty], g[nonempty]
        if g.size == 0:
            continue
        props = [features.props[layer][i] for i in idx]
        out[layer] = _ZoomLayer(np.asarray(g, dtype=object), props, shapely.STRtree(g))
    return out


def _tile(layers: dict[str, _ZoomLayer], z: int, x: int, y: int) -> bytes | None:
    size = 2 * _HALF / (1 << z)
    minx = -_HALF + x * size
    maxy = _HALF - y * size
    buf = size * _BUFFER / EXTENT
    rect = (minx - buf, maxy - size - buf, minx + size + buf, maxy + buf)
    scale = EXTENT / size
    encoded: list[Layer] = []
    for name, zl in layers.items():
        hits = zl.tree.query(shapely.box(*rect))
        if hits.size == 0:
            continue
        hits.sort()
        clipped = shapely.clip_by_rect(zl.geoms[hits], *rect) if name != "place" else zl.geoms[hits]
        local = shapely.transform(clipped, lambda c: (c - [minx, maxy]) * [scale, -scale])
        layer = Layer(name)
        for geom, i in zip(local, hits, strict=True):
            feature = _feature(geom, zl.props[int(i)])
            if feature is not None:
                layer.features.append(feature)
        if layer.features:
            encoded.append(layer)
    if not encoded:
        return None
    data = encode_tile(encoded)
    return data or None


def _ints(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    return np.rint(coords).astype(np.int64)


def _feature(geom: shapely.Geometry, all_props: dict[str, Any]) -> Feature | None:
    if geom is None or geom.is_empty:
        return None
    props = {k: v for k, v in all_props.items() if v not in ("", None)}
    kind = shapely.get_type_id(geom)
    parts = shapely.get_parts(geom)
    if kind in (0, 4):  # Point, MultiPoint
        return Feature(POINT, [_ints(shapely.get_coordinates(p)) for p in parts], props)
    if kind in (1, 2, 5):  # LineString, LinearRing, MultiLineString
        lines = [_ints(shapely.get_coordinates(p)) for p in parts if shapely.get_type_id(p) in (1, 2)]
        return Feature(LINESTRING, lines, props) if lines else None
    if kind in (3, 6, 7):  # Polygon, MultiPolygon, GeometryCollection (keep its polygons)
        rings: list[npt.NDArray[np.int64]] = []
        counts: list[int] = []
        for poly in parts:
            if shapely.get_type_id(poly) != 3:
                continue
            poly_rings = [poly.exterior, *poly.interiors]
            rings.extend(_ints(shapely.get_coordinates(r)) for r in poly_rings)
            counts.append(len(poly_rings))
        return Feature(POLYGON, rings, props, counts) if rings else None
    return None
