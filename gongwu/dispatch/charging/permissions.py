"""Permission strings of EV charging and the roles granted them (sight by unit comes from the role)."""

from __future__ import annotations

from gongwu.core.identity.permissions import grant, register_permissions

__all__ = ["CHARGING_PERMISSIONS"]

CHARGING_PERMISSIONS = {
    "charging.plan.read": "See charging sites, tariffs and the charging plan (timeline, drivers' instructions)",
    "charging.plan.run": "Re-plan charging on demand",
    "charging.site.manage": "Create and change charging sites, connectors, tariffs and cars' charging profiles",
    "charging.session.read": "See recorded charging sessions and their cost",
    "charging.session.record": "Record a charging session (charged to the owning unit's 30231 budget line)",
    "charging.soc.report": "Report a car's state of charge by hand",
}

register_permissions(CHARGING_PERMISSIONS)
grant("dispatcher", ["charging.plan.read", "charging.plan.run", "charging.session.read", "charging.session.record"])
grant("dispatcher", ["charging.soc.report"])
grant("fleet_manager", list(CHARGING_PERMISSIONS))
grant("driver", ["charging.plan.read", "charging.session.record", "charging.soc.report"])
grant("unit_admin", ["charging.plan.read", "charging.session.read"])
grant("supervisor", ["charging.session.read"])
grant("finance", ["charging.session.read"])
