"""Vector tiles of the base map: features read from the extract, cut into MVT tiles, stored as MBTiles."""

from gongwu.routing.tiles.builder import TileBuildReport, build_tiles, lonlat_to_tile
from gongwu.routing.tiles.features import LAYERS, MapFeatures, read_features
from gongwu.routing.tiles.mbtiles import MBTilesWriter, TileStore

__all__ = [
    "LAYERS",
    "MBTilesWriter",
    "MapFeatures",
    "TileBuildReport",
    "TileStore",
    "build_tiles",
    "lonlat_to_tile",
    "read_features",
]
