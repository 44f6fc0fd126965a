"""Permission strings of running costs and trip supervision, and the roles granted them (sight by unit comes
from the role: unit administrators and approvers see their own units' cars and findings)."""

from __future__ import annotations

from gongwu.core.identity.permissions import grant, register_permissions

__all__ = ["COSTS_PERMISSIONS", "SUPERVISION_PERMISSIONS"]

COSTS_PERMISSIONS = {
    "costs.read": "See cost sheets, per-vehicle evaluations, trip settlements and the 公示 list; export them",
    "costs.record": "Import fuel-card statements, record work orders, fixed costs and fuel stations",
    "costs.manage": "Close a month (月结), settle a booking by hand, set the running-cost quotas (定额)",
}
SUPERVISION_PERMISSIONS = {
    "supervision.read": "See audit findings and their evidence, the supervision dashboard",
    "supervision.decide": "Set a finding's status (confirmed, explained, dismissed) with the reason",
    "supervision.run": "Run the audit for a day on demand",
}

register_permissions(COSTS_PERMISSIONS)
register_permissions(SUPERVISION_PERMISSIONS)
grant("supervisor", ["costs.read", *SUPERVISION_PERMISSIONS])
grant("finance", ["costs.read", "costs.record", "costs.manage", "supervision.read"])
grant("fleet_manager", ["costs.read", "costs.record", "supervision.read"])
grant("unit_admin", ["costs.read", "supervision.read"])
grant("approver", ["costs.read"])
