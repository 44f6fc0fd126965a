"""Errors of the drivers' side, each with a stable ``code`` (mapped to HTTP by ``gongwu.app``)."""

from __future__ import annotations

from gongwu.core.errors import Conflict, InvalidInput, NotFound

__all__ = ["BadReceipt", "CheckinMismatch", "ExpenseRefused", "NotADriver", "StepRefused", "TaskNotFound"]


class NotADriver(NotFound):
    """The caller is no driver (no driver record is linked to their login)."""

    code = "dispatch.not_a_driver"
    default_message = "No driver is linked to your login."
    default_message_zh = "您的账号未关联驾驶员。"


class TaskNotFound(NotFound):
    """No such task, or one that is not the caller's."""

    code = "dispatch.task_not_found"
    default_message = "Task not found."
    default_message_zh = "未找到任务。"


class StepRefused(Conflict):
    """The task is not at a step that allows this one (dropping off a rider not on board)."""

    code = "dispatch.bad_step"
    default_message = "The task's step does not allow this."
    default_message_zh = "任务当前环节不允许此操作。"


class CheckinMismatch(InvalidInput):
    """The check-in code the rider showed is not the booking's."""

    code = "dispatch.checkin_mismatch"
    default_message = "The check-in code does not match (核验码不符)."
    default_message_zh = "核验码不符。"


class ExpenseRefused(InvalidInput):
    code = "dispatch.invalid_expense"
    default_message = "The expense is not valid."
    default_message_zh = "费用登记不符合要求。"


class BadReceipt(InvalidInput):
    """The receipt photo is missing, too large, or not an image (JPEG, PNG, WebP, HEIC)."""

    code = "dispatch.bad_receipt"
    default_message = "The receipt photo is not valid."
    default_message_zh = "票据照片不符合要求。"
