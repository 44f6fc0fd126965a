"""Who is acting: the user, their unit, roles, permissions and how far they see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute

from gongwu.core.errors import Forbidden, NotFound
from gongwu.core.identity.models import OrgUnit

__all__ = ["Principal"]


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    username: str
    full_name: str
    rank: str
    unit_id: int
    unit_path: str
    roles: frozenset[str]
    permissions: frozenset[str]
    wide_sight: bool

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def require(self, permission: str) -> None:
        if permission not in self.permissions:
            raise Forbidden(
                f"Your roles do not include the permission {permission!r}.",
                code="auth.permission_denied",
                message_zh=f"您的角色没有权限 {permission!r}。",
                details={"permission": permission},
            )

    def sees_path(self, unit_path: str) -> bool:
        """Whether a unit with this materialised path lies within the caller's sight."""
        return self.wide_sight or unit_path.startswith(self.unit_path)

    def unit_filter(self, unit_column: InstrumentedAttribute[Any] | ColumnElement[Any]) -> ColumnElement[bool] | None:
        """A WHERE clause keeping rows of units in sight (None: the caller sees every unit)."""
        if self.wide_sight:
            return None
        subtree = select(OrgUnit.id).where(OrgUnit.path.startswith(self.unit_path))
        return unit_column.in_(subtree)

    def check_unit(self, unit: OrgUnit, *, writing: bool) -> None:
        """Raise unless the unit is in sight: NotFound for reads (nothing leaks), Forbidden for writes."""
        if self.sees_path(unit.path):
            return
        if writing:
            raise Forbidden(
                f"You act for {self.unit_path!r} and cannot act for unit {unit.code}.",
                code="auth.out_of_scope",
                message_zh=f"您只能为本单位及下属单位办理，不能为单位 {unit.code} 办理。",
                details={"unit_id": unit.id},
            )
        raise NotFound(
            f"Unit {unit.id} not found.", code="identity.unit_not_found", message_zh=f"未找到单位 {unit.id}。"
        )
