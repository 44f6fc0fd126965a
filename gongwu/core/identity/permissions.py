"""Permissions are data: modules register permission strings, roles are granted them here.

A route declares the one permission it needs (``require("dispatch.booking.approve")``). A role also says
how far its holder sees: ``wide_sight`` roles see every unit; the others see their own unit's subtree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = [
    "PERMISSIONS",
    "ROLES",
    "RoleDef",
    "grant",
    "permissions_of",
    "register_permissions",
    "wide_sight",
]

PERMISSIONS: dict[str, str] = {}
"""Every permission string known to the platform, with a one-line description."""


@dataclass
class RoleDef:
    code: str
    name_zh: str
    name_en: str
    wide_sight: bool
    permissions: set[str] = field(default_factory=set)


ROLES: dict[str, RoleDef] = {
    r.code: r
    for r in (
        RoleDef("requester", "用车人", "Requester", False),
        RoleDef("approver", "审批人", "Approver", False),
        RoleDef("dispatcher", "调度员", "Dispatcher", True),
        RoleDef("driver", "驾驶员", "Driver", False),
        RoleDef("fleet_manager", "车辆管理员", "Fleet manager", True),
        RoleDef("unit_admin", "单位管理员", "Unit administrator", False),
        RoleDef("supervisor", "监督审计", "Supervisor / auditor", True),
        RoleDef("finance", "财务", "Finance", True),
        RoleDef("asset_officer", "资产管理员", "Asset officer", True),
        RoleDef("office_officer", "办公用房管理员", "Office-space officer", True),
        RoleDef("energy_officer", "节能管理员", "Energy officer", True),
        RoleDef("procurement_officer", "采购管理员", "Procurement officer", True),
        RoleDef("reception_officer", "接待管理员", "Reception officer", True),
        RoleDef("admin", "系统管理员", "Administrator", True),
    )
}


def register_permissions(descriptions: dict[str, str]) -> None:
    """Add a module's permission strings (``"<module>.<noun>.<verb>"``) to the registry."""
    for name, text in descriptions.items():
        if name.count(".") < 1:
            raise ValueError(f"permission {name!r} must be '<module>.<action>'")
        PERMISSIONS[name] = text
    ROLES["admin"].permissions.update(descriptions)


def grant(role: str, permissions: Iterable[str]) -> None:
    """Give ``role`` the listed (registered) permissions."""
    perms = set(permissions)
    unknown = perms - PERMISSIONS.keys()
    if unknown:
        raise ValueError(f"unregistered permissions: {sorted(unknown)}")
    ROLES[role].permissions.update(perms)


def permissions_of(roles: Iterable[str]) -> frozenset[str]:
    return frozenset(p for r in roles if r in ROLES for p in ROLES[r].permissions)


def wide_sight(roles: Iterable[str]) -> bool:
    return any(ROLES[r].wide_sight for r in roles if r in ROLES)
