"""A small Mapbox Vector Tile (MVT 2.1) encoder: layers of features with integer tile coordinates → bytes.

Written here (about a hundred lines of protobuf varints and geometry commands) rather than pulled in as a
dependency: the wire format is tiny and fixed, and the builder hands it already clipped, quantised geometry.
Polygon rings are re-oriented as the spec requires (exterior rings positive area in tile coordinates, y down).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = ["EXTENT", "LINESTRING", "POINT", "POLYGON", "Feature", "Layer", "encode_tile"]

EXTENT = 4096
POINT, LINESTRING, POLYGON = 1, 2, 3

Value = str | int | float | bool
Coords = npt.NDArray[np.int64]  # (n, 2) integer tile coordinates


@dataclass(slots=True)
class Feature:
    """One feature: ``parts`` are points (each (1, 2)), lines, or polygons' rings (first ring exterior)."""

    geom_type: int
    parts: list[Coords]
    properties: Mapping[str, Value] = field(default_factory=dict)
    # For polygons: how many rings each polygon of a multipolygon has (None: one polygon with all rings).
    ring_counts: list[int] | None = None


@dataclass(slots=True)
class Layer:
    name: str
    features: list[Feature] = field(default_factory=list)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(field_no: int, wire: int) -> bytes:
    return _varint((field_no << 3) | wire)


def _bytes_field(field_no: int, payload: bytes) -> bytes:
    return _key(field_no, 2) + _varint(len(payload)) + payload


def _packed(field_no: int, values: Sequence[int]) -> bytes:
    return _bytes_field(field_no, b"".join(_varint(v) for v in values))


def _zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 63)


def _encode_value(v: Value) -> bytes:
    if isinstance(v, bool):
        return _key(7, 0) + _varint(int(v))
    if isinstance(v, int):
        return _key(6, 0) + _varint(_zigzag(v) & 0xFFFFFFFFFFFFFFFF)
    if isinstance(v, float):
        return _key(3, 1) + struct.pack("<d", v)
    return _bytes_field(1, v.encode("utf-8"))


def _signed_area2(ring: Coords) -> int:
    x, y = ring[:, 0], ring[:, 1]
    return int(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def _clean(coords: Coords, closed: bool) -> Coords:
    keep = np.ones(len(coords), dtype=bool)
    keep[1:] = np.any(coords[1:] != coords[:-1], axis=1)
    c = coords[keep]
    if closed and len(c) > 1 and (c[0] == c[-1]).all():
        c = c[:-1]
    return c


def _geometry(feature: Feature) -> list[int]:
    cmds: list[int] = []
    cx = cy = 0

    def moves(points: Coords, first_cmd: int) -> None:
        nonlocal cx, cy
        cmds.append(first_cmd | (1 << 3))
        x, y = int(points[0, 0]), int(points[0, 1])
        cmds.extend((_zigzag(x - cx), _zigzag(y - cy)))
        cx, cy = x, y
        if len(points) > 1:
            cmds.append(2 | ((len(points) - 1) << 3))
            for px, py in points[1:].tolist():
                cmds.extend((_zigzag(px - cx), _zigzag(py - cy)))
                cx, cy = px, py

    if feature.geom_type == POINT:
        pts = np.vstack(feature.parts)
        cmds.append(1 | (len(pts) << 3))
        for px, py in pts.tolist():
            cmds.extend((_zigzag(px - cx), _zigzag(py - cy)))
            cx, cy = px, py
        return cmds
    if feature.geom_type == LINESTRING:
        for part in feature.parts:
            line = _clean(part, closed=False)
            if len(line) >= 2:
                moves(line, 1)
        return cmds
    counts = feature.ring_counts or [len(feature.parts)]
    i = 0
    for count in counts:
        for j, ring in enumerate(feature.parts[i : i + count]):
            r = _clean(ring, closed=True)
            if len(r) < 3:
                if j == 0:
                    break  # exterior collapsed: drop the whole polygon
                continue
            area = _signed_area2(r)
            if area == 0:
                if j == 0:
                    break
                continue
            if (area > 0) != (j == 0):
                r = r[::-1]
            moves(r, 1)
            cmds.append(7 | (1 << 3))
        i += count
    return cmds


def encode_tile(layers: Sequence[Layer]) -> bytes:
    """The protobuf bytes of a tile (uncompressed). Features whose geometry vanished are left out."""
    out = bytearray()
    for layer in layers:
        keys: dict[str, int] = {}
        values: dict[tuple[type, Value], int] = {}
        feats = bytearray()
        for feature in layer.features:
            geom = _geometry(feature)
            if not geom:
                continue
            tags: list[int] = []
            for k, v in feature.properties.items():
                tags.append(keys.setdefault(k, len(keys)))
                tags.append(values.setdefault((type(v), v), len(values)))
            body = _packed(2, tags) if tags else b""
            body += _key(3, 0) + _varint(feature.geom_type) + _packed(4, geom)
            feats += _bytes_field(2, body)
        if not feats:
            continue
        body = _key(15, 0) + _varint(2) + _bytes_field(1, layer.name.encode("utf-8")) + bytes(feats)
        body += b"".join(_bytes_field(3, k.encode("utf-8")) for k in keys)
        body += b"".join(_bytes_field(4, _encode_value(v)) for (_, v) in values)
        body += _key(5, 0) + _varint(EXTENT)
        out += _bytes_field(3, body)
    return bytes(out)
