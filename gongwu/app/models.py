"""Every ORM model of the platform, imported in one place so metadata is complete (migrations, tests)."""

from gongwu.core.audit import AuditRecord
from gongwu.core.budget.models import BudgetEntry, BudgetLine, FiscalYear
from gongwu.core.db import Base
from gongwu.core.fleet.models import Driver, Vehicle, VehicleQuota, VehicleSeal
from gongwu.core.identity.models import OrgUnit, User, UserRole
from gongwu.dispatch.bookings.models import Booking, BookingApproval, BookingCounter, BookingEvent, FrequentPlace
from gongwu.dispatch.charging.models import (
    ChargingConnector,
    ChargingPlanRecord,
    ChargingProfile,
    ChargingSession,
    ChargingSite,
    SocReport,
    Tariff,
    TariffBand,
)
from gongwu.dispatch.driving.models import DriverExpense, DriverTask
from gongwu.dispatch.notify.models import Notification, OutboxEvent
from gongwu.dispatch.pooling.models import DispatchPlan, Override, PlanRoute, PlanStop, PlanUnserved
from gongwu.telematics.models import (
    Alarm,
    CalendarDay,
    DailySummary,
    Geofence,
    GeofenceEvent,
    PositionRow,
    Terminal,
    TerminalCommand,
    TrackState,
    Trip,
    VehicleLimit,
    VehicleStop,
    WorkingCalendar,
)

__all__ = [
    "Alarm",
    "AuditRecord",
    "Base",
    "Booking",
    "BookingApproval",
    "BookingCounter",
    "BookingEvent",
    "BudgetEntry",
    "BudgetLine",
    "CalendarDay",
    "ChargingConnector",
    "ChargingPlanRecord",
    "ChargingProfile",
    "ChargingSession",
    "ChargingSite",
    "DailySummary",
    "DispatchPlan",
    "Driver",
    "DriverExpense",
    "DriverTask",
    "FiscalYear",
    "FrequentPlace",
    "Geofence",
    "GeofenceEvent",
    "Notification",
    "OrgUnit",
    "OutboxEvent",
    "Override",
    "PlanRoute",
    "PlanStop",
    "PlanUnserved",
    "PositionRow",
    "SocReport",
    "Tariff",
    "TariffBand",
    "Terminal",
    "TerminalCommand",
    "TrackState",
    "Trip",
    "User",
    "UserRole",
    "Vehicle",
    "VehicleLimit",
    "VehicleQuota",
    "VehicleSeal",
    "VehicleStop",
    "WorkingCalendar",
]
