"""Messages ⇄ JSON-ready values, for the command line and anything that logs or replays frames.

:func:`to_jsonable` turns any decoded message (dataclasses, tuples, bytes, times, enums) into plain JSON
values: every dataclass becomes an object with a ``"type"`` key naming its class, bytes become hex,
datetimes ISO 8601 UTC with ``Z``. :func:`from_jsonable` builds a message back from such JSON, guided by
the dataclass field types (``"type"`` is needed only where a field admits several classes).
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from gongwu.devices.errors import EncodeError
from gongwu.devices.position import iso_utc


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {"type": type(value).__name__}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if isinstance(item, bytes) and _admits_text(type(value), f.name):
                out[f.name] = {"hex": item.hex()}  # bytes where text is also allowed
            else:
                out[f.name] = to_jsonable(item)
        return out
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex()
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list | frozenset | set):
        items = [to_jsonable(v) for v in value]
        return sorted(items) if isinstance(value, frozenset | set) else items
    if isinstance(value, Mapping):
        return {str(to_jsonable(k)): to_jsonable(v) for k, v in value.items()}
    return value


def _admits_text(cls: type[Any], name: str) -> bool:
    return str in typing.get_args(typing.get_type_hints(cls).get(name))


def _classes(module_names: tuple[str, ...]) -> dict[str, type[Any]]:
    import importlib

    found: dict[str, type[Any]] = {}
    for name in module_names:
        module = importlib.import_module(name)
        for attr in vars(module).values():
            if isinstance(attr, type) and dataclasses.is_dataclass(attr):
                found.setdefault(attr.__name__, attr)
    return found


_MODULES = (
    "gongwu.devices.jt808.uplink",
    "gongwu.devices.jt808.downlink",
    "gongwu.devices.jt808.areas",
    "gongwu.devices.jt808.location",
    "gongwu.devices.jt808.params",
    "gongwu.devices.jt808.body",
    "gongwu.devices.jt808.header",
    "gongwu.devices.jt808.codec",
    "gongwu.devices.gb32960.codec",
    "gongwu.devices.gb32960.messages",
    "gongwu.devices.gb32960.units",
    "gongwu.devices.nmea",
)


def class_by_name(name: str) -> type[Any]:
    cls = _classes(_MODULES).get(name)
    if cls is None:
        raise EncodeError(f"unknown type {name!r}")
    return cls


def from_jsonable(cls: Any, value: Any, where: str = "$") -> Any:
    """Build a value of type ``cls`` (a dataclass, or any annotation of one of its fields)."""
    origin = typing.get_origin(cls)
    if cls is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(cls)
        if value is None and type(None) in options:
            return None
        if isinstance(value, Mapping) and "type" in value:
            named = [o for o in options if getattr(o, "__name__", None) == value["type"]]
            target = named[0] if named else class_by_name(str(value["type"]))
            return from_jsonable(target, value, where)
        if isinstance(value, Mapping) and set(value) == {"hex"} and bytes in options:
            return from_jsonable(bytes, value["hex"], where)
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return from_jsonable(option, value, where)
            except (EncodeError, TypeError, ValueError) as exc:
                errors.append(str(exc))
        raise EncodeError(f"{where}: {value!r} fits none of {cls} ({'; '.join(errors)})")
    if origin is typing.Literal:
        if value not in typing.get_args(cls):
            raise EncodeError(f"{where}: {value!r} is not one of {typing.get_args(cls)}")
        return value
    if origin is tuple:
        args = typing.get_args(cls)
        if not isinstance(value, list | tuple):
            raise EncodeError(f"{where}: expected a list")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_jsonable(args[0], v, f"{where}[{i}]") for i, v in enumerate(value))
        return tuple(from_jsonable(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args, value, strict=True)))
    if isinstance(cls, type) and dataclasses.is_dataclass(cls):
        if not isinstance(value, Mapping):
            raise EncodeError(f"{where}: expected an object for {cls.__name__}")
        if "type" in value and value["type"] != cls.__name__:
            subclass = class_by_name(str(value["type"]))
            if not issubclass(subclass, cls):
                raise EncodeError(f"{where}: {value['type']} is not a {cls.__name__}")
            cls = subclass
        hints = typing.get_type_hints(cls)
        kwargs = {}
        for f in dataclasses.fields(cls):
            if f.name in value:
                kwargs[f.name] = from_jsonable(hints[f.name], value[f.name], f"{where}.{f.name}")
        unknown = set(value) - {f.name for f in dataclasses.fields(cls)} - {"type"}
        if unknown:
            raise EncodeError(f"{where}: unknown fields {sorted(unknown)} for {cls.__name__}")
        try:
            return cls(**kwargs)
        except TypeError as exc:
            raise EncodeError(f"{where}: {exc}") from None
    if cls is bool:
        if not isinstance(value, bool):
            raise EncodeError(f"{where}: expected true/false")
        return value
    if cls is int:
        if isinstance(value, str):
            try:
                return int(value, 0)
            except ValueError:
                raise EncodeError(f"{where}: {value!r} is not an integer") from None
        if isinstance(value, bool) or not isinstance(value, int):
            raise EncodeError(f"{where}: expected an integer")
        return value
    if cls is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise EncodeError(f"{where}: expected a number")
        return float(value)
    if cls is str:
        if not isinstance(value, str):
            raise EncodeError(f"{where}: expected a string")
        return value
    if cls is bytes:
        try:
            return bytes.fromhex(str(value))
        except ValueError:
            raise EncodeError(f"{where}: expected hex bytes") from None
    if cls is datetime:
        try:
            parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise EncodeError(f"{where}: {value!r} is not an ISO 8601 time") from None
        if parsed.tzinfo is None:
            raise EncodeError(f"{where}: give the time zone (…Z or +08:00)")
        return parsed.astimezone(UTC)
    if isinstance(cls, type) and issubclass(cls, enum.Enum):
        return cls(value)
    raise EncodeError(f"{where}: cannot build {cls!r}")
