"""Errors of pooled dispatch, each with a stable ``code`` (mapped to HTTP by ``gongwu.app``: 422, 404, 409, 503)."""

from __future__ import annotations

from gongwu.core.errors import Conflict, InvalidInput, NotFound, Unavailable

__all__ = ["OverrideNotFound", "OverrideRefused", "PlanNotFound", "PlanOutdated", "PlanRejected", "PlannerBusy"]


class PlanNotFound(NotFound):
    code = "dispatch.plan_not_found"
    default_message = "Plan not found."


class OverrideNotFound(NotFound):
    code = "dispatch.override_not_found"
    default_message = "Override not found."


class OverrideRefused(InvalidInput):
    """The override breaks a rule (a car of another category, too few seats, a leader's car, a sealed car,
    a booking that is over): nothing is stored."""

    code = "dispatch.override_refused"
    default_message = "This override is not allowed."


class PlanOutdated(Conflict):
    """The plan is no longer the latest proposal, or a booking changed since it was made: run it again."""

    code = "dispatch.plan_outdated"
    default_message = "The plan is out of date; run the planner again."


class PlanRejected(Conflict):
    """The optimizer's plan failed the independent check; it is not stored (it never reaches a driver)."""

    code = "dispatch.plan_infeasible"
    default_message = "The optimizer's plan failed the feasibility check."


class PlannerBusy(Unavailable):
    code = "dispatch.planner_busy"
    default_message = "The planner is busy with another plan; try again in a moment."
