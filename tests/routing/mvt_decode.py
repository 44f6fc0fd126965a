"""A minimal MVT decoder for the tests (independent of the encoder under test)."""

from __future__ import annotations

import struct
from typing import Any


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def _fields(buf: bytes) -> list[tuple[int, Any]]:
    out: list[tuple[int, Any]] = []
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        field, wire = key >> 3, key & 7
        v: int | bytes
        if wire == 0:
            v, i = _varint(buf, i)
        elif wire == 1:
            v = buf[i : i + 8]
            i += 8
        elif wire == 2:
            n, i = _varint(buf, i)
            v = buf[i : i + n]
            i += n
        elif wire == 5:
            v = buf[i : i + 4]
            i += 4
        else:
            raise ValueError(f"wire type {wire}")
        out.append((field, v))
    return out


def _packed(buf: bytes) -> list[int]:
    out, i = [], 0
    while i < len(buf):
        v, i = _varint(buf, i)
        out.append(v)
    return out


def _unzigzag(n: int) -> int:
    return (n >> 1) ^ -(n & 1)


def _value(buf: bytes) -> Any:
    ((field, v),) = _fields(buf)
    if field == 1:
        return v.decode()
    if field == 3:
        return struct.unpack("<d", v)[0]
    if field == 6:
        return _unzigzag(v)
    if field in (4, 5):
        return v
    if field == 7:
        return bool(v)
    raise ValueError(field)


def _geometry(cmds: list[int]) -> list[list[tuple[int, int]]]:
    parts: list[list[tuple[int, int]]] = []
    x = y = 0
    i = 0
    while i < len(cmds):
        cmd, count = cmds[i] & 7, cmds[i] >> 3
        i += 1
        if cmd == 7:
            parts[-1].append(parts[-1][0])
            continue
        for _ in range(count):
            x += _unzigzag(cmds[i])
            y += _unzigzag(cmds[i + 1])
            i += 2
            if cmd == 1:
                parts.append([(x, y)])
            else:
                parts[-1].append((x, y))
    return parts


def decode(tile: bytes) -> dict[str, list[dict[str, Any]]]:
    """{layer name: [{"type", "properties", "parts"}]}."""
    layers: dict[str, list[dict[str, Any]]] = {}
    for field, layer_buf in _fields(tile):
        assert field == 3
        fields = _fields(layer_buf)
        name = next(v.decode() for f, v in fields if f == 1)
        keys = [v.decode() for f, v in fields if f == 3]
        values = [_value(v) for f, v in fields if f == 4]
        assert next(v for f, v in fields if f == 15) == 2
        assert next(v for f, v in fields if f == 5) == 4096
        feats = []
        for f, fbuf in fields:
            if f != 2:
                continue
            ff = _fields(fbuf)
            tags = next((_packed(v) for k, v in ff if k == 2), [])
            gtype = next(v for k, v in ff if k == 3)
            geom = next(_packed(v) for k, v in ff if k == 4)
            props = {keys[tags[k]]: values[tags[k + 1]] for k in range(0, len(tags), 2)}
            feats.append({"type": gtype, "properties": props, "parts": _geometry(geom)})
        layers[name] = feats
    return layers
