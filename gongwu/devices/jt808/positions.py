"""JT/T 808 location messages → normalised :class:`~gongwu.devices.position.Position`."""

from __future__ import annotations

from gongwu.devices._fast import builder
from gongwu.devices.jt808.codec import Jt808Message
from gongwu.devices.jt808.location import (
    AlarmEventId,
    AnalogInputs,
    ExtendedSignals,
    FuelGauge,
    GnssSatellites,
    IoStatus,
    Location,
    Mileage,
    RecorderSpeed,
    SignalStrength,
    alarms_of,
)
from gongwu.devices.jt808.quirks import Jt808Quirk
from gongwu.devices.jt808.uplink import (
    BatchLocationUpload,
    LocationQueryResponse,
    LocationReport,
    MultimediaUpload,
)
from gongwu.devices.position import Extra, ExtraValue, Position

_new_position = builder(Position)
_MILEAGE, _SATS, _RSSI, _FUEL = Mileage, GnssSatellites, SignalStrength, FuelGauge


def location_to_position(
    loc: Location, terminal_id: str, *, quirk: Jt808Quirk | None = None, blind_area: bool = False
) -> Position:
    odometer = fuel = None
    extras: dict[Extra, ExtraValue] = {Extra.STATUS_BITS: loc.status}
    if loc.alarm:
        extras[Extra.ALARM_BITS] = loc.alarm
    for item in loc.items:
        kind = type(item)
        if kind is Mileage:
            odometer = item.km  # type: ignore[union-attr]
        elif kind is GnssSatellites:
            extras[Extra.SATELLITES] = item.count  # type: ignore[union-attr]
        elif kind is SignalStrength:
            extras[Extra.RSSI] = item.rssi  # type: ignore[union-attr]
        elif kind is FuelGauge:
            fuel = item.litres  # type: ignore[union-attr]
        elif kind is RecorderSpeed:
            extras[Extra.RECORDER_SPEED_KMH] = item.kmh  # type: ignore[union-attr]
        elif kind is IoStatus:
            extras[Extra.IO_STATUS] = item.bits  # type: ignore[union-attr]
        elif kind is ExtendedSignals:
            extras[Extra.EXT_SIGNALS] = item.bits  # type: ignore[union-attr]
        elif kind is AnalogInputs:
            extras[Extra.ANALOG_AD0] = item.ad0  # type: ignore[union-attr]
            extras[Extra.ANALOG_AD1] = item.ad1  # type: ignore[union-attr]
        elif kind is AlarmEventId:
            extras[Extra.ALARM_EVENT_ID] = item.event_id  # type: ignore[union-attr]
    if blind_area:
        extras[Extra.BLIND_AREA] = True
    if quirk is not None:
        extras.update(quirk.extras(loc))
    status = loc.status
    return _new_position(
        terminal_id,
        loc.time,
        loc.lat,
        loc.lon,
        bool(status & 2),
        float(loc.altitude_m),
        loc.speed_kmh,
        float(loc.course),
        bool(status & 1),
        odometer,
        fuel,
        None,
        alarms_of(loc.alarm),
        extras,
    )


def positions(msg: Jt808Message, *, quirk: Jt808Quirk | None = None, terminal_id: str | None = None) -> list[Position]:
    """Every position a message carries (0x0200, 0x0201, each item of 0x0704, 0x0801); else ``[]``."""
    tid = terminal_id if terminal_id is not None else msg.header.terminal_id
    body = msg.body
    if type(body) is LocationReport or isinstance(body, LocationQueryResponse | MultimediaUpload):
        return [location_to_position(body.location, tid, quirk=quirk)]
    if isinstance(body, BatchLocationUpload):
        blind = body.kind == 1
        return [location_to_position(loc, tid, quirk=quirk, blind_area=blind) for loc in body.locations]
    return []
