"""``gongwu frames decode|encode`` against the Typer app directly."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from gongwu.app.frames_cli import app
from tests.devices.vectors import load

runner = CliRunner()
JT = load("jt808")
GB = load("gb32960")


def test_decode_prints_raw_fields_and_the_position_in_utc() -> None:
    result = runner.invoke(app, ["decode", "--protocol", "jt808", JT[13]["hex"]])
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    out = json.loads(line)
    assert out["message"]["header"]["msg_id"] == 0x0200
    assert out["message"]["body"]["location"]["speed_kmh"] == 45.0
    pos = out["position"]
    assert pos["time"] == "2024-01-10T09:26:05Z"  # 17:26:05 Beijing
    assert (pos["lat"], pos["lon"], pos["speed_kmh"], pos["odometer_km"]) == (31.060692, 121.414285, 45.0, 57.2)
    assert pos["extras"]["satellites"] == 22


def test_decode_several_frames_and_stdin_lines() -> None:
    two = JT[0]["hex"] + JT[1]["hex"]
    result = runner.invoke(app, ["decode", "-p", "jt808", two])
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 2
    lines = "\n".join(r["hex"] for r in GB[36:39]) + "\n"
    result = runner.invoke(app, ["decode", "--protocol", "gb32960", "-"], input=lines)
    assert result.exit_code == 0
    outs = [json.loads(x) for x in result.stdout.splitlines()]
    assert [o["message"]["vin"] for o in outs] == ["LZFH25X46RD000171", "1G1BL52P7TR115520", "1G1BL52P7TR115520"]
    assert outs[0]["position"]["soc_pct"] == 26.0


def test_a_bad_frame_is_a_clear_error_and_exit_2() -> None:
    bad = JT[74]["hex"]
    result = runner.invoke(app, ["decode", "--protocol", "jt808", JT[0]["hex"] + bad])
    assert result.exit_code == 2
    assert len(result.stdout.splitlines()) == 1  # the good frame is still printed
    assert result.stderr.strip() == f"error: jt808 offset 52: check code 0xd0, computed 0xf0 (bytes: {bad})"
    tolerant = runner.invoke(app, ["decode", "--protocol", "jt808", "--tolerant", bad])
    assert tolerant.exit_code == 0
    result = runner.invoke(app, ["decode", "--protocol", "gb32960", "2323zz"])
    assert result.exit_code == 2 and result.stderr.startswith("error: gb32960 offset 0: input is not hexadecimal")


def test_nmea_sentences_as_text_or_hex() -> None:
    rmc = "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A"
    for arg in (rmc, rmc.encode().hex()):
        result = runner.invoke(app, ["decode", "--protocol", "nmea", arg])
        assert result.exit_code == 0, result.output
        pos = json.loads(result.stdout)["position"]
        assert pos["time"] == "2094-03-23T12:35:19Z" and pos["lat"] == 48.1173
    result = runner.invoke(app, ["decode", "--protocol", "nmea", rmc[:-1] + "B"])
    assert result.exit_code == 2 and result.stderr.startswith(
        "error: nmea offset 65: checksum does not match: 6B != 6A"
    )


def test_encode_a_text_command_and_decode_it_back() -> None:
    spec = {"msg_id": "0x8300", "phone": "13800000001", "serial": 7, "flags": 8, "text": "请到东门接人"}
    result = runner.invoke(app, ["encode", "--protocol", "jt808", "--json", json.dumps(spec)])
    assert result.exit_code == 0, result.output
    back = json.loads(runner.invoke(app, ["decode", "-p", "jt808", result.stdout.strip()]).stdout)
    assert back["message"]["body"] == {"type": "TextMessage", "flags": 8, "text": "请到东门接人", "text_type": None}
    assert back["message"]["header"]["serial"] == 7


def test_encode_reproduces_a_golden_command_from_json_on_stdin() -> None:
    # the 2019 circle-area command of the vectors, rebuilt from its own decoded JSON
    decoded = json.loads(runner.invoke(app, ["decode", "-p", "jt808", JT[167]["hex"]]).stdout)["message"]
    spec = {"msg_id": "0x8600", **{k: decoded["header"][k] for k in ("phone", "serial", "edition")}}
    spec["body"] = decoded["body"]
    result = runner.invoke(app, ["encode", "--protocol", "jt808"], input=json.dumps(spec))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == JT[167]["hex"]


def test_encode_gb32960_and_errors() -> None:
    spec = {"command": "0x07", "vin": "LGWEF4A52NF123456", "payload": {"type": "Heartbeat"}}
    result = runner.invoke(app, ["encode", "-p", "gb32960", "--json", json.dumps(spec)])
    assert result.exit_code == 0 and result.stdout.startswith("232307fe4c4757")
    bad = runner.invoke(app, ["encode", "-p", "jt808", "--json", '{"msg_id": "0x8300", "flags": 999, "text": "x"}'])
    assert bad.exit_code == 2 and bad.stderr.startswith("error: jt808: flags = 999 does not fit in 8 bits")
