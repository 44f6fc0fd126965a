"""Errors of pooled dispatch, each with a stable ``code`` (mapped to HTTP by ``gongwu.app``: 422, 404, 409, 503)."""

from __future__ import annotations

from gongwu.core.errors import Conflict, InvalidInput, NotFound, Unavailable

__all__ = [
    "OverrideNotFound",
    "OverrideRefused",
    "PlanNotFound",
    "PlanOutdated",
    "PlanRejected",
    "PlannerBusy",
    "SolverUnavailable",
]


class PlanNotFound(NotFound):
    code = "dispatch.plan_not_found"
    default_message = "Plan not found."
    default_message_zh = "未找到调度方案。"


class OverrideNotFound(NotFound):
    code = "dispatch.override_not_found"
    default_message = "Override not found."
    default_message_zh = "未找到人工指定。"


class OverrideRefused(InvalidInput):
    """The override breaks a rule (a car of another category, too few seats, a leader's car, a sealed car,
    a booking that is over): nothing is stored."""

    code = "dispatch.override_refused"
    default_message = "This override is not allowed."
    default_message_zh = "不允许此人工指定。"


class PlanOutdated(Conflict):
    """The plan is no longer the latest proposal, or a booking changed since it was made: run it again."""

    code = "dispatch.plan_outdated"
    default_message = "The plan is out of date; run the planner again."
    default_message_zh = "调度方案已过时，请重新运行优化。"


class PlanRejected(Conflict):
    """The optimizer's plan failed the independent check; it is not stored (it never reaches a driver)."""

    code = "dispatch.plan_infeasible"
    default_message = "The optimizer's plan failed the feasibility check."
    default_message_zh = "优化生成的调度方案未通过可行性校验。"


class PlannerBusy(Unavailable):
    code = "dispatch.planner_busy"
    default_message = "The planner is busy with another plan; try again in a moment."
    default_message_zh = "正在生成另一个调度方案，请稍后再试。"


class SolverUnavailable(Unavailable):
    """The optimizer's worker process died during the solve, twice (killed, out of memory): nothing was planned
    and no booking changed; the next run starts a fresh worker."""

    code = "dispatch.solver_unavailable"
    default_message = "The optimizer stopped during the solve; nothing changed. Run the planner again."
    default_message_zh = "优化器在求解时中断，未作任何更改，请重新运行调度优化。"
