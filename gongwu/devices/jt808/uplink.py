"""Terminal → platform messages of JT/T 808 (2011/2013/2019): bodies and their codecs.

Text is GBK; fixed-width text fields drop NUL padding on decode and are NUL-padded on encode.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Literal

from gongwu.devices._wire import (
    Reader,
    bcd_bytes,
    bcd_time_bytes,
    check_range,
    fixed_gbk,
    gbk,
    parse_bcd_time,
)
from gongwu.devices.errors import EncodeError
from gongwu.devices.jt808.body import Body, Context, register
from gongwu.devices.jt808.location import Location, decode_location, encode_location
from gongwu.devices.jt808.params import TerminalParameter, decode_params, encode_params


def _time(r: Reader, what: str, ctx: Context) -> datetime | None:
    at = r.pos
    raw = r.take(6, what)
    try:
        return parse_bcd_time(raw, ctx.utc_offset)
    except ValueError as exc:
        r.fail(f"{what}: {exc}", at)


def _location(r: Reader, ctx: Context, end: int | None = None) -> Location:
    stop = r.end if end is None else end
    loc = decode_location(r.data, r.pos, stop, ctx.utc_offset, r.frame, r.base, ctx.strict)
    r.pos = stop
    return loc


def _short_text(text: str, what: str) -> bytes:
    raw = gbk(text, what)
    if len(raw) > 255:
        raise EncodeError(f"{what} is {len(raw)} bytes, at most 255")
    return bytes((len(raw),)) + raw


@dataclass(frozen=True, slots=True)
class TerminalResponse(Body):
    """0x0001 终端通用应答: result 0 ok, 1 failed, 2 wrong message, 3 not supported."""

    MSG_ID: ClassVar[int] = 0x0001
    reply_serial: int
    reply_msg_id: int
    result: int


def decode_terminal_response(r: Reader, ctx: Context) -> TerminalResponse:
    body = TerminalResponse(r.u16("reply serial"), r.u16("reply id"), r.u8("result"))
    r.done("terminal response")
    return body


def encode_terminal_response(b: TerminalResponse, ctx: Context) -> bytes:
    return struct.pack(
        ">HHB",
        check_range(b.reply_serial, 16, "reply_serial"),
        check_range(b.reply_msg_id, 16, "reply_msg_id"),
        check_range(b.result, 8, "result"),
    )


@dataclass(frozen=True, slots=True)
class Heartbeat(Body):
    """0x0002 终端心跳 (empty body)."""

    MSG_ID: ClassVar[int] = 0x0002


@dataclass(frozen=True, slots=True)
class TerminalLogout(Body):
    """0x0003 终端注销 (empty body)."""

    MSG_ID: ClassVar[int] = 0x0003


def _empty_decoder(cls: type[Heartbeat] | type[TerminalLogout]) -> None:
    def decode(r: Reader, ctx: Context) -> Body:
        r.done(f"0x{cls.MSG_ID:04x} (empty body)")
        return cls()

    def encode(b: Body, ctx: Context) -> bytes:
        return b""

    register(cls, decode, encode)  # type: ignore[arg-type]


RegisterLayout = Literal["2011", "2013", "2019"]
_REGISTER_WIDTHS: dict[str, tuple[int, int, int]] = {
    "2011": (5, 8, 7),
    "2013": (5, 20, 7),
    "2019": (11, 30, 30),
}


@dataclass(frozen=True, slots=True)
class TerminalRegister(Body):
    """0x0100 终端注册. ``layout`` says which edition's field widths the body uses."""

    MSG_ID: ClassVar[int] = 0x0100
    province: int
    city: int
    maker: str
    model: str
    terminal_model_id: str
    plate_color: int
    plate: str
    layout: RegisterLayout = "2013"


def decode_register(r: Reader, ctx: Context) -> TerminalRegister:
    layout: RegisterLayout = "2019" if ctx.edition == "2019" else "2013" if r.remaining >= 37 else "2011"
    maker_w, model_w, id_w = _REGISTER_WIDTHS[layout]
    return TerminalRegister(
        province=r.u16("province"),
        city=r.u16("city"),
        maker=r.text(maker_w, "maker id"),
        model=r.text(model_w, "terminal model"),
        terminal_model_id=r.text(id_w, "terminal id"),
        plate_color=r.u8("plate colour"),
        plate=r.rest_text("plate"),
        layout=layout,
    )


def encode_register(b: TerminalRegister, ctx: Context) -> bytes:
    if (b.layout == "2019") != (ctx.edition == "2019"):
        raise EncodeError(f"a {b.layout} register body needs a {'2019' if b.layout == '2019' else '2013'} header")
    maker_w, model_w, id_w = _REGISTER_WIDTHS[b.layout]
    return (
        struct.pack(">HH", check_range(b.province, 16, "province"), check_range(b.city, 16, "city"))
        + fixed_gbk(b.maker, maker_w, "maker id")
        + fixed_gbk(b.model, model_w, "terminal model")
        + fixed_gbk(b.terminal_model_id, id_w, "terminal id")
        + bytes((check_range(b.plate_color, 8, "plate colour"),))
        + gbk(b.plate, "plate")
    )


@dataclass(frozen=True, slots=True)
class TerminalAuth(Body):
    """0x0102 终端鉴权. 2019 adds the IMEI and the software version after a length-prefixed code."""

    MSG_ID: ClassVar[int] = 0x0102
    auth_code: str
    imei: str = ""
    software_version: str = ""


def decode_auth(r: Reader, ctx: Context) -> TerminalAuth:
    if ctx.edition != "2019":
        return TerminalAuth(r.rest_text("auth code"))
    n = r.u8("auth code length")
    body = TerminalAuth(r.text(n, "auth code"), r.text(15, "IMEI"), r.text(20, "software version"))
    r.done("authentication")
    return body


def encode_auth(b: TerminalAuth, ctx: Context) -> bytes:
    if ctx.edition != "2019":
        if b.imei or b.software_version:
            raise EncodeError("IMEI and software version exist only in 2019 authentication")
        return gbk(b.auth_code, "auth code")
    return (
        _short_text(b.auth_code, "auth code")
        + fixed_gbk(b.imei, 15, "IMEI")
        + fixed_gbk(b.software_version, 20, "software version")
    )


@dataclass(frozen=True, slots=True)
class ParameterQueryResponse(Body):
    """0x0104 查询终端参数应答."""

    MSG_ID: ClassVar[int] = 0x0104
    reply_serial: int
    params: tuple[TerminalParameter, ...]


def decode_param_response(r: Reader, ctx: Context) -> ParameterQueryResponse:
    serial = r.u16("reply serial")
    return ParameterQueryResponse(serial, decode_params(r))


def encode_param_response(b: ParameterQueryResponse, ctx: Context) -> bytes:
    return struct.pack(">H", check_range(b.reply_serial, 16, "reply_serial")) + encode_params(b.params)


@dataclass(frozen=True, slots=True)
class TerminalAttributes(Body):
    """0x0107 查询终端属性应答 (model and id are 20/7 bytes in 2013, 30/30 in 2019)."""

    MSG_ID: ClassVar[int] = 0x0107
    terminal_type: int
    maker: str
    model: str
    terminal_model_id: str
    iccid: str
    hardware_version: str
    firmware_version: str
    gnss_modules: int
    comm_modules: int


def decode_attributes(r: Reader, ctx: Context) -> TerminalAttributes:
    wide = ctx.edition == "2019"
    terminal_type = r.u16("terminal type")
    maker = r.text(5, "maker id")
    model = r.text(30 if wide else 20, "terminal model")
    model_id = r.text(30 if wide else 7, "terminal id")
    iccid = r.bcd(10, "ICCID")
    hw = r.text(r.u8("hardware version length"), "hardware version")
    fw = r.text(r.u8("firmware version length"), "firmware version")
    body = TerminalAttributes(terminal_type, maker, model, model_id, iccid, hw, fw, r.u8("GNSS"), r.u8("comm"))
    r.done("terminal attributes")
    return body


def encode_attributes(b: TerminalAttributes, ctx: Context) -> bytes:
    wide = ctx.edition == "2019"
    return (
        struct.pack(">H", check_range(b.terminal_type, 16, "terminal_type"))
        + fixed_gbk(b.maker, 5, "maker id")
        + fixed_gbk(b.model, 30 if wide else 20, "terminal model")
        + fixed_gbk(b.terminal_model_id, 30 if wide else 7, "terminal id")
        + bcd_bytes(b.iccid, 10, "ICCID")
        + _short_text(b.hardware_version, "hardware version")
        + _short_text(b.firmware_version, "firmware version")
        + bytes((check_range(b.gnss_modules, 8, "gnss"), check_range(b.comm_modules, 8, "comm")))
    )


@dataclass(frozen=True, slots=True)
class LocationReport(Body):
    """0x0200 位置信息汇报."""

    MSG_ID: ClassVar[int] = 0x0200
    location: Location


def decode_location_report(r: Reader, ctx: Context) -> LocationReport:
    return LocationReport(_location(r, ctx))


def encode_location_report(b: LocationReport, ctx: Context) -> bytes:
    return encode_location(b.location, ctx.utc_offset)


@dataclass(frozen=True, slots=True)
class LocationQueryResponse(Body):
    """0x0201 位置信息查询应答 (answer to 0x8201)."""

    MSG_ID: ClassVar[int] = 0x0201
    reply_serial: int
    location: Location


def decode_location_response(r: Reader, ctx: Context) -> LocationQueryResponse:
    serial = r.u16("reply serial")
    return LocationQueryResponse(serial, _location(r, ctx))


def encode_location_response(b: LocationQueryResponse, ctx: Context) -> bytes:
    return struct.pack(">H", check_range(b.reply_serial, 16, "reply_serial")) + encode_location(
        b.location, ctx.utc_offset
    )


@dataclass(frozen=True, slots=True)
class DriverIdentity(Body):
    """0x0702 驾驶员身份信息采集上报 (2013/2019 layout; 2019 adds the ID-card number).

    ``state`` 1 = card inserted (the other fields follow when ``ic_result`` is 0), 2 = card removed.
    """

    MSG_ID: ClassVar[int] = 0x0702
    state: int
    time: datetime | None
    ic_result: int | None = None
    name: str = ""
    certificate: str = ""
    issuer: str = ""
    valid_until: str = ""
    """BCD ``YYYYMMDD`` as digits."""
    id_card: str = ""


def decode_driver(r: Reader, ctx: Context) -> DriverIdentity:
    state = r.u8("state")
    time = _time(r, "time", ctx)
    if state != 1 or r.remaining == 0:
        r.done("driver identity")
        return DriverIdentity(state, time)
    result = r.u8("IC result")
    if result != 0:
        r.done("driver identity")
        return DriverIdentity(state, time, result)
    name = r.text(r.u8("name length"), "name")
    cert = r.text(20, "certificate")
    issuer = r.text(r.u8("issuer length"), "issuer")
    valid = r.bcd(4, "validity")
    id_card = r.text(20, "ID card") if ctx.edition == "2019" else ""
    r.done("driver identity")
    return DriverIdentity(state, time, result, name, cert, issuer, valid, id_card)


def encode_driver(b: DriverIdentity, ctx: Context) -> bytes:
    out = bytes((check_range(b.state, 8, "state"),)) + bcd_time_bytes(b.time, ctx.utc_offset, "time")
    if b.ic_result is None:
        return out
    out += bytes((check_range(b.ic_result, 8, "ic_result"),))
    if b.ic_result != 0:
        return out
    out += _short_text(b.name, "name") + fixed_gbk(b.certificate, 20, "certificate")
    out += _short_text(b.issuer, "issuer") + bcd_bytes(b.valid_until, 4, "valid_until")
    if ctx.edition == "2019":
        out += fixed_gbk(b.id_card, 20, "ID card")
    elif b.id_card:
        raise EncodeError("the ID-card number exists only in 2019")
    return out


@dataclass(frozen=True, slots=True)
class BatchLocationUpload(Body):
    """0x0704 定位数据批量上传: ``kind`` 0 = normal batch, 1 = blind-area re-send (盲区补报)."""

    MSG_ID: ClassVar[int] = 0x0704
    kind: int
    locations: tuple[Location, ...]


def decode_batch(r: Reader, ctx: Context) -> BatchLocationUpload:
    count = r.u16("count")
    kind = r.u8("type")
    locations = []
    for i in range(count):
        n = r.u16(f"location {i + 1} length")
        r.need(n, f"location {i + 1}")
        locations.append(_location(r, ctx, r.pos + n))
    r.done("batch upload")
    return BatchLocationUpload(kind, tuple(locations))


def encode_batch(b: BatchLocationUpload, ctx: Context) -> bytes:
    out = [struct.pack(">HB", check_range(len(b.locations), 16, "count"), check_range(b.kind, 8, "kind"))]
    for loc in b.locations:
        raw = encode_location(loc, ctx.utc_offset)
        out.append(struct.pack(">H", len(raw)) + raw)
    return b"".join(out)


@dataclass(frozen=True, slots=True)
class MultimediaEvent(Body):
    """0x0800 多媒体事件信息上传. type 0 image/1 audio/2 video; event 0 platform, 1 timer, 2 robbery…"""

    MSG_ID: ClassVar[int] = 0x0800
    media_id: int
    media_type: int
    media_format: int
    event: int
    channel: int


def decode_media_event(r: Reader, ctx: Context) -> MultimediaEvent:
    body = MultimediaEvent(r.u32("media id"), r.u8("type"), r.u8("format"), r.u8("event"), r.u8("channel"))
    r.done("multimedia event")
    return body


def encode_media_event(b: MultimediaEvent, ctx: Context) -> bytes:
    return struct.pack(
        ">IBBBB",
        check_range(b.media_id, 32, "media_id"),
        check_range(b.media_type, 8, "media_type"),
        check_range(b.media_format, 8, "media_format"),
        check_range(b.event, 8, "event"),
        check_range(b.channel, 8, "channel"),
    )


@dataclass(frozen=True, slots=True)
class MultimediaUpload(Body):
    """0x0801 多媒体数据上传: header fields, the 28-byte location where it was taken, the data."""

    MSG_ID: ClassVar[int] = 0x0801
    media_id: int
    media_type: int
    media_format: int
    event: int
    channel: int
    location: Location
    data: bytes


def decode_media_upload(r: Reader, ctx: Context) -> MultimediaUpload:
    head = (r.u32("media id"), r.u8("type"), r.u8("format"), r.u8("event"), r.u8("channel"))
    r.need(28, "location")
    loc = _location(r, ctx, r.pos + 28)
    return MultimediaUpload(*head, loc, r.rest())


def encode_media_upload(b: MultimediaUpload, ctx: Context) -> bytes:
    if b.location.items or b.location.trailing:
        raise EncodeError("the location in 0x0801 has no additional items")
    head = encode_media_event(MultimediaEvent(b.media_id, b.media_type, b.media_format, b.event, b.channel), ctx)
    return head + encode_location(b.location, ctx.utc_offset) + b.data


@dataclass(frozen=True, slots=True)
class DataUplink(Body):
    """0x0900 数据上行透传: ``kind`` 0x00 GNSS detail, 0x0B IC card, 0x41/0x42 serial ports, 0xF0+ vendor."""

    MSG_ID: ClassVar[int] = 0x0900
    kind: int
    data: bytes


def decode_uplink(r: Reader, ctx: Context) -> DataUplink:
    return DataUplink(r.u8("type"), r.rest())


def encode_uplink(b: DataUplink, ctx: Context) -> bytes:
    return bytes((check_range(b.kind, 8, "kind"),)) + b.data


register(TerminalResponse, decode_terminal_response, encode_terminal_response)
_empty_decoder(Heartbeat)
_empty_decoder(TerminalLogout)
register(TerminalRegister, decode_register, encode_register)
register(TerminalAuth, decode_auth, encode_auth)
register(ParameterQueryResponse, decode_param_response, encode_param_response)
register(TerminalAttributes, decode_attributes, encode_attributes)
register(LocationReport, decode_location_report, encode_location_report)
register(LocationQueryResponse, decode_location_response, encode_location_response)
register(DriverIdentity, decode_driver, encode_driver)
register(BatchLocationUpload, decode_batch, encode_batch)
register(MultimediaEvent, decode_media_event, encode_media_event)
register(MultimediaUpload, decode_media_upload, encode_media_upload)
register(DataUplink, decode_uplink, encode_uplink)
