"""The public surface of ``gongwu.devices`` is pinned: downstream code imports these names."""

from __future__ import annotations

import gongwu.devices as devices
import gongwu.devices.gb32960 as gb32960
import gongwu.devices.jt808 as jt808
import gongwu.devices.sim as sim


def test_all_names_exist_once() -> None:
    for module in (devices, jt808, gb32960, sim):
        assert len(set(module.__all__)) == len(module.__all__)
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"


def test_the_api_downstream_relies_on() -> None:
    assert {"DecodeError", "EncodeError", "Position", "Alarm", "Extra"} <= set(devices.__all__)
    assert {
        "Jt808Framer",
        "decode",
        "decode_positions",
        "encode",
        "encode_packets",
        "reply",
        "ack_key",
        "general_response",
        "positions",
        "Reassembler",
        "message",
        "quirk_for",
    } <= set(jt808.__all__)
    assert {"Gb32960Framer", "decode", "encode", "reply", "positions"} <= set(gb32960.__all__)
    assert {"Jt808Terminal", "Gb32960Vehicle", "FleetSimulator", "Faults"} <= set(sim.__all__)
    for cls in (devices.Jt808DecodeError, devices.Gb32960DecodeError, devices.NmeaDecodeError):
        assert issubclass(cls, devices.DecodeError)
