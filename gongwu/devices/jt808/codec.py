"""Decode and encode whole JT/T 808 frames: framing → header → body, dispatching on the message id.

Strict by default: a bad check code, a body length that disagrees with the header, a bad escape or an
additional item that overruns its body raise :class:`~gongwu.devices.errors.Jt808DecodeError`.
``strict=False`` (tolerant mode) accepts a wrong check code and a wrong body length (the bytes present
are taken as the body), and keeps an overrunning item list as ``Location.trailing``; a dangling 0x7d is
dropped. Tolerant mode exists for replaying captured traffic, never as the gateway default.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from gongwu.devices._fast import builder
from gongwu.devices._wire import BEIJING, Reader
from gongwu.devices.errors import EncodeError, Jt808DecodeError
from gongwu.devices.jt808 import areas as _areas  # noqa: F401  (registers the area codecs)
from gongwu.devices.jt808 import downlink as _downlink  # noqa: F401
from gongwu.devices.jt808 import uplink as _uplink  # noqa: F401
from gongwu.devices.jt808.body import BODY_TYPES, DECODERS, ENCODERS, Body, Context, Fragment, UnknownBody
from gongwu.devices.jt808.framing import checksum, frame, unescape
from gongwu.devices.jt808.header import BODY_MAX, Edition, Header, SubPackage, build_header, parse_header
from gongwu.devices.jt808.location import decode_location
from gongwu.devices.jt808.uplink import LocationReport


@dataclass(frozen=True, slots=True)
class Jt808Message:
    """One decoded frame: its header and its typed body."""

    header: Header
    body: Body

    @property
    def msg_id(self) -> int:
        return self.header.msg_id

    @property
    def terminal_id(self) -> str:
        return self.header.terminal_id


_new_message = builder(Jt808Message)


def message(
    body: Body,
    *,
    phone: str,
    serial: int,
    edition: Edition = "2013",
    protocol_version: int = 1,
    msg_id: int | None = None,
) -> Jt808Message:
    """Build a message around a body (``msg_id`` only for :class:`UnknownBody`/:class:`Fragment`)."""
    if msg_id is None:
        if body.MSG_ID < 0:
            raise EncodeError(f"{type(body).__name__} needs an explicit msg_id")
        msg_id = body.MSG_ID
    header = Header(msg_id=msg_id, phone=phone, serial=serial, edition=edition, protocol_version=protocol_version)
    return Jt808Message(header, body)


def decode(frame_bytes: bytes, *, utc_offset: timedelta = BEIJING, strict: bool = True) -> Jt808Message:
    """Decode one wire frame (with or without its 0x7e flags, still escaped).

    ``utc_offset`` is the offset of the terminal's clock (Beijing unless the terminal is known to send UTC
    or local time abroad). Raises :class:`Jt808DecodeError` for anything malformed.
    """
    content = unescape(frame_bytes, strict=strict)
    if len(content) < 13:
        raise Jt808DecodeError(f"frame too short: {len(content)} bytes after un-escaping", frame_bytes, len(content))
    data = content[:-1]
    expected = checksum(data)
    if strict and content[-1] != expected:
        raise Jt808DecodeError(
            f"check code 0x{content[-1]:02x}, computed 0x{expected:02x}", frame_bytes, len(content) - 1
        )
    if strict:
        header, pos, _ = parse_header(data, frame_bytes)
    else:
        header, pos = _tolerant_header(data, frame_bytes)
    if header.msg_id == 0x0200 and header.subpackage is None and not header.encryption:
        # the hot path: skip the reader and context of the generic dispatch (same result)
        loc = decode_location(data, pos, len(data), utc_offset, frame_bytes, 0, strict)
        return _new_message(header, LocationReport(loc))
    reader = Reader(data, Jt808DecodeError, pos=pos, frame=frame_bytes)
    if header.subpackage is not None:
        return Jt808Message(header, Fragment(reader.rest()))
    if header.encryption:
        return Jt808Message(header, UnknownBody(reader.rest()))
    decoder = DECODERS.get(header.msg_id)
    if decoder is None:
        return Jt808Message(header, UnknownBody(reader.rest()))
    ctx = Context(header.edition, utc_offset, strict)
    return Jt808Message(header, decoder(reader, ctx))


def _tolerant_header(data: bytes, frame_bytes: bytes) -> tuple[Header, int]:
    try:
        header, pos, _ = parse_header(data, frame_bytes)
        return header, pos
    except Jt808DecodeError as exc:
        if "body length" not in exc.reason:
            raise
    # Rewrite the length field to the bytes present and parse again.
    attrs = int.from_bytes(data[2:4], "big")
    for head in (17, 12) if attrs & 0x4000 else (12,):
        size = head + (4 if attrs & 0x2000 else 0)
        fixed = (attrs & ~BODY_MAX) | max(0, min(len(data) - size, BODY_MAX))
        try:
            header, pos, _ = parse_header(data[:2] + fixed.to_bytes(2, "big") + data[4:], frame_bytes)
            return header, pos
        except Jt808DecodeError:
            continue
    raise Jt808DecodeError("header does not fit the frame", frame_bytes, 2)


def encode_body(msg: Jt808Message, *, utc_offset: timedelta = BEIJING) -> bytes:
    body = msg.body
    if isinstance(body, (UnknownBody, Fragment)):
        return body.data
    if msg.header.msg_id != body.MSG_ID:
        raise EncodeError(f"header msg_id 0x{msg.header.msg_id:04x} but body is 0x{body.MSG_ID:04x}")
    encoder = ENCODERS.get(type(body))
    if encoder is None:
        raise EncodeError(f"no encoder for {type(body).__name__}")
    return encoder(body, Context(msg.header.edition, utc_offset))


def encode(msg: Jt808Message, *, utc_offset: timedelta = BEIJING) -> bytes:
    """One wire frame (escaped, with check code and flags). Raises :class:`EncodeError`."""
    body = encode_body(msg, utc_offset=utc_offset)
    return frame(build_header(msg.header, len(body)) + body)


def encode_packets(msg: Jt808Message, *, utc_offset: timedelta = BEIJING, max_body: int = BODY_MAX) -> list[bytes]:
    """Frames for a message of any size: one frame, or sub-packages with consecutive serials."""
    body = encode_body(msg, utc_offset=utc_offset)
    if len(body) <= max_body:
        return [frame(build_header(msg.header, len(body)) + body)]
    chunks = [body[i : i + max_body] for i in range(0, len(body), max_body)]
    frames = []
    for index, chunk in enumerate(chunks, 1):
        header = replace(
            msg.header,
            serial=(msg.header.serial + index - 1) & 0xFFFF,
            subpackage=SubPackage(len(chunks), index),
        )
        frames.append(frame(build_header(header, len(chunk)) + chunk))
    return frames


def body_type(msg_id: int) -> type[Body] | None:
    """The body class decoded for a message id, if any."""
    return BODY_TYPES.get(msg_id)
