"""Every JT/T 808 frame of the shared vectors: decoded and checked, or rejected with a clear error."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from gongwu.devices import Extra, Jt808DecodeError
from gongwu.devices.jt808 import (
    BatchLocationUpload,
    DriverIdentity,
    Fragment,
    GnssSatellites,
    Location,
    LocationReport,
    Mileage,
    PlatformResponse,
    RawItem,
    RegisterResponse,
    SignalStrength,
    TerminalAttributes,
    TerminalAuth,
    TerminalRegister,
    TerminalResponse,
    TextMessage,
    TlvStatusItemQuirk,
    UnknownBody,
    decode,
    encode,
    positions,
)
from gongwu.devices.jt808.location import encode_item
from tests.devices.vectors import load

ROWS = load("jt808")


def _flagged(d: dict[str, Any]) -> bool:
    """A row the vectors mark as malformed: bad check code, body length, framing or item list."""
    locs = [d["location"]] if "location" in d else d.get("batch", {}).get("locations", [])
    return (
        d.get("checksum_ok") is False
        or d.get("body_len_ok") is False
        or "decode_error" in d
        or any(not loc.get("items_well_formed", True) for loc in locs)
    )


GOOD = [i for i, r in enumerate(ROWS) if not _flagged(r["expect"]["derived"])]
BAD = [i for i, r in enumerate(ROWS) if _flagged(r["expect"]["derived"])]


def test_vector_census() -> None:
    assert len(ROWS) == 174
    assert len(BAD) == 11
    assert len(GOOD) == 163


def _check_location(loc: Location, want: dict[str, Any]) -> None:
    assert loc.alarm == want["alarm"]
    assert loc.status == want["status"]
    assert loc.acc_on == want["acc_on"]
    assert loc.positioned == want["positioned"]
    assert loc.lat == pytest.approx(want["lat"], abs=1e-9)
    assert loc.lon == pytest.approx(want["lon"], abs=1e-9)
    assert loc.altitude_m == want["altitude_m"]
    assert loc.speed_kmh == pytest.approx(want["speed_kmh"])
    assert loc.course == want["direction"]
    assert loc.time == datetime.fromisoformat(want["time_gmt8"]).astimezone(UTC)
    assert loc.time is not None and loc.time.tzinfo is UTC
    ids = [f"0x{_item_id(i):02X}" for i in loc.items]
    assert ids == list(want["items"])
    for item, (key, exp) in zip(loc.items, want["items"].items(), strict=True):
        if "raw" in exp:
            # Kept raw by the vectors; we type the standard ones (0x04–0x06, 0x11–0x13): same bytes.
            assert encode_item(item)[2:].hex() == exp["raw"]
            assert isinstance(item, RawItem) or int(key, 16) in (0x04, 0x05, 0x06, 0x11, 0x12, 0x13)
        elif "mileage_km" in exp:
            assert isinstance(item, Mileage) and item.km == pytest.approx(exp["mileage_km"])
        elif "rssi" in exp:
            assert isinstance(item, SignalStrength) and item.rssi == exp["rssi"]
        elif "gnss_satellites" in exp:
            assert isinstance(item, GnssSatellites) and item.count == exp["gnss_satellites"]
        elif "fuel_l" in exp:
            assert item.litres == pytest.approx(exp["fuel_l"])  # type: ignore[union-attr]
        elif "recorder_speed_kmh" in exp:
            assert item.kmh == pytest.approx(exp["recorder_speed_kmh"])  # type: ignore[union-attr]
        elif "ext_vehicle_signal" in exp:
            assert item.bits == exp["ext_vehicle_signal"]  # type: ignore[union-attr]
        elif "io_status" in exp:
            assert item.bits == exp["io_status"]  # type: ignore[union-attr]
        elif "analog" in exp:
            assert item.ad0 | item.ad1 << 16 == exp["analog"]  # type: ignore[union-attr]


def _item_id(item: object) -> int:
    if isinstance(item, RawItem):
        return item.item_id
    return encode_item(item)[0]  # type: ignore[arg-type]


@pytest.mark.parametrize("index", GOOD)
def test_good_frame_decodes_as_derived(index: int) -> None:
    row = ROWS[index]
    d = row["expect"]["derived"]
    msg = decode(bytes.fromhex(row["hex"]))
    h = msg.header
    assert f"0x{h.msg_id:04X}" == d["msg_id"].upper().replace("0X", "0x")
    assert h.phone == d["phone_bcd"]
    assert h.serial == d["serial"]
    assert h.encryption == d["encryption"]
    assert (h.subpackage is not None) == d["subpackage"]
    assert (h.edition == "2019" or h.flag_on_2013) == d["version_flag"]
    if "protocol_version" in d:
        assert h.edition == "2019" and h.protocol_version == d["protocol_version"]
    if d["subpackage"]:
        assert isinstance(msg.body, Fragment)
        assert (h.subpackage.total, h.subpackage.index) == (d["pkg_total"], d["pkg_index"])  # type: ignore[union-attr]
    if d["encryption"]:
        assert isinstance(msg.body, UnknownBody)
    if "location" in d:
        assert isinstance(msg.body, LocationReport)
        _check_location(msg.body.location, d["location"])
    if "batch" in d:
        assert isinstance(msg.body, BatchLocationUpload)
        assert msg.body.kind == d["batch"]["type"]
        assert len(msg.body.locations) == d["batch"]["count"]
        for loc, want in zip(msg.body.locations, d["batch"]["locations"], strict=True):
            _check_location(loc, want)
    if "register" in d:
        b = msg.body
        assert isinstance(b, TerminalRegister)
        want = d["register"]
        assert (b.province, b.city, b.maker, b.model) == (
            want["province"],
            want["city"],
            want["maker"],
            want["model"],
        )
        assert (b.terminal_model_id, b.plate_color) == (want["terminal_id"], want["plate_color"])
        assert b.plate == want["plate"].strip("\x00")
    if "auth" in d:
        assert isinstance(msg.body, TerminalAuth)
        assert msg.body.auth_code == d["auth"]["auth_code"]
        assert msg.body.imei == d["auth"].get("imei", "")
        assert msg.body.software_version == d["auth"].get("sw_version", "")
    if "reply" in d:
        b = msg.body
        assert isinstance(b, TerminalResponse | PlatformResponse)
        want = d["reply"]
        assert (b.reply_serial, b.reply_msg_id, b.result) == (
            want["reply_serial"],
            int(want["reply_msg_id"], 16),
            want["result"],
        )
    if "reg_reply" in d:
        b = msg.body
        assert isinstance(b, RegisterResponse)
        want = d["reg_reply"]
        assert (b.reply_serial, b.result, b.auth_code) == (
            want["reply_serial"],
            want["result"],
            want["auth_code"],
        )


@pytest.mark.parametrize("index", BAD)
def test_malformed_frame_is_rejected_with_a_clear_error(index: int) -> None:
    row = ROWS[index]
    d = row["expect"]["derived"]
    raw = bytes.fromhex(row["hex"])
    with pytest.raises(Jt808DecodeError) as info:
        decode(raw)
    err = info.value
    assert err.data == raw
    assert 0 <= err.offset <= len(raw)
    text = str(err)
    assert text.startswith(f"jt808 offset {err.offset}: ")
    assert raw.hex() in text
    if d.get("checksum_ok") is False:
        assert "check code" in err.reason
    elif d.get("body_len_ok") is False:
        assert "body length" in err.reason
    elif "decode_error" in d:
        assert "0x7d" in err.reason or "short" in err.reason
    else:
        assert "overruns" in err.reason


@pytest.mark.parametrize("index", [i for i in BAD if "decode_error" not in ROWS[i]["expect"]["derived"]])
def test_tolerant_mode_accepts_what_traccar_accepts(index: int) -> None:
    msg = decode(bytes.fromhex(ROWS[index]["hex"]), strict=False)
    assert f"0x{msg.msg_id:04X}" == ROWS[index]["expect"]["derived"]["msg_id"].replace("0X", "0x").upper().replace(
        "0X", "0x"
    )


YEZHIHAO = [i for i, r in enumerate(ROWS) if r["source_repo"] == "yezhihao/jt808-server"]


@pytest.mark.parametrize("index", YEZHIHAO)
def test_reencode_is_byte_identical(index: int) -> None:
    """jt808-server round-trips these byte for byte; so do we (2013 and 2019, uplink and downlink)."""
    raw = bytes.fromhex(ROWS[index]["hex"])
    assert encode(decode(raw)) == raw


def test_yezhihao_covers_both_editions() -> None:
    editions = {decode(bytes.fromhex(ROWS[i]["hex"])).header.edition for i in YEZHIHAO}
    assert editions == {"2013", "2019"}
    assert len(YEZHIHAO) == 32


def _asserted(source: str) -> list[tuple[int, dict[str, Any]]]:
    return [(i, r["expect"].get("asserted", {})) for i, r in enumerate(ROWS) if r["source_repo"] == source]


def test_go_jt808_asserted_values() -> None:
    for index, asserted in _asserted("cuteLittleDevil/go-jt808"):
        raw = bytes.fromhex(ROWS[index]["hex"])
        if "error" in asserted:
            if index == 111:
                # go-jt808 refuses a 0x11 item of length 0; the standard's item list is still well formed,
                # so we keep that item raw instead of inventing a value.
                body = decode(raw).body
                assert isinstance(body, LocationReport)
                assert RawItem(0x11, b"") in body.location.items
            else:
                with pytest.raises(Jt808DecodeError):
                    decode(raw)
            continue
        msg = decode(raw) if index != 114 else None
        for key, want in asserted.items():
            if key == "T0x0100":
                b = msg.body  # type: ignore[union-attr]
                assert isinstance(b, TerminalRegister)
                assert (b.province, b.city, b.maker, b.model) == (
                    want["ProvinceID"],
                    want["CityID"],
                    want["ManufacturerID"],
                    want["TerminalModel"],
                )
                assert (b.terminal_model_id, b.plate_color, b.plate) == (
                    want["TerminalID"],
                    want["PlateColor"],
                    want["LicensePlateNumber"],
                )
                assert b.layout == want["Version"][-4:]
            elif key == "T0x0102":
                assert isinstance(msg.body, TerminalAuth)  # type: ignore[union-attr]
                assert msg.body.auth_code == want["AuthCode"]  # type: ignore[union-attr]
                assert msg.body.imei == want.get("TerminalIMEI", "")  # type: ignore[union-attr]
            elif key == "T0x0200":
                loc = msg.body.location  # type: ignore[union-attr]
                assert (loc.alarm, loc.status, loc.altitude_m, loc.course) == (
                    want["AlarmSign"],
                    want["StatusSign"],
                    want["Altitude"],
                    want["Direction"],
                )
                assert round(loc.lat * 1e6) == want["Latitude"] and round(loc.lon * 1e6) == want["Longitude"]
                assert round(loc.speed_kmh * 10) == want["Speed"]
                assert loc.time == datetime.fromisoformat(want["DateTime"] + "+08:00")
            elif key == "T0x0704":
                b = msg.body  # type: ignore[union-attr]
                assert isinstance(b, BatchLocationUpload)
                assert (len(b.locations), b.kind) == (want["Num"], want["LocationType"])
            elif key == "additions":
                loc = msg.body.location  # type: ignore[union-attr]
                by_id = {_item_id(i): i for i in loc.items}
                assert round(by_id[0x01].km * 10) == want["0x01_mileage_raw"]
                assert round(by_id[0x02].litres * 10) == want["0x02_fuel_raw"]
                assert round(by_id[0x03].kmh * 10) == want["0x03_recorder_speed_raw"]
                assert by_id[0x04].event_id == want["0x04_alarm_event_id"]
                assert list(by_id[0x05].values[:3]) == want["0x05_tire_pressure_first3"]
                assert by_id[0x06].celsius == want["0x06_carriage_temp"]
                assert by_id[0x11].location_type == want["0x11_overspeed_location_type"]
                assert (by_id[0x12].location_type, by_id[0x12].area_id, by_id[0x12].direction) == (
                    want["0x12_inout_area"]["type"],
                    want["0x12_inout_area"]["id"],
                    want["0x12_inout_area"]["direction"],
                )
                assert (by_id[0x13].route_id, by_id[0x13].seconds, by_id[0x13].result) == (
                    want["0x13_route_time"]["id"],
                    want["0x13_route_time"]["seconds"],
                    want["0x13_route_time"]["result"],
                )
                assert by_id[0x25].bits == want["0x25_ext_signal"]
                assert by_id[0x2A].bits == want["0x2A_io"]
                assert by_id[0x2B].ad0 == want["0x2B_analog"]
                assert by_id[0x30].rssi == want["0x30_rssi"]
                assert by_id[0x31].count == want["0x31_gnss_sats"]
            elif key in ("T0x0001", "P0x8001"):
                b = msg.body  # type: ignore[union-attr]
                serial = want.get("SerialNumber", want.get("RespondSerialNumber"))
                msg_id = want.get("ID", want.get("RespondID"))
                assert (b.reply_serial, b.reply_msg_id, b.result) == (serial, msg_id, want["Result"])  # type: ignore[union-attr]
            elif key == "P0x8100":
                b = msg.body  # type: ignore[union-attr]
                assert (b.reply_serial, b.result, b.auth_code) == (  # type: ignore[union-attr]
                    want["RespondSerialNumber"],
                    want["Result"],
                    want["AuthCode"],
                )
            elif key == "header_reencode_equal":
                assert encode(msg) == raw  # type: ignore[arg-type]


def test_smallchi_asserted_values() -> None:
    for index, asserted in _asserted("SmallChi/JT808"):
        if index in BAD:
            continue  # SmallChi parsed it with SkipCRCCode=true; strict mode rejects it (see above)
        msg = decode(bytes.fromhex(ROWS[index]["hex"]))
        body = msg.body
        if "TextInfo" in asserted:
            assert isinstance(body, TextMessage)
            assert (body.flags, body.text) == (asserted["TextFlag"], asserted["TextInfo"])
            assert body.text_type == asserted.get("TextType")
        if "PlateNo" in asserted:
            assert isinstance(body, TerminalRegister)
            assert (body.province, body.city, body.maker) == (
                asserted["AreaID"],
                asserted["CityOrCountyId"],
                asserted["MakerId"],
            )
            assert (body.plate, body.terminal_model_id, body.model) == (
                asserted["PlateNo"],
                asserted["TerminalId"],
                asserted["TerminalModel"],
            )
            assert msg.header.terminal_id == asserted["TerminalPhoneNo"]
        if "Code" in asserted and asserted["MsgId"] == "0x0102":
            assert isinstance(body, TerminalAuth) and body.auth_code == asserted["Code"]
        if asserted.get("MsgId") == "0x8100":
            assert isinstance(body, RegisterResponse)
            assert body.auth_code == (asserted["Code"] or "")
        if "Positions" in asserted:
            assert isinstance(body, BatchLocationUpload)
            for loc, want in zip(body.locations, asserted["Positions"], strict=True):
                assert round(loc.speed_kmh * 10) == want["Speed"]
                assert round(loc.lat * 1e6) == want["Lat"] and round(loc.lon * 1e6) == want["Lng"]
                assert loc.item(Mileage) == Mileage(want["0x01_Mileage"] / 10)


def test_hikvision_asserted_values() -> None:
    for index, asserted in _asserted("anirudhatalmale6-alt/hikvision-g40-jt808-alarms"):
        msg = decode(bytes.fromhex(ROWS[index]["hex"]))
        assert isinstance(msg.body, LocationReport)
        loc = msg.body.location
        assert loc.acc_on == asserted["acc_on"]
        assert round(loc.speed_kmh * 10) == asserted["speed_raw"]
        if "item_ids_in_order" in asserted:
            assert [f"0x{_item_id(i):02X}" for i in loc.items] == asserted["item_ids_in_order"]
            assert msg.header.terminal_id == asserted["terminal_phone"].lstrip("0")
        if "mileage_km" in asserted:
            assert loc.item(Mileage) == Mileage(asserted["mileage_km"])


def test_driver_identity_card() -> None:
    body = decode(bytes.fromhex(ROWS[7]["hex"])).body
    assert isinstance(body, DriverIdentity)
    assert (body.state, body.ic_result, body.certificate) == (1, 0, "0029b885")


TRACCAR_KEYS = {
    "Position.KEY_SATELLITES": Extra.SATELLITES,
    "Position.KEY_BATTERY": Extra.BATTERY_V,
    "Position.KEY_BATTERY_LEVEL": Extra.BATTERY_PCT,
    "Position.KEY_ICCID": Extra.ICCID,
}


def test_traccar_assertions_on_standard_and_quirk_fields() -> None:
    """Traccar's asserted satellites, and the EB-TLV vendor fields through the named quirk."""
    checked = 0
    quirk = TlvStatusItemQuirk()
    for row in ROWS:
        ta = row["expect"].get("traccar_assert", {})
        key = TRACCAR_KEYS.get(ta.get("key", ""))
        if key is None or _flagged(row["expect"]["derived"]):
            continue
        found = [p.extras.get(key) for p in positions(decode(bytes.fromhex(row["hex"])), quirk=quirk)]
        if key is Extra.SATELLITES:
            assert int(ta["value"]) in found
            checked += 1
        elif any(v is not None for v in found):
            want = ta["value"].strip('"')
            got = found[-1]
            assert str(got) == want or (isinstance(got, float) and got == pytest.approx(float(want)))
            checked += 1
    assert checked == 5
    attributes = decode(bytes.fromhex(ROWS[86]["hex"])).body
    assert isinstance(attributes, TerminalAttributes)
    assert attributes.iccid == ROWS[86]["expect"]["traccar_assert"]["value"].strip('"')
