"""Cheap construction of frozen, slotted dataclasses on the hot decode path.

A frozen dataclass's generated ``__init__`` sets every field through ``object.__setattr__`` — about five
times slower than a plain slot store, which dominates decoding a 0x0200 frame. :func:`builder` returns a
function with the same positional parameters that fills the slots of an instance of a private class with the
identical slot layout and then switches the instance to the real class. The result is indistinguishable
from ``cls(*args)`` (same type, equality, hash, immutability); it skips nothing but the slow stores, so it
is only for classes whose ``__init__`` does no validation and has no ``__post_init__``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def builder(cls: type[T]) -> Callable[..., T]:
    if not dataclasses.is_dataclass(cls) or hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} is not a plain dataclass")
    names = [f.name for f in dataclasses.fields(cls)]
    slots = tuple(getattr(cls, "__slots__", ()))
    if tuple(names) != slots or cls.__bases__ != (object,):
        raise TypeError(f"{cls.__name__} must be a slots dataclass deriving from object")
    twin = type(f"_{cls.__name__}Slots", (object,), {"__slots__": slots})
    params = ", ".join(names)
    stores = "".join(f"    self.{n} = {n}\n" for n in names)
    source = f"def build({params}):\n    self = _new(_twin)\n{stores}    self.__class__ = _cls\n    return self\n"
    namespace: dict[str, Any] = {"_new": object.__new__, "_twin": twin, "_cls": cls}
    exec(source, namespace)
    build: Callable[..., T] = namespace["build"]
    build.__qualname__ = f"builder({cls.__name__})"
    return build
