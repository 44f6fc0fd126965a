"""Framing of split and merged reads, acks, sub-package reassembly, positions and quirks of JT/T 808."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gongwu.devices import Alarm, EncodeError, Extra, Jt808DecodeError
from gongwu.devices import jt808 as j
from gongwu.devices.obd import decode_pid, encode_pids
from tests.devices.vectors import load

ROWS = load("jt808")
T0 = datetime(2026, 3, 1, 2, 3, 4, tzinfo=UTC)


def _report(serial: int = 7, phone: str = "013800000001", edition: j.Edition = "2013", **kw: object) -> j.Jt808Message:
    loc = j.Location(
        alarm=1 | 1 << 20,
        status=0b11,
        lat=39.908692,
        lon=116.397477,
        altitude_m=44,
        speed_kmh=36.5,
        course=90,
        time=T0,
        items=(j.Mileage(1234.5), j.FuelGauge(30.2), j.GnssSatellites(11), j.SignalStrength(25)),
    )
    return j.message(j.LocationReport(loc), phone=phone, serial=serial, edition=edition)


def test_split_reads_byte_by_byte_and_merged_reads() -> None:
    frames = [bytes.fromhex(ROWS[i]["hex"]) for i in (0, 1, 12, 53, 98)]
    stream = b"".join(frames)
    framer = j.Jt808Framer()
    got = [f for byte in stream for f in framer.feed(bytes((byte,)))]
    assert got == frames
    assert j.Jt808Framer().feed(stream) == frames


def test_a_bad_frame_is_an_error_and_the_stream_goes_on() -> None:
    good = bytes.fromhex(ROWS[0]["hex"])
    bad = bytes.fromhex(ROWS[74]["hex"])  # wrong check code (Traccar test frame)
    framer = j.Jt808Framer()
    results: list[object] = []
    for frame in framer.feed(b"\xff\xfe" + good + bad + good[:10]) + framer.feed(good[10:]):
        try:
            results.append(j.decode(frame).msg_id)
        except Jt808DecodeError as exc:
            results.append(exc.reason)
    assert results == [0x0704, "check code 0xd0, computed 0xf0", 0x0704]
    assert framer.discarded == 2


def test_escapes_round_trip_through_the_framer() -> None:
    msg = j.message(j.DataUplink(0xF0, b"\x7e\x7d\x7e\x01\x02"), phone="013800000001", serial=0x7E7D)
    wire = j.encode(msg)
    assert wire.count(b"\x7e") == 2
    (frame,) = j.Jt808Framer().feed(wire)
    assert j.decode(frame) == msg


def test_times_are_beijing_on_the_wire_and_utc_in_messages() -> None:
    wire = j.encode(_report())
    assert "260301100304" in wire.hex()  # 02:03:04 UTC is 10:03:04 in Beijing
    body = j.decode(wire).body
    assert isinstance(body, j.LocationReport) and body.location.time == T0
    abroad = j.decode(wire, utc_offset=timedelta(0)).body
    assert isinstance(abroad, j.LocationReport)
    assert abroad.location.time == T0 + timedelta(hours=8)  # the same digits read as UTC


def test_reply_acks_a_report_with_its_serial_and_id() -> None:
    msg = j.decode(j.encode(_report(serial=0x1234)))
    ack = j.reply(msg, serial=99)
    assert ack is not None
    back = j.decode(ack)
    assert back.header.phone == msg.header.phone and back.header.serial == 99
    assert back.body == j.PlatformResponse(0x1234, 0x0200, 0)
    key = j.ack_key(msg)
    assert (key.serial, key.msg_id) == (0x1234, 0x0200)
    assert j.general_response(key, serial=99) == ack


def test_reply_matches_the_golden_acks() -> None:
    # go-jt808's 0x8001 sample answers serial 32767 / id 0x0002 with serial 0 from phone 012345678901
    heartbeat = j.decode(j.encode(j.message(j.Heartbeat(), phone="012345678901", serial=32767)))
    assert (j.reply(heartbeat, serial=0) or b"").hex() == ROWS[99]["hex"]
    # SmallChi's 0x8001 for a 0x0200 serial 100, and 0x8100 with code "123456"
    loc = j.decode(j.encode(_report(serial=100, phone="012345678900")))
    assert (j.reply(loc, serial=10) or b"").hex() == ROWS[125]["hex"]
    register = j.decode(bytes.fromhex(ROWS[120]["hex"]))
    register = j.Jt808Message(j.Header(0x0100, "012345678900", 100), register.body)
    assert (j.reply(register, serial=10, auth_code="123456") or b"").hex() == ROWS[126]["hex"]
    assert (j.reply(register, serial=10, result=4) or b"").hex() == ROWS[127]["hex"]


def test_reply_rules() -> None:
    register = j.decode(bytes.fromhex(ROWS[144]["hex"]))
    with pytest.raises(EncodeError):
        j.reply(register, serial=1)
    response = j.decode(bytes.fromhex(ROWS[98]["hex"]))
    assert j.reply(response, serial=1) is None  # 0x0001 is itself an answer
    assert j.reply(j.decode(bytes.fromhex(ROWS[156]["hex"])), serial=1) is None  # platform message
    auth_2019 = j.decode(bytes.fromhex(ROWS[147]["hex"]))
    ack = j.decode(j.reply(auth_2019, serial=5) or b"")
    assert ack.header.edition == "2019" and ack.header.phone == auth_2019.header.phone
    upload = j.decode(bytes.fromhex(ROWS[154]["hex"]))
    assert j.decode(j.reply(upload, serial=5) or b"").body == j.MultimediaUploadResponse(123)


def _split(msg: j.Jt808Message, size: int) -> list[j.Jt808Message]:
    return [j.decode(f) for f in j.encode_packets(msg, max_body=size)]


def test_subpackages_reassemble_in_any_order() -> None:
    batch = j.BatchLocationUpload(1, tuple(_report().body.location for _ in range(20)))  # type: ignore[attr-defined]
    msg = j.message(batch, phone="013800000001", serial=500)
    parts = _split(msg, 100)
    assert len(parts) > 5 and all(isinstance(p.body, j.Fragment) for p in parts)
    r = j.Reassembler(timeout=30)
    results = [r.add(p, now=1.0) for p in reversed(parts)]
    assert results[:-1] == [None] * (len(parts) - 1)
    assert results[-1] == msg
    assert len(r) == 0


def test_incomplete_sets_expire_with_a_resend_request() -> None:
    msg = j.message(j.DataUplink(0x41, bytes(range(256)) * 3), phone="013800000001", serial=40)
    parts = _split(msg, 200)
    r = j.Reassembler(timeout=30)
    for p in parts[:1] + parts[2:3]:
        assert r.add(p, now=100.0) is None
    assert r.expire(now=120.0) == []
    (expired,) = r.expire(now=131.0)
    assert expired.missing == (2, 4)
    assert expired.resend == j.ResendRequest(40, (2, 4))
    request = j.encode(j.message(expired.resend, phone="013800000001", serial=9))
    assert j.decode(request).body == j.ResendRequest(40, (2, 4))
    assert len(r) == 0


def test_fragments_are_acked_except_multimedia() -> None:
    msg = j.message(j.DataUplink(0x41, bytes(300)), phone="013800000001", serial=40)
    first = _split(msg, 200)[0]
    assert j.decode(j.reply(first, serial=1) or b"").body == j.PlatformResponse(40, 0x0900, 0)


def test_position_from_a_report() -> None:
    (pos,) = j.positions(j.decode(j.encode(_report())))
    assert pos.terminal_id == "13800000001"
    assert (pos.lat, pos.lon, pos.altitude_m, pos.speed_kmh, pos.course) == (39.908692, 116.397477, 44.0, 36.5, 90.0)
    assert pos.time == T0 and pos.fix_valid and pos.ignition is True
    assert (pos.odometer_km, pos.fuel_l, pos.soc_pct) == (1234.5, 30.2, None)
    assert pos.alarms == frozenset({Alarm.SOS, Alarm.AREA_IN_OUT})
    assert pos.extras[Extra.SATELLITES] == 11 and pos.extras[Extra.RSSI] == 25
    assert pos.to_json()["time"] == "2026-03-01T02:03:04Z"


def test_same_terminal_id_in_2013_and_2019() -> None:
    a = j.positions(j.decode(j.encode(_report(phone="013800000001"))))[0]
    b = j.positions(j.decode(j.encode(_report(phone="00000000013800000001", edition="2019"))))[0]
    assert a == b


def test_blind_area_batch_marks_its_positions() -> None:
    (row,) = [r for r in ROWS if r["expect"]["derived"].get("batch", {}).get("type") == 1][:1]
    ps = j.positions(j.decode(bytes.fromhex(row["hex"])))
    assert ps and all(p.extras[Extra.BLIND_AREA] is True for p in ps)


def test_obd_quirk_reads_pids_from_its_vendor_item() -> None:
    data = encode_pids({0x0C: 2500.0, 0x0D: 62.0, 0x05: 88.0, 0x2F: 50.196078431372548, 0x10: 12.5, 0x04: 40.0})
    base = _report().body.location  # type: ignore[attr-defined]
    loc = j.Location(base.alarm, base.status, base.lat, base.lon, 0, 62.0, 0, T0, (j.RawItem(0xF3, data),))
    msg = j.decode(j.encode(j.message(j.LocationReport(loc), phone="013800000002", serial=1)))
    plain = j.positions(msg)[0]
    assert Extra.RPM not in plain.extras
    quirky = j.positions(msg, quirk=j.quirk_for("GW-OBD1"))[0]
    assert quirky.extras[Extra.RPM] == 2500.0
    assert quirky.extras[Extra.OBD_SPEED_KMH] == 62.0
    assert quirky.extras[Extra.COOLANT_TEMP_C] == 88.0
    assert quirky.extras[Extra.FUEL_LEVEL_PCT] == pytest.approx(50.196, abs=1e-3)
    assert quirky.extras[Extra.MAF_G_S] == 12.5
    assert quirky.extras[Extra.ENGINE_LOAD_PCT] == pytest.approx(40.0, abs=0.2)
    assert decode_pid(0x0C, b"\x1a\xf8").value == 1726.0  # SAE J1979 example: (256·26+248)/4


def test_encode_refuses_bad_commands() -> None:
    with pytest.raises(EncodeError):
        j.encode(j.message(j.PlatformResponse(1, 2, 9), phone="1", serial=1))
    with pytest.raises(EncodeError):
        j.encode(j.message(j.TextMessage(1, "x" * 2000), phone="1", serial=1))
    with pytest.raises(EncodeError):
        j.encode(j.message(j.TextMessage(1, "emoji 🚗"), phone="1", serial=1))
    with pytest.raises(EncodeError):
        j.encode(j.message(j.TerminalAuth("code", imei="123"), phone="1", serial=1))  # IMEI is 2019-only


def test_fast_path_gives_the_same_positions_as_the_typed_path() -> None:
    for row in ROWS:
        raw = bytes.fromhex(row["hex"])
        try:
            want = j.decode(raw)
        except Jt808DecodeError as exc:
            with pytest.raises(Jt808DecodeError) as info:
                j.decode_positions(raw)
            assert (info.value.reason, info.value.offset) == (exc.reason, exc.offset)
            continue
        got = j.decode_positions(raw)
        assert got.header == want.header
        assert got.positions == j.positions(want)


def test_a_learned_item_layout_gives_what_the_item_walk_gives() -> None:
    """The fast path learns each additional-item layout it walks and unpacks the next region of that length in
    one go; a region of the same length with other items (or other lengths) is walked again, never misread."""
    from gongwu.devices.jt808 import fastpath

    def report(*items: j.Item) -> bytes:
        loc = j.Location(0, 0b11, 39.9, 116.4, 50, 36.5, 90, datetime(2026, 3, 1, 8, tzinfo=UTC), items)
        return j.encode(j.message(j.LocationReport(loc), phone="13800000001", serial=1))

    first = report(j.Mileage(1234.5), j.FuelGauge(40.2), j.GnssSatellites(9), j.RawItem(0xEB, b"\x01\x02\x03"))
    # the same region length, other items: a 4-byte analog word and IO status in place of mileage and fuel
    other = report(j.AnalogInputs(1, 2), j.IoStatus(5), j.SignalStrength(20), j.RawItem(0xEB, b"\x01\x02\x03"))
    # the same length again, the same ids, but a vendor item one byte longer and a satellites item one shorter
    shifted = report(j.Mileage(1.0), j.FuelGauge(2.0), j.RawItem(0x31, b""), j.RawItem(0xEB, b"\x01\x02\x03\x04"))
    assert len(first) == len(other) == len(shifted)
    fastpath._layouts.clear()
    for wire in (first, first, other, other, shifted, first):
        got = j.decode_positions(wire)
        assert got.positions == j.positions(j.decode(wire)), wire.hex()
    assert len(fastpath._layouts) == 1  # learned from the first; the others fell back to the walk
