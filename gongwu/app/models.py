"""Every ORM model of the platform, imported in one place so metadata is complete (migrations, tests)."""

from gongwu.core.audit import AuditRecord
from gongwu.core.budget.models import BudgetEntry, BudgetLine, FiscalYear
from gongwu.core.db import Base
from gongwu.core.fleet.models import Driver, Vehicle, VehicleQuota, VehicleSeal
from gongwu.core.identity.models import OrgUnit, User, UserRole

__all__ = [
    "AuditRecord",
    "Base",
    "BudgetEntry",
    "BudgetLine",
    "Driver",
    "FiscalYear",
    "OrgUnit",
    "User",
    "UserRole",
    "Vehicle",
    "VehicleQuota",
    "VehicleSeal",
]
