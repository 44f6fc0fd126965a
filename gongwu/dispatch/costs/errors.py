"""Errors of running costs, each with a stable code."""

from __future__ import annotations

from typing import Any

from gongwu.core.errors import Conflict, InvalidInput, NotFound

__all__ = ["ImportRejected", "MonthClosed", "UnknownCategory", "WorkOrderNotFound"]


class ImportRejected(InvalidInput):
    """A file with bad rows: every bad row is named and nothing is imported."""

    code = "costs.import_rejected"

    def __init__(self, errors: list[dict[str, Any]], total: int) -> None:
        super().__init__(
            f"{len(errors)} of {total} rows are not valid; nothing was imported.",
            message_zh=f"共 {total} 行，其中 {len(errors)} 行不符合要求，未导入任何数据。",
            details={"errors": errors, "rows": total},
        )


class MonthClosed(Conflict):
    code = "costs.month_closed"


class UnknownCategory(InvalidInput):
    code = "costs.unknown_category"


class WorkOrderNotFound(NotFound):
    code = "costs.work_order_not_found"
