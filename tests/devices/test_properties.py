"""Property tests: decode(encode(m)) == m for every message type; random bytes raise only DecodeError."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from gongwu.devices import DecodeError, Gb32960DecodeError, Jt808DecodeError, NmeaDecodeError, nmea
from gongwu.devices import gb32960 as gb
from gongwu.devices import jt808 as j
from tests.devices.strategies import gb32960_messages, jt808_messages, times
from tests.devices.strategies_settings import DEVICES


@DEVICES
@given(jt808_messages())
def test_jt808_round_trip(msg: j.Jt808Message) -> None:
    assert j.decode(j.encode(msg)) == msg


@DEVICES
@given(jt808_messages(), st.integers(-12 * 60, 14 * 60).map(lambda m: timedelta(minutes=m)))
def test_jt808_round_trip_with_a_terminal_clock_offset(msg: j.Jt808Message, offset: timedelta) -> None:
    assert j.decode(j.encode(msg, utc_offset=offset), utc_offset=offset) == msg


@DEVICES
@given(jt808_messages())
def test_jt808_framer_recovers_frames_from_any_chunking(msg: j.Jt808Message) -> None:
    wire = j.encode(msg)
    stream = b"\x00garbage" + wire + wire
    framer = j.Jt808Framer()
    got: list[bytes] = []
    for i in range(0, len(stream), 7):
        got += framer.feed(stream[i : i + 7])
    assert got == [wire, wire]
    assert framer.pending == 0


@DEVICES
@given(gb32960_messages())
def test_gb32960_round_trip(msg: gb.Gb32960Message) -> None:
    assert gb.decode(gb.encode(msg)) == msg


@DEVICES
@given(gb32960_messages(), st.integers(1, 50))
def test_gb32960_framer_any_chunking(msg: gb.Gb32960Message, step: int) -> None:
    wire = gb.encode(msg)
    stream = b"\x01\x02" + wire + wire
    framer = gb.Gb32960Framer()
    got: list[bytes] = []
    for i in range(0, len(stream), step):
        got += framer.feed(stream[i : i + step])
    assert got == [wire, wire]


_coord = st.integers(0, 89_999_999).map(lambda r: round(r / 1e4 / 60, 12))


@DEVICES
@given(
    times,
    st.booleans(),
    st.integers(0, 89 * 600000 + 599999),
    st.integers(0, 179 * 600000 + 599999),
    st.integers(0, 99999),
    st.integers(0, 3599),
)
def test_nmea_rmc_round_trip(
    t: datetime, valid: bool, lat_raw: int, lon_raw: int, knots_raw: int, course_raw: int
) -> None:
    lat = (lat_raw // 600000) + (lat_raw % 600000) / 10000 / 60
    lon = (lon_raw // 600000) + (lon_raw % 600000) / 10000 / 60
    rmc = nmea.Rmc("GP", t, valid, lat, lon, knots_raw / 100 * nmea.KNOT_KMH, course_raw / 10)
    back = nmea.decode(nmea.encode(rmc))
    assert isinstance(back, nmea.Rmc)
    assert (back.time, back.valid, back.course) == (t, valid, rmc.course)
    assert back.lat is not None and back.lon is not None and back.speed_kmh is not None
    assert abs(back.lat - lat) < 1e-9 and abs(back.lon - lon) < 1e-9
    assert abs(back.speed_kmh - knots_raw / 100 * nmea.KNOT_KMH) < 1e-9


@DEVICES
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_jt808_errors(data: bytes) -> None:
    for frame in (data, b"\x7e" + data + b"\x7e"):
        for strict in (True, False):
            try:
                j.decode(frame, strict=strict)
            except Jt808DecodeError as exc:
                assert exc.data == frame
    j.Jt808Framer().feed(data)


@DEVICES
@given(jt808_messages(), st.data())
def test_corrupted_jt808_frames_raise_only_jt808_errors(msg: j.Jt808Message, data: st.DataObject) -> None:
    wire = bytearray(j.encode(msg))
    pos = data.draw(st.integers(0, len(wire) - 1))
    wire[pos] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(wire)))
    for candidate in (bytes(wire), bytes(wire[:cut])):
        for strict in (True, False):
            with contextlib.suppress(Jt808DecodeError):
                j.decode(candidate, strict=strict)


@DEVICES
@given(st.binary(max_size=300), st.sampled_from([b"##", b"$$"]))
def test_random_bytes_raise_only_gb32960_errors(data: bytes, start: bytes) -> None:
    for frame in (data, start + data):
        with contextlib.suppress(Gb32960DecodeError):
            gb.decode(frame)
    gb.Gb32960Framer().feed(start + data)


@DEVICES
@given(gb32960_messages(), st.data())
def test_corrupted_gb32960_frames_with_a_valid_bcc_raise_only_gb32960_errors(
    msg: gb.Gb32960Message, data: st.DataObject
) -> None:
    wire = bytearray(gb.encode(msg))
    pos = data.draw(st.integers(24, max(24, len(wire) - 2)))
    if pos < len(wire) - 1:
        wire[pos] = data.draw(st.integers(0, 255))
        wire[-1] = gb.bcc(bytes(wire[2:-1]))
    with contextlib.suppress(Gb32960DecodeError):
        gb.decode(bytes(wire))


@DEVICES
@given(st.text(max_size=120) | st.binary(max_size=120))
def test_random_lines_raise_only_nmea_errors(line: str | bytes) -> None:
    with contextlib.suppress(NmeaDecodeError):
        nmea.decode(line)


def test_decode_errors_share_one_root() -> None:
    for cls in (Jt808DecodeError, Gb32960DecodeError, NmeaDecodeError):
        assert issubclass(cls, DecodeError)


@DEVICES
@given(jt808_messages())
def test_jt808_fast_path_agrees_with_the_typed_path(msg: j.Jt808Message) -> None:
    wire = j.encode(msg)
    fast = j.decode_positions(wire)
    assert fast.header == msg.header
    assert fast.positions == j.positions(msg)
