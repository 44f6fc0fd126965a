"""政府支出经济分类: the economic classes costs are booked on, and the 三公经费 groups."""

from __future__ import annotations

import re

from gongwu.core.errors import InvalidInput

__all__ = ["ECONOMIC_CLASSES", "SANGONG", "check_economic_class", "check_functional_class"]

ECONOMIC_CLASSES: dict[str, tuple[str, str]] = {
    "30201": ("办公费", "Office expenses"),
    "30205": ("水费", "Water"),
    "30206": ("电费", "Electricity"),
    "30207": ("邮电费", "Post and telecom"),
    "30211": ("差旅费", "Domestic travel"),
    "30212": ("因公出国(境)费用", "Official travel abroad"),
    "30213": ("维修(护)费", "Repair and maintenance"),
    "30215": ("会议费", "Meetings"),
    "30216": ("培训费", "Training"),
    "30217": ("公务接待费", "Official reception"),
    "30226": ("劳务费", "Labour services"),
    "30227": ("委托业务费", "Commissioned services"),
    "30231": ("公务用车运行维护费", "Official-car running and maintenance"),
    "30239": ("其他交通费用", "Other transport"),
    "30299": ("其他商品和服务支出", "Other goods and services"),
    "31002": ("办公设备购置", "Office equipment purchase"),
    "31013": ("公务用车购置", "Official-car purchase"),
}

SANGONG: dict[str, tuple[str, ...]] = {
    "official_cars": ("30231", "31013"),
    "reception": ("30217",),
    "travel_abroad": ("30212",),
}
"""The three public expenses (三公经费) and the economic classes each sums."""

_FUNCTIONAL = re.compile(r"^\d{3}(\d{2}){0,2}$")


def check_economic_class(code: str) -> str:
    if code not in ECONOMIC_CLASSES:
        raise InvalidInput(
            f"Unknown economic class {code!r}.",
            code="budget.unknown_economic_class",
            message_zh=f"未知的经济分类 {code!r}。",
            details={"known": sorted(ECONOMIC_CLASSES)},
        )
    return code


def check_functional_class(code: str) -> str:
    """政府收支分类 functional class: 3, 5 or 7 digits (类/款/项), e.g. 2010301 行政运行."""
    if not _FUNCTIONAL.match(code):
        raise InvalidInput(
            f"A functional class has 3, 5 or 7 digits (类/款/项), not {code!r}.",
            code="budget.bad_functional_class",
            message_zh=f"功能分类应为 3、5 或 7 位数字（类/款/项），而不是 {code!r}。",
        )
    return code
