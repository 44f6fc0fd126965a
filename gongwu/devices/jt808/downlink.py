"""Platform → terminal messages of JT/T 808: acks and commands (areas are in :mod:`.areas`).

Each can be encoded (for the gateway and the command line) and decoded (for the simulator and tests).
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass
from typing import ClassVar

from gongwu.devices._wire import Reader, check_range, gbk
from gongwu.devices.errors import EncodeError
from gongwu.devices.jt808.body import Body, Context, register
from gongwu.devices.jt808.params import TerminalParameter, decode_params, encode_params


class ResponseResult(enum.IntEnum):
    """Result of 0x8001 平台通用应答."""

    OK = 0
    FAILED = 1
    WRONG_MESSAGE = 2
    NOT_SUPPORTED = 3
    ALARM_CONFIRMED = 4


class RegisterResult(enum.IntEnum):
    """Result of 0x8100 终端注册应答."""

    OK = 0
    VEHICLE_REGISTERED = 1
    NO_SUCH_VEHICLE = 2
    TERMINAL_REGISTERED = 3
    NO_SUCH_TERMINAL = 4


@dataclass(frozen=True, slots=True)
class PlatformResponse(Body):
    """0x8001 平台通用应答."""

    MSG_ID: ClassVar[int] = 0x8001
    reply_serial: int
    reply_msg_id: int
    result: int = ResponseResult.OK


def decode_platform_response(r: Reader, ctx: Context) -> PlatformResponse:
    body = PlatformResponse(r.u16("reply serial"), r.u16("reply id"), r.u8("result"))
    r.done("platform response")
    return body


def encode_platform_response(b: PlatformResponse, ctx: Context) -> bytes:
    if not 0 <= b.result <= 4:
        raise EncodeError(f"0x8001 result {b.result} is not 0–4")
    return struct.pack(
        ">HHB",
        check_range(b.reply_serial, 16, "reply_serial"),
        check_range(b.reply_msg_id, 16, "reply_msg_id"),
        b.result,
    )


@dataclass(frozen=True, slots=True)
class ResendRequest(Body):
    """0x8003 补传分包请求: the package numbers (1-based) still missing from a split message."""

    MSG_ID: ClassVar[int] = 0x8003
    original_serial: int
    package_ids: tuple[int, ...]


def decode_resend(r: Reader, ctx: Context) -> ResendRequest:
    serial = r.u16("original serial")
    count = r.u16("count") if ctx.edition == "2019" else r.u8("count")
    ids = tuple(r.u16("package id") for _ in range(count))
    r.done("re-send request")
    return ResendRequest(serial, ids)


def encode_resend(b: ResendRequest, ctx: Context) -> bytes:
    wide = ctx.edition == "2019"
    count = check_range(len(b.package_ids), 16 if wide else 8, "package count")
    out = struct.pack(">HH" if wide else ">HB", check_range(b.original_serial, 16, "original_serial"), count)
    return out + b"".join(struct.pack(">H", check_range(i, 16, "package id")) for i in b.package_ids)


@dataclass(frozen=True, slots=True)
class RegisterResponse(Body):
    """0x8100 终端注册应答: the auth code is present only when ``result`` is 0."""

    MSG_ID: ClassVar[int] = 0x8100
    reply_serial: int
    result: int
    auth_code: str = ""


def decode_register_response(r: Reader, ctx: Context) -> RegisterResponse:
    serial, result = r.u16("reply serial"), r.u8("result")
    return RegisterResponse(serial, result, r.rest_text("auth code"))


def encode_register_response(b: RegisterResponse, ctx: Context) -> bytes:
    if b.result != 0 and b.auth_code:
        raise EncodeError("0x8100 carries an auth code only with result 0")
    return struct.pack(
        ">HB", check_range(b.reply_serial, 16, "reply_serial"), check_range(b.result, 8, "result")
    ) + gbk(b.auth_code, "auth code")


@dataclass(frozen=True, slots=True)
class SetParameters(Body):
    """0x8103 设置终端参数."""

    MSG_ID: ClassVar[int] = 0x8103
    params: tuple[TerminalParameter, ...]


def decode_set_params(r: Reader, ctx: Context) -> SetParameters:
    return SetParameters(decode_params(r))


def encode_set_params(b: SetParameters, ctx: Context) -> bytes:
    return encode_params(b.params)


@dataclass(frozen=True, slots=True)
class QueryParameters(Body):
    """0x8104 查询终端参数 (empty body; answered with 0x0104)."""

    MSG_ID: ClassVar[int] = 0x8104


@dataclass(frozen=True, slots=True)
class QueryLocation(Body):
    """0x8201 位置信息查询 (empty body; answered with 0x0201)."""

    MSG_ID: ClassVar[int] = 0x8201


def _register_empty(cls: type[QueryParameters] | type[QueryLocation]) -> None:
    def decode(r: Reader, ctx: Context) -> Body:
        r.done(f"0x{cls.MSG_ID:04x} (empty body)")
        return cls()

    def encode(b: Body, ctx: Context) -> bytes:
        return b""

    register(cls, decode, encode)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class TerminalControl(Body):
    """0x8105 终端控制: command word (1 upgrade, 2 connect server, 3 power off, 4 reset, …) + params."""

    MSG_ID: ClassVar[int] = 0x8105
    command: int
    params: str = ""


def decode_control(r: Reader, ctx: Context) -> TerminalControl:
    return TerminalControl(r.u8("command"), r.rest_text("parameters"))


def encode_control(b: TerminalControl, ctx: Context) -> bytes:
    return bytes((check_range(b.command, 8, "command"),)) + gbk(b.params, "parameters")


@dataclass(frozen=True, slots=True)
class TemporaryTracking(Body):
    """0x8202 临时位置跟踪控制: report every ``interval_s`` for ``duration_s`` (interval 0 stops)."""

    MSG_ID: ClassVar[int] = 0x8202
    interval_s: int
    duration_s: int


def decode_tracking(r: Reader, ctx: Context) -> TemporaryTracking:
    body = TemporaryTracking(r.u16("interval"), r.u32("duration"))
    r.done("temporary tracking")
    return body


def encode_tracking(b: TemporaryTracking, ctx: Context) -> bytes:
    return struct.pack(">HI", check_range(b.interval_s, 16, "interval_s"), check_range(b.duration_s, 32, "duration_s"))


@dataclass(frozen=True, slots=True)
class ConfirmAlarm(Body):
    """0x8203 人工确认报警消息: the alarm serial (0 = all) and the alarm bits confirmed."""

    MSG_ID: ClassVar[int] = 0x8203
    alarm_serial: int
    alarm_bits: int


def decode_confirm_alarm(r: Reader, ctx: Context) -> ConfirmAlarm:
    body = ConfirmAlarm(r.u16("alarm serial"), r.u32("alarm type"))
    r.done("alarm confirmation")
    return body


def encode_confirm_alarm(b: ConfirmAlarm, ctx: Context) -> bytes:
    return struct.pack(
        ">HI", check_range(b.alarm_serial, 16, "alarm_serial"), check_range(b.alarm_bits, 32, "alarm_bits")
    )


@dataclass(frozen=True, slots=True)
class TextMessage(Body):
    """0x8300 文本信息下发. ``flags``: bit0 emergency, bit2 display, bit3 TTS (2013 also bit4 ad screen);
    ``text_type`` (2019 only): 1 notice, 2 service."""

    MSG_ID: ClassVar[int] = 0x8300
    flags: int
    text: str
    text_type: int | None = None


def decode_text(r: Reader, ctx: Context) -> TextMessage:
    flags = r.u8("flags")
    text_type = r.u8("text type") if ctx.edition == "2019" else None
    return TextMessage(flags, r.rest_text("text"), text_type)


def encode_text(b: TextMessage, ctx: Context) -> bytes:
    out = bytes((check_range(b.flags, 8, "flags"),))
    if ctx.edition == "2019":
        out += bytes((check_range(1 if b.text_type is None else b.text_type, 8, "text_type"),))
    elif b.text_type is not None:
        raise EncodeError("text_type exists only in 2019")
    return out + gbk(b.text, "text")


@dataclass(frozen=True, slots=True)
class MultimediaUploadResponse(Body):
    """0x8800 多媒体数据上传应答: empty ``package_ids`` = everything received."""

    MSG_ID: ClassVar[int] = 0x8800
    media_id: int
    package_ids: tuple[int, ...] = ()


def decode_media_response(r: Reader, ctx: Context) -> MultimediaUploadResponse:
    media_id = r.u32("media id")
    ids: tuple[int, ...] = ()
    if r.remaining:
        count = r.u8("count")
        ids = tuple(r.u16("package id") for _ in range(count))
    r.done("multimedia response")
    return MultimediaUploadResponse(media_id, ids)


def encode_media_response(b: MultimediaUploadResponse, ctx: Context) -> bytes:
    out = struct.pack(">I", check_range(b.media_id, 32, "media_id"))
    if b.package_ids:
        out += bytes((check_range(len(b.package_ids), 8, "count"),))
        out += b"".join(struct.pack(">H", check_range(i, 16, "package id")) for i in b.package_ids)
    return out


register(PlatformResponse, decode_platform_response, encode_platform_response)
register(ResendRequest, decode_resend, encode_resend)
register(RegisterResponse, decode_register_response, encode_register_response)
register(SetParameters, decode_set_params, encode_set_params)
_register_empty(QueryParameters)
_register_empty(QueryLocation)
register(TerminalControl, decode_control, encode_control)
register(TemporaryTracking, decode_tracking, encode_tracking)
register(ConfirmAlarm, decode_confirm_alarm, encode_confirm_alarm)
register(TextMessage, decode_text, encode_text)
register(MultimediaUploadResponse, decode_media_response, encode_media_response)
