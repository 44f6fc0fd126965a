"""The standard platform answer to a terminal message, kept apart from decoding.

The pipeline calls :func:`reply` only once the message is stored (an ack means "durable"). The outgoing
serial number belongs to the session and is an argument, as is the auth code handed out on registration.
For batched acking, :func:`ack_key` takes what a 0x8001 needs from a message so the message itself can be
dropped, and :func:`general_response` builds the frame later.
"""

from __future__ import annotations

from dataclasses import dataclass

from gongwu.devices.errors import EncodeError
from gongwu.devices.jt808.body import Body, Fragment
from gongwu.devices.jt808.codec import Jt808Message, encode
from gongwu.devices.jt808.downlink import (
    MultimediaUploadResponse,
    PlatformResponse,
    RegisterResponse,
    ResponseResult,
)
from gongwu.devices.jt808.header import Edition, Header
from gongwu.devices.jt808.uplink import MultimediaUpload, TerminalRegister

NO_ACK = frozenset({0x0001, 0x0104, 0x0107, 0x0201, 0x0500, 0x0700, 0x0805})
"""Terminal messages that answer a platform request and get no ack of their own."""


@dataclass(frozen=True, slots=True)
class AckKey:
    """What a 0x8001 for one terminal message needs: whom to address and which message it answers."""

    phone: str
    edition: Edition
    protocol_version: int
    serial: int
    msg_id: int


def ack_key(msg: Jt808Message) -> AckKey:
    h = msg.header
    return AckKey(h.phone, h.edition, h.protocol_version, h.serial, h.msg_id)


def _frame(key: AckKey, body: Body, serial: int) -> bytes:
    header = Header(
        msg_id=body.MSG_ID,
        phone=key.phone,
        serial=serial,
        edition=key.edition,
        protocol_version=key.protocol_version,
    )
    return encode(Jt808Message(header, body))


def general_response(key: AckKey, *, serial: int, result: int = ResponseResult.OK) -> bytes:
    """0x8001 平台通用应答 for the message ``key`` names, sent with our ``serial``."""
    return _frame(key, PlatformResponse(key.serial, key.msg_id, result), serial)


def reply(
    msg: Jt808Message,
    *,
    serial: int,
    auth_code: str | None = None,
    result: int = 0,
) -> bytes | None:
    """The frame the standard says answers ``msg``, or ``None`` when it needs no answer.

    0x0100 → 0x8100 with ``auth_code`` (required when ``result`` is 0); a whole 0x0801 → 0x8800;
    platform-bound answers (0x0001, 0x0104, 0x0201…) and platform messages → ``None``; every other
    terminal message, sub-packages included, → 0x8001 with ``result``.
    """
    key = ack_key(msg)
    if key.msg_id >= 0x8000 or key.msg_id in NO_ACK:
        return None
    if isinstance(msg.body, Fragment):
        return None if key.msg_id == MultimediaUpload.MSG_ID else general_response(key, serial=serial, result=result)
    if isinstance(msg.body, TerminalRegister):
        if result == 0 and not auth_code:
            raise EncodeError("a successful 0x8100 needs the auth code")
        code = (auth_code or "") if result == 0 else ""
        return _frame(key, RegisterResponse(key.serial, result, code), serial)
    if isinstance(msg.body, MultimediaUpload):
        return _frame(key, MultimediaUploadResponse(msg.body.media_id), serial)
    return general_response(key, serial=serial, result=result)
