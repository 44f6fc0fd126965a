"""Permission strings of dispatch (bookings, approvals, pooled plans, drivers' tasks) and the roles granted them.

Sight by unit comes from the role: requesters see their own bookings, approvers and unit administrators their
unit subtree's, bureau-wide roles (dispatcher, fleet manager, supervisor) every booking.
"""

from __future__ import annotations

from gongwu.core.identity.permissions import grant, register_permissions

__all__ = ["DISPATCH_PERMISSIONS"]

DISPATCH_PERMISSIONS = {
    "dispatch.booking.create": "Book an official car (用车申请)",
    "dispatch.booking.read": "See bookings (one's own; approvers their units'; bureau roles all)",
    "dispatch.booking.approve": "Approve or reject the bookings of one's unit subtree (审批)",
    "dispatch.booking.cancel": "Cancel a booking before the trip starts (one's own; approvers and dispatchers any)",
    "dispatch.place.manage": "Keep the list of frequent places offered on the booking page",
    "dispatch.plan.read": "See the pooled-dispatch plan and the optimizer's proposals",
    "dispatch.plan.manage": "Run the optimizer, accept its proposal, assign or re-assign by hand (override)",
    "dispatch.task.read": "See drivers' tasks",
    "dispatch.task.update": "Start and finish legs, check riders in, report odometer and expenses (driver)",
}

register_permissions(DISPATCH_PERMISSIONS)
grant("requester", ["dispatch.booking.create", "dispatch.booking.read", "dispatch.booking.cancel"])
grant("approver", ["dispatch.booking.read", "dispatch.booking.approve", "dispatch.booking.cancel"])
grant("unit_admin", ["dispatch.booking.read"])
grant(
    "dispatcher",
    [
        "dispatch.booking.read",
        "dispatch.booking.cancel",
        "dispatch.place.manage",
        "dispatch.plan.read",
        "dispatch.plan.manage",
        "dispatch.task.read",
        "dispatch.task.update",
    ],
)
grant("driver", ["dispatch.booking.read", "dispatch.task.read", "dispatch.task.update"])
grant("fleet_manager", ["dispatch.booking.read", "dispatch.place.manage", "dispatch.plan.read", "dispatch.task.read"])
grant("supervisor", ["dispatch.booking.read", "dispatch.plan.read", "dispatch.task.read"])
