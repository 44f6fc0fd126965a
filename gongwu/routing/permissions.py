"""Permission strings of the routing package and the roles granted them."""

from __future__ import annotations

from gongwu.core.identity.permissions import grant, register_permissions

__all__ = ["ROUTING_PERMISSIONS"]

ROUTING_PERMISSIONS = {
    "routing.use": "Ask for routes, travel-time matrices and ETAs",
    "routing.speeds.manage": "Teach the road graph the fleet's own speeds",
}

register_permissions(ROUTING_PERMISSIONS)
for _role in ("requester", "approver", "dispatcher", "driver", "fleet_manager", "supervisor"):
    grant(_role, ["routing.use"])
grant("fleet_manager", ["routing.speeds.manage"])
grant("dispatcher", ["routing.speeds.manage"])
