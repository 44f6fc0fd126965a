"""Errors of bookings, each with a stable ``code`` (mapped to HTTP by ``gongwu.app``: 422, 403, 404, 409)."""

from __future__ import annotations

from gongwu.core.errors import Conflict, Forbidden, InvalidInput, NotFound

__all__ = [
    "BadTransition",
    "BookingNotFound",
    "BookingRefused",
    "NotAnApprover",
    "RuleBroken",
]


class BookingNotFound(NotFound):
    """No such booking, or one the caller may not see."""

    code = "dispatch.booking_not_found"
    default_message = "Booking not found."
    default_message_zh = "未找到用车申请。"


class BookingRefused(InvalidInput):
    """The booking breaks a rule of its own (a window, a place, a category, seats): fix it and send again."""

    code = "dispatch.invalid_booking"
    default_message = "The booking is not valid."
    default_message_zh = "用车申请不符合要求。"


class RuleBroken(Conflict):
    """The booking is well formed but the current state forbids it (a sealed period, a quota, a car in use)."""

    code = "dispatch.rule_broken"
    default_message = "The rules of official-car use do not allow this now."
    default_message_zh = "按公务用车管理规定，当前不能办理。"


class BadTransition(Conflict):
    """The booking's status does not allow this step (approving a cancelled booking, completing one not started)."""

    code = "dispatch.bad_transition"
    default_message = "The booking's status does not allow this."
    default_message_zh = "用车申请当前状态不允许此操作。"


class NotAnApprover(Forbidden):
    """The caller may not give this approval (own booking, not the unit's approver, not senior enough)."""

    code = "dispatch.not_an_approver"
    default_message = "You may not approve this booking."
    default_message_zh = "您不能审批该用车申请。"
