"""Hypothesis strategies for every message type of every codec (values on the wire's grid)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from hypothesis import strategies as st

from gongwu.devices import gb32960 as gb
from gongwu.devices import jt808 as j

U8 = st.integers(0, 0xFF)
U16 = st.integers(0, 0xFFFF)
U32 = st.integers(0, 0xFFFFFFFF)

_CHARS = list("abcdefXYZ0123456789 -_.#@测试粤京沪川鄂车辆公务")


def gbk_text(max_bytes: int, min_size: int = 0) -> st.SearchStrategy[str]:
    return (
        st.text(alphabet=st.sampled_from(_CHARS), min_size=min_size, max_size=max_bytes)
        .map(str.strip)
        .filter(lambda s: len(s.encode("gbk")) <= max_bytes and len(s) >= min_size)
    )


def ascii_text(max_len: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=st.sampled_from(list("ABCDEFGHJKLMNPRSTUVWXYZ0123456789")), max_size=max_len)


def digits(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=st.sampled_from(list("0123456789")), min_size=n, max_size=n)


times = st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2098, 12, 31)).map(
    lambda d: d.replace(microsecond=0, tzinfo=UTC)
)
tenths16 = st.integers(0, 0xFFFF).map(lambda r: r / 10)


def _signed(raw: int, negative: bool) -> float:
    return -raw / 1e6 if negative else raw / 1e6


# ------------------------------------------------------------------ JT/T 808

items: st.SearchStrategy[Any] = st.one_of(
    U32.map(lambda r: j.Mileage(r / 10)),
    U16.map(lambda r: j.FuelGauge(r / 10)),
    U16.map(lambda r: j.RecorderSpeed(r / 10)),
    U16.map(j.AlarmEventId),
    st.lists(U8, min_size=30, max_size=30).map(lambda v: j.TirePressures(tuple(v))),
    st.integers(-0x7FFF, 0x7FFF).map(j.CarriageTemperature),
    st.builds(j.OverspeedAlarm, U8, st.none() | U32),
    st.builds(j.AreaRouteAlarm, U8, U32, U8),
    st.builds(j.RouteTimeAlarm, U32, U16, U8),
    U32.map(j.ExtendedSignals),
    U16.map(j.IoStatus),
    st.builds(j.AnalogInputs, U16, U16),
    U8.map(j.SignalStrength),
    U8.map(j.GnssSatellites),
    st.builds(j.RawItem, st.integers(0x80, 0xFF), st.binary(max_size=40)),
)


@st.composite
def locations(draw: st.DrawFn, with_items: bool = True) -> j.Location:
    status = draw(U32)
    lat = _signed(draw(st.integers(0, 90_000_000)), bool(status & 4))
    lon = _signed(draw(st.integers(0, 180_000_000)), bool(status & 8))
    its = tuple(draw(st.lists(items, max_size=6))) if with_items else ()
    return j.Location(
        draw(U32), status, lat, lon, draw(U16), draw(tenths16), draw(st.integers(0, 359)), draw(st.none() | times), its
    )


def _params() -> st.SearchStrategy[tuple[j.TerminalParameter, ...]]:
    one = st.one_of(
        st.builds(j.TerminalParameter, st.sampled_from([0x0001, 0x0029, 0x0055, 0x0080]), U32),
        st.builds(j.TerminalParameter, st.sampled_from([0x0031, 0x0081]), U16),
        st.builds(j.TerminalParameter, st.sampled_from([0x0084, 0x0090]), U8),
        st.builds(j.TerminalParameter, st.sampled_from([0x0013, 0x0083]), gbk_text(40)),
        st.builds(j.TerminalParameter, st.integers(0xF000, 0xFFFF), st.binary(max_size=20)),
    )
    return st.lists(one, max_size=8).map(tuple)


def _rules(attrs: int, edition: str) -> st.SearchStrategy[j.AreaRules]:
    by_time, limit, wide = attrs & 1, attrs & 2, edition == "2019"
    return st.builds(
        j.AreaRules,
        digits(12) if by_time else st.none(),
        digits(12) if by_time else st.none(),
        U16 if limit else st.none(),
        U8 if limit else st.none(),
        U16 if (limit and wide) else st.none(),
        gbk_text(20) if wide else st.just(""),
    )


@st.composite
def _point(draw: st.DrawFn, attrs: int) -> tuple[float, float]:
    return (
        _signed(draw(st.integers(0, 90_000_000)), bool(attrs & 0x40)),
        _signed(draw(st.integers(0, 180_000_000)), bool(attrs & 0x80)),
    )


@st.composite
def _circle(draw: st.DrawFn, edition: str) -> j.CircleArea:
    attrs = draw(U16)
    lat, lon = draw(_point(attrs))
    return j.CircleArea(draw(U32), attrs, lat, lon, draw(U32), draw(_rules(attrs, edition)))


@st.composite
def _rectangle(draw: st.DrawFn, edition: str) -> j.RectangleArea:
    attrs = draw(U16)
    return j.RectangleArea(draw(U32), attrs, draw(_point(attrs)), draw(_point(attrs)), draw(_rules(attrs, edition)))


@st.composite
def _polygon(draw: st.DrawFn, edition: str) -> j.SetPolygonArea:
    attrs = draw(U16)
    points = tuple(draw(st.lists(_point(attrs), max_size=8)))
    return j.SetPolygonArea(draw(U32), attrs, points, draw(_rules(attrs, edition)))


@st.composite
def _driver(draw: st.DrawFn, edition: str) -> j.DriverIdentity:
    state, time = draw(st.sampled_from([1, 2])), draw(st.none() | times)
    if state == 2:
        return j.DriverIdentity(2, time)
    result = draw(st.sampled_from([0, 1, 2]))
    if result:
        return j.DriverIdentity(1, time, result)
    id_card = draw(gbk_text(20)) if edition == "2019" else ""
    return j.DriverIdentity(
        1, time, 0, draw(gbk_text(30)), draw(gbk_text(20)), draw(gbk_text(30)), draw(digits(8)), id_card
    )


def bodies(edition: str) -> st.SearchStrategy[Any]:
    wide = edition == "2019"
    layout: st.SearchStrategy[Literal["2011", "2013", "2019"]] = (
        st.just("2019") if wide else st.sampled_from(["2013", "2011"])
    )
    widths = {"2011": (5, 8, 7), "2013": (5, 20, 7), "2019": (11, 30, 30)}

    @st.composite
    def register(draw: st.DrawFn) -> j.TerminalRegister:
        lay = draw(layout)
        mw, dw, iw = widths[lay]
        plate = draw(gbk_text(12 if lay != "2011" else 11))
        return j.TerminalRegister(
            draw(U16), draw(U16), draw(gbk_text(mw)), draw(gbk_text(dw)), draw(gbk_text(iw)), draw(U8), plate, lay
        )

    auth = (
        st.builds(j.TerminalAuth, gbk_text(60), gbk_text(15), gbk_text(20))
        if wide
        else st.builds(j.TerminalAuth, gbk_text(60))
    )
    return st.one_of(
        st.builds(j.TerminalResponse, U16, U16, U8),
        st.just(j.Heartbeat()),
        st.just(j.TerminalLogout()),
        register(),
        auth,
        st.builds(j.ParameterQueryResponse, U16, _params()),
        st.builds(
            j.TerminalAttributes,
            U16,
            gbk_text(5),
            gbk_text(30 if wide else 20),
            gbk_text(30 if wide else 7),
            digits(20),
            gbk_text(30),
            gbk_text(30),
            U8,
            U8,
        ),
        st.builds(j.LocationReport, locations()),
        st.builds(j.LocationQueryResponse, U16, locations()),
        _driver(edition),
        st.builds(j.BatchLocationUpload, st.sampled_from([0, 1]), st.lists(locations(), max_size=4).map(tuple)),
        st.builds(j.MultimediaEvent, U32, U8, U8, U8, U8),
        st.builds(j.MultimediaUpload, U32, U8, U8, U8, U8, locations(with_items=False), st.binary(max_size=200)),
        st.builds(j.DataUplink, U8, st.binary(max_size=100)),
        st.builds(j.PlatformResponse, U16, U16, st.integers(0, 4)),
        st.builds(j.ResendRequest, U16, st.lists(U16, max_size=20).map(tuple)),
        st.builds(j.RegisterResponse, U16, st.just(0), gbk_text(40)),
        st.builds(j.RegisterResponse, U16, st.integers(1, 4)),
        st.builds(j.SetParameters, _params()),
        st.just(j.QueryParameters()),
        st.builds(j.TerminalControl, U8, gbk_text(60)),
        st.just(j.QueryLocation()),
        st.builds(j.TemporaryTracking, U16, U32),
        st.builds(j.ConfirmAlarm, U16, U32),
        st.builds(j.TextMessage, U8, gbk_text(100), U8 if wide else st.none()),
        st.builds(j.SetCircleAreas, U8, st.lists(_circle(edition), max_size=3).map(tuple)),
        st.builds(j.SetRectangleAreas, U8, st.lists(_rectangle(edition), max_size=3).map(tuple)),
        _polygon(edition),
        st.builds(j.DeleteCircleAreas, st.lists(U32, max_size=10).map(tuple)),
        st.builds(j.DeleteRectangleAreas, st.lists(U32, max_size=10).map(tuple)),
        st.builds(j.DeletePolygonAreas, st.lists(U32, max_size=10).map(tuple)),
        st.builds(j.MultimediaUploadResponse, U32, st.lists(U16, min_size=1, max_size=10).map(tuple) | st.just(())),
    )


@st.composite
def jt808_messages(draw: st.DrawFn) -> j.Jt808Message:
    edition = draw(st.sampled_from(["2013", "2019"]))
    body = draw(bodies(edition))
    phone = draw(digits(20 if edition == "2019" else 12))
    header = j.Header(
        msg_id=body.MSG_ID,
        phone=phone,
        serial=draw(U16),
        edition=edition,  # type: ignore[arg-type]
        protocol_version=draw(U8) if edition == "2019" else 1,
        flag_on_2013=edition == "2013" and draw(st.booleans()),
        reserved_bit=draw(st.booleans()),
    )
    return j.Jt808Message(header, body)


# ------------------------------------------------------------------ GB/T 32960


def _m(size: int, divisor: int = 1, offset: int = 0) -> st.SearchStrategy[float | None]:
    top = (1 << (8 * size)) - 3
    return st.none() | st.integers(0, top).map(lambda r: (r - offset) / divisor)


def _mi(size: int, offset: int = 0) -> st.SearchStrategy[int | None]:
    top = (1 << (8 * size)) - 3
    return st.none() | st.integers(0, top).map(lambda r: r - offset)


def units(edition: str) -> st.SearchStrategy[Any]:
    e16 = edition == "2016"
    cur = 10000 if e16 else 30000
    vehicle = st.builds(
        gb.VehicleData,
        U8,
        U8,
        U8,
        _m(2, 10),
        _m(4, 10),
        _m(2, 10),
        _m(2, 10, cur),
        _mi(1),
        U8,
        U8,
        U16 if e16 else _mi(2),
        _mi(1) if e16 else st.none(),
        _mi(1) if e16 else st.none(),
    )
    motor = (
        st.builds(
            gb.DriveMotor, U8, U8, _mi(1, 40), _mi(2, 20000), _m(2, 10, 20000), _mi(1, 40), _m(2, 10), _m(2, 10, 10000)
        )
        if e16
        else st.builds(gb.DriveMotor, U8, U8, _mi(1, 40), _mi(2, 32000), _m(4, 10, 200000), _mi(1, 40))
    )
    faults = st.lists(U32, max_size=3).map(tuple)
    alarms = st.builds(
        gb.Alarms,
        U8,
        U32,
        faults,
        faults,
        faults,
        faults,
        st.just(()) if e16 else st.lists(st.tuples(U8, U8), max_size=4).map(tuple),
    )
    cells = st.lists(_m(2, 1000), max_size=10).map(tuple)
    pack_v = (
        st.builds(gb.PackVoltage, U8, _m(2, 10), _m(2, 10, cur), cells, U16, U16)
        if e16
        else st.builds(gb.PackVoltage, U8, _m(2, 10), _m(2, 10, cur), cells)
    )
    pack_t = st.builds(gb.PackTemperature, U8, st.lists(_mi(1, 40), max_size=10).map(tuple))

    @st.composite
    def position(draw: st.DrawFn) -> gb.VehiclePosition:
        status = draw(U8)
        lat, lon = draw(_m(4, 1_000_000)), draw(_m(4, 1_000_000))
        lat = -lat if lat is not None and status & 2 else lat
        lon = -lon if lon is not None and status & 4 else lon
        return gb.VehiclePosition(status, lat, lon, None if e16 else draw(U8))

    common = [
        vehicle,
        st.lists(motor, max_size=3).map(lambda ms: gb.DriveMotors(tuple(ms))),
        st.builds(gb.Engine, _mi(2), U8, _m(2, 100)) if e16 else st.builds(gb.Engine, _mi(2)),
        position(),
        alarms,
        st.lists(pack_v, max_size=2).map(lambda ps: gb.PackVoltages(tuple(ps))),
        st.lists(pack_t, max_size=2).map(lambda ps: gb.PackTemperatures(tuple(ps))),
        st.builds(gb.VendorUnit, st.integers(0x80, 0xFE), st.binary(max_size=30)),
    ]
    if e16:
        common.append(
            st.builds(gb.Extremes, U8, U8, _m(2, 1000), U8, U8, _m(2, 1000), U8, U8, _mi(1, 40), U8, U8, _mi(1, 40))
        )
        common.append(
            st.builds(
                gb.FuelCell,
                _m(2, 10),
                _m(2, 10),
                _m(2, 100),
                st.lists(_mi(1, 40), max_size=5).map(tuple),
                _m(2, 10, 400),
                U8,
                _mi(2),
                U8,
                _m(2, 10),
                U8,
                U8,
            )
        )
    return st.one_of(*common)


signatures = st.builds(gb.Signature, st.integers(1, 3), st.binary(max_size=64), st.binary(max_size=64))


@st.composite
def gb32960_messages(draw: st.DrawFn) -> gb.Gb32960Message:
    edition = draw(st.sampled_from(["2016", "2025"]))
    vin = draw(ascii_text(17).filter(lambda v: len(v) == 17) | st.just("LGWEF4A52NF123456"))
    e25 = edition == "2025"
    payloads: list[st.SearchStrategy[Any]] = [
        st.builds(
            gb.RealtimeReport,
            times,
            st.lists(units(edition), max_size=5).map(tuple),
            st.booleans(),
            signatures if e25 else st.none(),
        ),
        st.builds(gb.VehicleLogout, times, U16),
        st.builds(gb.PlatformLogin, times, U16, ascii_text(12), ascii_text(20), U8),
        st.builds(gb.PlatformLogout, times, U16),
        st.just(gb.Heartbeat()),
        st.just(gb.TimeSync()),
    ]
    if e25:

        @st.composite
        def login25(d: st.DrawFn) -> gb.VehicleLogin:
            per = tuple(d(st.lists(st.integers(0, 3), max_size=3)))
            codes = tuple(d(ascii_text(24)) for _ in range(sum(per)))
            return gb.VehicleLogin(d(times), d(U16), d(digits(20)), codes, 24, per)

        payloads += [
            login25(),
            st.builds(gb.Activation, times, ascii_text(16), st.binary(max_size=64), ascii_text(17), signatures),
        ]
    else:

        @st.composite
        def login16(d: st.DrawFn) -> gb.VehicleLogin:
            width = d(st.integers(0, 24))
            codes = tuple(d(st.lists(ascii_text(width), max_size=4)))
            return gb.VehicleLogin(d(times), d(U16), d(digits(20)), codes, width)

        payloads.append(login16())
    payload = draw(st.one_of(*payloads))
    command = {
        gb.VehicleLogin: 0x01,
        gb.VehicleLogout: 0x04,
        gb.PlatformLogin: 0x05,
        gb.PlatformLogout: 0x06,
        gb.Heartbeat: 0x07,
        gb.TimeSync: 0x08,
        gb.Activation: 0x09,
    }.get(type(payload))
    if command is None:
        command = 0x03 if payload.resend else 0x02
    return gb.Gb32960Message(edition, command, 0xFE, vin, payload, 0x01)  # type: ignore[arg-type]
