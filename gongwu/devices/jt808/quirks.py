"""Vendor oddities of JT/T 808 terminals, one named quirk object per terminal model.

A quirk reads vendor additional items (kept as :class:`RawItem` by the standard decoder) into typed
:class:`~gongwu.devices.position.Extra` values; the decoder itself never branches on a vendor. The session
layer picks the quirk for a terminal from its registered model (:func:`quirk_for`).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from gongwu.devices.errors import ObdDecodeError
from gongwu.devices.jt808.location import Location, RawItem
from gongwu.devices.obd import decode_pids
from gongwu.devices.position import Extra, ExtraValue


class Jt808Quirk(Protocol):
    """What a vendor quirk does: turn a location's vendor items into typed extras."""

    @property
    def name(self) -> str: ...

    def extras(self, loc: Location) -> Mapping[Extra, ExtraValue]: ...


@dataclass(frozen=True, slots=True)
class TlvStatusItemQuirk:
    """Item 0xEB of many Shenzhen trackers: records of ``length WORD, type WORD, value`` where
    type 0x00B2 is the ICCID (BCD), 0x002D the backup battery in mV and 0x00A8 the battery percent."""

    name: str = "eb-tlv-status"
    item_id: int = 0xEB

    def extras(self, loc: Location) -> Mapping[Extra, ExtraValue]:
        out: dict[Extra, ExtraValue] = {}
        for item in loc.items:
            if isinstance(item, RawItem) and item.item_id == self.item_id:
                _read_tlv(item.data, out)
        return out


def _read_tlv(data: bytes, out: dict[Extra, ExtraValue]) -> None:
    pos = 0
    while pos + 4 <= len(data):
        length, kind = struct.unpack_from(">HH", data, pos)
        if length < 2 or pos + 2 + length > len(data):
            return
        value = data[pos + 4 : pos + 2 + length]
        if kind == 0x00B2:
            out[Extra.ICCID] = value.hex().rstrip("f")
        elif kind == 0x002D and len(value) == 2:
            out[Extra.BATTERY_V] = int.from_bytes(value, "big") / 1000
        elif kind == 0x00A8 and len(value) == 1:
            out[Extra.BATTERY_PCT] = value[0]
        pos += 2 + length


@dataclass(frozen=True, slots=True)
class ObdPidItemQuirk:
    """OBD terminals that put live OBD-II mode 01 data in one vendor item as ``PID, length, data``
    records (the Gongwu reference OBD dongle, model ``GW-OBD1``; item 0xF3 by default)."""

    name: str = "obd-pid-item"
    item_id: int = 0xF3

    def extras(self, loc: Location) -> Mapping[Extra, ExtraValue]:
        out: dict[Extra, ExtraValue] = {}
        for item in loc.items:
            if isinstance(item, RawItem) and item.item_id == self.item_id:
                try:
                    readings = decode_pids(item.data)
                except ObdDecodeError:
                    continue
                for reading in readings:
                    if reading.extra is not None:
                        out[reading.extra] = reading.value
        return out


QUIRKS: dict[str, Jt808Quirk] = {
    "GW-OBD1": ObdPidItemQuirk(),
    "GL100": TlvStatusItemQuirk(),
    "JC371": TlvStatusItemQuirk(),
}
"""Terminal model (as sent in 0x0100) → its quirk."""


def quirk_for(model: str | None) -> Jt808Quirk | None:
    return QUIRKS.get(model or "")
