"""The shared kernel's permission strings and what each role is granted of them.

Modules register theirs the same way in their own ``permissions.py``; the composition root imports them all.
"""

from __future__ import annotations

from gongwu.core.identity.permissions import grant, register_permissions

__all__ = ["CORE_PERMISSIONS"]

CORE_PERMISSIONS = {
    "identity.unit.read": "See the org tree (within one's sight)",
    "identity.unit.manage": "Create and rename org units",
    "identity.user.read": "See users",
    "identity.user.manage": "Create users, disable them, reset passwords, grant roles (narrow roles only)",
    "identity.role.assign_any": "Grant any role, including bureau-wide ones",
    "budget.line.read": "See budget lines and their ledger",
    "budget.line.manage": "Open fiscal years, create and adjust budget lines",
    "budget.ledger.post": "Post reservations, charges and releases by hand",
    "budget.report.read": "Budget execution and 三公经费 reports",
    "fleet.vehicle.read": "See official cars",
    "fleet.vehicle.manage": "Register and change official cars (within the quota)",
    "fleet.driver.read": "See drivers",
    "fleet.driver.manage": "Register and change drivers",
    "fleet.quota.manage": "Set the car quota (编制) of units",
    "fleet.seal.manage": "Seal cars for holidays (封存)",
    "audit.read": "Read and verify the audit chain",
}

register_permissions(CORE_PERMISSIONS)
grant("requester", ["identity.unit.read", "fleet.vehicle.read"])
grant(
    "approver",
    [
        "identity.unit.read",
        "identity.user.read",
        "fleet.vehicle.read",
        "budget.line.read",
        "budget.report.read",
    ],
)
grant("driver", ["fleet.vehicle.read"])
grant("dispatcher", ["identity.unit.read", "identity.user.read", "fleet.vehicle.read", "fleet.driver.read"])
grant(
    "fleet_manager",
    [
        "identity.unit.read",
        "identity.user.read",
        "fleet.vehicle.read",
        "fleet.vehicle.manage",
        "fleet.driver.read",
        "fleet.driver.manage",
        "fleet.quota.manage",
        "fleet.seal.manage",
        "budget.line.read",
    ],
)
grant(
    "unit_admin",
    [
        "identity.unit.read",
        "identity.user.read",
        "identity.user.manage",
        "fleet.vehicle.read",
        "fleet.vehicle.manage",
        "fleet.driver.read",
        "fleet.driver.manage",
        "budget.line.read",
    ],
)
grant(
    "supervisor",
    [
        "identity.unit.read",
        "identity.user.read",
        "fleet.vehicle.read",
        "fleet.driver.read",
        "budget.line.read",
        "budget.report.read",
        "audit.read",
    ],
)
grant(
    "finance",
    [
        "identity.unit.read",
        "fleet.vehicle.read",
        "budget.line.read",
        "budget.line.manage",
        "budget.ledger.post",
        "budget.report.read",
    ],
)
for officer in (
    "asset_officer",
    "office_officer",
    "energy_officer",
    "procurement_officer",
    "reception_officer",
):
    grant(officer, ["identity.unit.read", "identity.user.read"])
