"""What every JT/T 808 body type shares: the base class, the decode/encode context and the registry.

Each message module registers ``decode_<message>`` / ``encode_<message>`` for its message ids with
:func:`register`; :mod:`gongwu.devices.jt808.codec` dispatches on the header's message id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar, TypeVar, cast

from gongwu.devices._wire import Reader
from gongwu.devices.jt808.header import Edition


@dataclass(frozen=True, slots=True)
class Body:
    """Base of all message bodies; ``MSG_ID`` is the message id the body type belongs to."""

    MSG_ID: ClassVar[int] = -1


@dataclass(frozen=True, slots=True)
class UnknownBody(Body):
    """A message id this codec does not decode (or a body that is encrypted): bytes as received."""

    data: bytes = b""


@dataclass(frozen=True, slots=True)
class Fragment(Body):
    """One sub-package of a split message; feed it to :class:`~gongwu.devices.jt808.Reassembler`."""

    data: bytes = b""


@dataclass(frozen=True, slots=True)
class Context:
    """What a body codec may know besides its bytes: the header edition, the terminal's clock offset."""

    edition: Edition
    utc_offset: timedelta
    strict: bool = True


BodyDecoder = Callable[[Reader, Context], Body]
BodyEncoder = Callable[[Body, Context], bytes]

DECODERS: dict[int, BodyDecoder] = {}
ENCODERS: dict[type[Body], BodyEncoder] = {}
BODY_TYPES: dict[int, type[Body]] = {}


B = TypeVar("B", bound=Body)


def register(cls: type[B], decoder: Callable[[Reader, Context], B], encoder: Callable[[B, Context], bytes]) -> None:
    """Declare the codec of one body type (its ``MSG_ID`` is the dispatch key)."""
    DECODERS[cls.MSG_ID] = decoder
    ENCODERS[cls] = cast(BodyEncoder, encoder)
    BODY_TYPES[cls.MSG_ID] = cls
