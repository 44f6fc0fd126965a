"""Permission strings of telematics and the roles granted them (sight by unit comes from the role)."""

from __future__ import annotations

from gongwu.core.identity.permissions import grant, register_permissions

__all__ = ["TELEMATICS_PERMISSIONS"]

TELEMATICS_PERMISSIONS = {
    "telematics.live.read": "See cars live on the map, their tracks, trips and alarms",
    "telematics.alarm.ack": "Acknowledge alarms",
    "telematics.terminal.read": "See terminals and their commands",
    "telematics.terminal.manage": "Provision terminals, bind them to cars, reset their registration",
    "telematics.command.send": "Send commands to terminals (text, location query, parameters, geofences)",
    "telematics.geofence.manage": "Draw geofences, approved areas and speed zones",
    "telematics.calendar.manage": "Set the working calendar of a unit",
}

register_permissions(TELEMATICS_PERMISSIONS)
grant("dispatcher", ["telematics.live.read", "telematics.alarm.ack", "telematics.terminal.read"])
grant("dispatcher", ["telematics.command.send", "telematics.geofence.manage"])
grant("fleet_manager", list(TELEMATICS_PERMISSIONS))
grant("unit_admin", ["telematics.live.read", "telematics.terminal.read"])
grant("supervisor", ["telematics.live.read", "telematics.terminal.read"])
