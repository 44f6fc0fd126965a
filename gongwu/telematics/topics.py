"""Names on the bus. Topics are durable (consumer groups); channels are live fan-out (nothing kept).

``telematics.positions`` — one event per stored position (:meth:`~gongwu.telematics.pipeline.fix.Fix.event`):
``{vehicle_id, terminal_id, time, received_at, lat, lon, speed_kmh, course, ignition, moving, fix_valid,
odometer_km, distance_m, fuel_l, soc_pct, alarms, flags}``, published after the position is stored and acked.

``telematics.sessions`` — ``{kind: online|offline|registered|logout, terminal_id, vehicle_id, gateway, time}``.

``telematics.commands`` — ``{command_id, terminal_id, protocol, identifier, kind, args}``: every gateway reads
it (each in its own group) and sends what is for a terminal it holds.

``telematics.alarms`` — ``{alarm: {…}}`` when an alarm is raised, cleared or acknowledged.

``telematics.trips`` — ``{trip: {…}}`` when a trip starts or ends; ``telematics.geofence`` — enter/exit events.
"""

from __future__ import annotations

__all__ = [
    "ALARMS",
    "ALARM_CHANNEL",
    "COMMANDS",
    "GEOFENCE",
    "LIVE_CHANNEL",
    "POSITIONS",
    "SESSIONS",
    "TRIPS",
]

POSITIONS = "telematics.positions"
SESSIONS = "telematics.sessions"
COMMANDS = "telematics.commands"
ALARMS = "telematics.alarms"
TRIPS = "telematics.trips"
GEOFENCE = "telematics.geofence"

LIVE_CHANNEL = "telematics.live"
"""Broadcast: ``{"items": [live car, …]}`` after the live-state consumer applied a batch."""
ALARM_CHANNEL = "telematics.alarm"
"""Broadcast: ``{"alarm": {…}}`` for the consoles."""
