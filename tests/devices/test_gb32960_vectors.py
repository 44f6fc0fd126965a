"""Every GB/T 32960 frame of the shared vectors: decoded and checked against what the sources assert."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from gongwu.devices import Alarm, Gb32960DecodeError
from gongwu.devices.gb32960 import (
    Activation,
    Alarms,
    DriveMotors,
    Engine,
    Extremes,
    Gb32960Message,
    PackTemperatures,
    PackVoltages,
    RealtimeReport,
    Response,
    VehicleData,
    VehicleLogin,
    VehicleLogout,
    VehiclePosition,
    VendorUnit,
    decode,
    encode,
    positions,
    reply,
)
from gongwu.devices.gb32960.messages import PlatformLogin
from tests.devices.vectors import load

ROWS = load("gb32960")
ALL = list(range(len(ROWS)))
# Rows whose data units hold 0xFE "abnormal" markers: we decode them as unknown (None) and re-encode
# unknown as the 0xFF "invalid" marker, so only these are not byte-identical on re-encoding.
WITH_ABNORMAL_MARKERS = {5, 6}

MARKERS = {215, 214, 45535, 45534, 4553.5, 4553.4, 6553.5, 6553.4, 5553.5, 5553.4, 65.535, 65.534}
MARKERS |= {655.35, 655.34, 65535, 65534, 255, 254, -4294.967295, 4294.967295}


def _measured(ours: float | None, derived: float | None) -> None:
    """A derived number that is really the 0xFE/0xFF marker must be unknown (None) for us."""
    if derived is None or derived in MARKERS:
        assert ours is None
    else:
        assert ours == pytest.approx(derived, abs=1e-6)


def test_census() -> None:
    editions = [decode(bytes.fromhex(r["hex"])).edition for r in ROWS]
    assert editions.count("2016") == 29 and editions.count("2025") == 20


@pytest.mark.parametrize("index", ALL)
def test_frame_decodes_and_header_matches(index: int) -> None:
    row = ROWS[index]
    d = row["expect"]["derived"]
    raw = bytes.fromhex(row["hex"])
    msg = decode(raw)
    assert d["bcc_ok"] and d["data_len_ok"]
    assert msg.edition == ("2016" if d["starter"] == "##" else "2025")
    assert msg.command == int(d["cmd"], 16)
    assert msg.response == int(d["ack"], 16)
    assert msg.vin == d["vin"]
    assert msg.encryption == int(d["encryption"], 16)
    if "time_gmt8" in d:
        assert getattr(msg.payload, "time", None) == datetime.fromisoformat(d["time_gmt8"]).astimezone(UTC)
    if index not in WITH_ABNORMAL_MARKERS:
        assert encode(msg) == raw


def _check_unit(unit: Any, want: dict[str, Any]) -> None:
    kind = want["type"]
    if kind == "0x01":
        assert isinstance(unit, VehicleData)
        assert (unit.vehicle_state, unit.charge_state, unit.run_mode) == (
            want["vehicle_state"],
            want["charge_state"],
            want["run_mode"],
        )
        for ours, key in (
            (unit.speed_kmh, "speed_kmh"),
            (unit.odometer_km, "odometer_km"),
            (unit.total_voltage_v, "total_voltage_v"),
            (unit.total_current_a, "total_current_a"),
            (unit.soc_pct, "soc_pct"),
            (unit.accelerator_pct, "accel_pedal"),
            (unit.brake_pct, "brake_pedal"),
        ):
            _measured(ours, want[key])
        assert unit.gear == int(want["gear_byte"], 16) and unit.gear_position == want["gear"]
        assert unit.insulation_kohm == want["insulation_kohm"]  # 2016: no marker on this field
    elif kind == "0x02":
        assert isinstance(unit, DriveMotors)
        for motor, w in zip(unit.motors, want["motors"], strict=True):
            assert (motor.number, motor.state) == (w["no"], w["state"])
            _measured(motor.controller_temp_c, w["ctrl_temp_c"])
            _measured(motor.rpm, w["rpm"])
            _measured(motor.torque_nm, w["torque_nm"])
            _measured(motor.temp_c, w["temp_c"])
            _measured(motor.input_voltage_v, w["in_voltage_v"])
            _measured(motor.dc_current_a, w["dc_current_a"])
    elif kind == "0x04":
        assert isinstance(unit, Engine)
        assert unit.state == want["engine_state"]
        _measured(unit.crank_rpm, want["crank_rpm"])
        _measured(unit.fuel_rate_l_100km, want["fuel_rate_l_100km"])
    elif kind == "0x05":
        assert isinstance(unit, VehiclePosition)
        assert unit.status == int(want["status"], 16) and unit.valid == want["valid"]
        _measured(unit.lat, want["lat"])
        _measured(unit.lon, want["lon"])
    elif kind == "0x06":
        assert isinstance(unit, Extremes)
        assert (unit.max_voltage_subsystem, unit.max_voltage_cell) == (want["max_v_sys"], want["max_v_cell"])
        assert (unit.min_temp_subsystem, unit.min_temp_probe) == (want["min_t_sys"], want["min_t_probe"])
        _measured(unit.max_cell_voltage_v, want["max_cell_v"])
        _measured(unit.min_cell_voltage_v, want["min_cell_v"])
        _measured(unit.max_temp_c, want["max_t_c"])
        _measured(unit.min_temp_c, want["min_t_c"])
    elif kind == "0x07":
        assert isinstance(unit, Alarms)
        assert unit.max_level == want["max_level"]
        assert unit.general_flags == int(want["general_flags"], 16)
        lists = [unit.battery_faults, unit.motor_faults, unit.engine_faults, unit.other_faults]
        assert [[f"{c:08x}" for c in codes] for codes in lists] == want["fault_lists"]
    elif kind == "0x08":
        assert isinstance(unit, PackVoltages)
        for pack, w in zip(unit.packs, want["subsystems"], strict=True):
            assert pack.number == w["no"]
            _measured(pack.voltage_v, w["voltage_v"])
            _measured(pack.current_a, w["current_a"])
            assert (pack.cells_total, pack.first_cell, len(pack.cell_voltages_v)) == (
                w["cells_total"],
                w["frame_start"],
                w["frame_count"],
            )
            for ours, theirs in zip(pack.cell_voltages_v, w["first_cells_v"], strict=False):
                _measured(ours, theirs)
    elif kind == "0x09":
        assert isinstance(unit, PackTemperatures)
        for tpack, w in zip(unit.packs, want["subsystems"], strict=True):
            assert (tpack.number, len(tpack.probe_temps_c)) == (w["no"], w["probe_count"])
            for ours, theirs in zip(tpack.probe_temps_c, w["first_temps_c"], strict=False):
                _measured(ours, theirs)
    else:
        assert isinstance(unit, VendorUnit) and unit.unit_type == int(kind, 16)
        assert 3 + len(unit.data) == want["unparsed_rest_bytes"] + 1


@pytest.mark.parametrize("index", [i for i in ALL if "units" in ROWS[i]["expect"]["derived"]])
def test_2016_units_match_the_derived_values(index: int) -> None:
    d = ROWS[index]["expect"]["derived"]
    report = decode(bytes.fromhex(ROWS[index]["hex"])).payload
    assert isinstance(report, RealtimeReport)
    assert report.resend == (d["cmd"] == "0x03")
    assert len(report.units) == len(d["units"])
    for unit, want in zip(report.units, d["units"], strict=True):
        _check_unit(unit, want)


def test_login_and_logout_derived() -> None:
    for row in ROWS:
        d = row["expect"]["derived"]
        msg = decode(bytes.fromhex(row["hex"]))
        if "login" in d:
            assert isinstance(msg.payload, VehicleLogin)
            assert (msg.payload.serial, msg.payload.iccid) == (d["login"]["serial"], d["login"]["iccid"])
            assert len(msg.payload.pack_codes) == d["login"]["subsys_count"]
            assert msg.payload.code_length == d["login"]["code_len"]
        if "logout_serial" in d:
            assert isinstance(msg.payload, VehicleLogout) and msg.payload.serial == d["logout_serial"]


# ---------------------------------------------------------------- rtm_con's asserted targets (all of 2025)


def _value(text: Any) -> float | None:
    """rtm_con renders values as '12.2 km/h', and markers as '6553.5 invalid' / '214 abnormal'."""
    if isinstance(text, int | float):
        return float(text)
    if "invalid" in text or "abnormal" in text:
        return None
    return float(re.match(r"-?[\d.]+", text).group())  # type: ignore[union-attr]


def _close(ours: float | None, text: Any) -> None:
    want = _value(text)
    assert (ours is None) == (want is None)
    if want is not None:
        assert ours == pytest.approx(want, abs=1e-6)


def _check_rtm_item(unit: Any, item: dict[str, Any], edition: str) -> None:
    c = item["data_content"]
    kind = item["data_type"]
    if kind == "whole_vehicle":
        assert isinstance(unit, VehicleData)
        for ours, key in (
            (unit.speed_kmh, "vehicle_speed"),
            (unit.odometer_km, "mileage_total"),
            (unit.total_voltage_v, "voltage_total"),
            (unit.total_current_a, "current_total"),
            (unit.soc_pct, "soc"),
        ):
            _close(ours, c[key])
        if edition == "2025":
            _close(unit.insulation_kohm, c["insulation_resistance"])
        gear = {"N": 0, "R": 13, "D": 14, "P": 15}[c["gear_state"]["gear"]]
        assert unit.gear_position == gear
        assert bool(unit.gear & 0x10) == bool(c["gear_state"]["braking_force"])
        assert bool(unit.gear & 0x20) == bool(c["gear_state"]["driving_force"])
    elif kind == "emotor":
        assert isinstance(unit, DriveMotors)
        for motor, w in zip(unit.motors, c, strict=True):
            assert motor.number == w["index"]
            for ours, key in (
                (motor.controller_temp_c, "ctrl_temp"),
                (motor.rpm, "speed"),
                (motor.torque_nm, "torque"),
                (motor.temp_c, "temp"),
            ):
                _close(ours, w[key])
    elif kind == "gnss":
        assert isinstance(unit, VehiclePosition)
        assert unit.status & 1 == c["gnss_state"]["gnss_valid"]
        _close(None if unit.lon is None else abs(unit.lon), c["gnss_lng"])
        _close(None if unit.lat is None else abs(unit.lat), c["gnss_lat"])
        if edition == "2025":
            systems = {"wgs84": 1, "gcj02": 2, "other": 3}
            assert unit.coordinate_system == systems.get(c["gnss_gcs"], c["gnss_gcs"])
    elif kind == "warnings":
        assert isinstance(unit, Alarms)
        assert unit.max_level == c["max_warning_level"]
        flags = [int(v) for v in c["general_warnings"].values()]
        assert [unit.general_flags >> bit & 1 for bit in range(len(flags))] == flags
        assert [f"{x:08x}" for x in unit.other_faults] == c["other_failures"]
        assert len(unit.general_levels) == len(c.get("general_warning_list", []))
        for (_, level), w in zip(unit.general_levels, c.get("general_warning_list", []), strict=True):
            assert level == w["level"]
    elif kind == "cell_volts":
        assert isinstance(unit, PackVoltages)
        for pack, w in zip(unit.packs, c, strict=True):
            _close(pack.voltage_v, w["volt"])
            if edition == "2025":  # rtm_con applies the 2025 current offset to 2016 too (see README)
                _close(pack.current_a, w["curr"])
            assert len(pack.cell_voltages_v) == len(w["cell_volts"])
            for ours, theirs in zip(pack.cell_voltages_v, w["cell_volts"], strict=True):
                _close(ours, theirs)
    elif kind == "probe_temps":
        assert isinstance(unit, PackTemperatures)
        for tpack, w in zip(unit.packs, c, strict=True):
            assert len(tpack.probe_temps_c) == len(w["probe_temps"])
            for ours, theirs in zip(tpack.probe_temps_c, w["probe_temps"], strict=True):
                _close(ours, theirs)
    elif kind == "engine":
        assert isinstance(unit, Engine)
        _close(unit.crank_rpm, c["engine_torque"])  # rtm_con's name for the crankshaft speed
        if edition == "2016":
            _close(unit.fuel_rate_l_100km, c["fuel_consumption"])
    elif kind == "pack_extrema":
        assert isinstance(unit, Extremes)
        _close(unit.max_cell_voltage_v, c["max_cell_volt"])
        _close(unit.min_cell_voltage_v, c["min_cell_volt"])
        _close(unit.max_temp_c, c["max_cell_temp"])
        _close(unit.min_temp_c, c["min_cell_temp"])
    else:
        assert isinstance(unit, VendorUnit)
        assert unit.unit_type == kind and unit.data.hex() == c


RTM = [i for i in ALL if ROWS[i]["source_repo"] == "beidouchangxi/rtm_con"]


@pytest.mark.parametrize("index", RTM)
def test_rtm_con_asserted_values(index: int) -> None:
    asserted = ROWS[index]["expect"]["asserted"]
    msg = decode(bytes.fromhex(ROWS[index]["hex"]))
    payload = asserted["payload"]
    assert msg.vin == asserted["vin"]
    assert msg.edition == asserted["starter"][-4:]
    if "timestamp" in payload:
        assert getattr(msg.payload, "time") == datetime.fromisoformat(payload["timestamp"] + "+08:00")  # noqa: B009
    p = msg.payload
    if asserted["msg_type"] == "realtime":
        assert isinstance(p, RealtimeReport)
        known = [u for u in p.units if type(u).__name__ != "RawUnit"]
        for unit, item in zip(known, payload["data_list"], strict=False):
            _check_rtm_item(unit, item, msg.edition)
        if "sig" in payload:
            assert p.signature is not None
            assert p.signature.algorithm == {"sm2": 1, "rsa": 2, "ecc": 3}[payload["sig"]["algo"]]
            assert p.signature.r.hex() == payload["sig"]["r_value"]
            assert p.signature.s.hex() == payload["sig"]["s_value"]
    elif asserted["msg_type"] == "login":
        if asserted["ack"] == "ok":
            assert isinstance(p, Response)
        else:
            assert isinstance(p, VehicleLogin)
            assert (p.serial, p.iccid) == (payload["session_id"], payload["iccid"])
            if msg.edition == "2016":
                assert list(p.pack_codes) == payload["pack_sn"]
            else:
                assert list(p.packs_per_bms) == payload["pack_per_bms"]
                assert list(p.pack_codes) == [c for group in payload["pack_sn_list"] for c in group]
    elif asserted["msg_type"] == "plt_login":
        assert isinstance(p, PlatformLogin)
        assert (p.username, p.password, p.serial) == (payload["username"], payload["password"], payload["session_id"])
    elif asserted["msg_type"] == "activation":
        assert isinstance(p, Activation)
        assert (p.chip_id, p.public_key.hex(), p.vin) == (payload["sec_chip_id"], payload["pubkey"], payload["vin"])
        assert p.signature.r.hex() == payload["sig"]["r_value"]


def test_real_frame_gives_the_normalised_position() -> None:
    msg = decode(bytes.fromhex(ROWS[36]["hex"]))
    (pos,) = positions(msg)
    assert pos.terminal_id == "LZFH25X46RD000171"
    assert pos.time == datetime(2024, 5, 14, 10, 18, 19, tzinfo=UTC)
    assert pos.lat == pytest.approx(30.695328) and pos.lon == pytest.approx(108.284593)
    assert pos.fix_valid and pos.ignition is True
    assert (pos.speed_kmh, pos.odometer_km, pos.soc_pct) == (46.8, 7212.0, 26.0)
    assert pos.alarms == frozenset({Alarm.BRAKE_SYSTEM})  # general flags 0x00002000 = bit 13


def test_invalid_markers_give_unknown_not_numbers() -> None:
    (pos,) = positions(decode(bytes.fromhex(ROWS[4]["hex"])))
    assert (pos.speed_kmh, pos.odometer_km, pos.soc_pct, pos.lat) == (None, None, None, None)
    (pos,) = positions(decode(bytes.fromhex(ROWS[9]["hex"])))
    assert (pos.lat, pos.lon, pos.fix_valid) == (None, None, False)


def test_replies_echo_the_time_with_the_response_flag() -> None:
    login = decode(bytes.fromhex(ROWS[2]["hex"]))
    ack = reply(login)
    assert ack is not None
    back = decode(ack)
    assert (back.command, back.response, back.vin) == (0x01, 0x01, login.vin)
    assert isinstance(back.payload, Response) and back.payload.time == login.payload.time  # type: ignore[union-attr]
    # rtm_con's own ack2016 sample is exactly what we build for its login
    assert ack.hex() == ROWS[26]["hex"]
    heartbeat = decode(bytes.fromhex(ROWS[47]["hex"]))
    assert decode(reply(heartbeat) or b"").payload == Response(None)
    sync = decode(bytes.fromhex(ROWS[48]["hex"]))
    now = datetime(2026, 3, 1, 4, 5, 6, tzinfo=UTC)
    answered = decode(reply(sync, now=now) or b"")
    assert answered.payload == Response(now) and answered.response == 0x01
    assert reply(back) is None


def test_bad_bcc_and_length_are_clear_errors() -> None:
    raw = bytearray(bytes.fromhex(ROWS[38]["hex"]))
    raw[-1] ^= 0xFF
    with pytest.raises(Gb32960DecodeError, match="BCC"):
        decode(bytes(raw))
    with pytest.raises(Gb32960DecodeError, match="data unit length") as info:
        decode(bytes.fromhex(ROWS[38]["hex"])[:-2])
    assert str(info.value).startswith("gb32960 offset 22: ")


def test_message_is_a_value() -> None:
    a = decode(bytes.fromhex(ROWS[38]["hex"]))
    assert isinstance(a, Gb32960Message)
    assert a == decode(bytes.fromhex(ROWS[38]["hex"]))
