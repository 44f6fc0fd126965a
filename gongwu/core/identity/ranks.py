"""职级: the ranks of civil servants, with the office-space standard each carries."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RANKS", "Rank", "rank"]


@dataclass(frozen=True, slots=True)
class Rank:
    code: str
    name_zh: str
    name_en: str
    order: int
    """Higher is more senior; approvals that need a senior approver compare this."""
    office_m2: float
    """Usable office area per person for central organs (党政机关办公用房建设标准)."""


RANKS: dict[str, Rank] = {
    r.code: r
    for r in (
        Rank("minister", "正部级", "Minister", 90, 54.0),
        Rank("vice_minister", "副部级", "Vice minister", 80, 42.0),
        Rank("director_general", "正司局级", "Director-general", 70, 24.0),
        Rank("deputy_director_general", "副司局级", "Deputy director-general", 60, 18.0),
        Rank("division_chief", "处级(正)", "Division chief", 50, 12.0),
        Rank("deputy_division_chief", "处级(副)", "Deputy division chief", 45, 12.0),
        Rank("section_chief", "科级", "Section chief", 30, 9.0),
        Rank("staff", "科员", "Staff member", 20, 9.0),
        Rank("clerk", "办事员", "Clerk", 10, 9.0),
        Rank("worker", "工勤人员", "Service staff", 5, 9.0),
    )
}


def rank(code: str) -> Rank:
    try:
        return RANKS[code]
    except KeyError:
        from gongwu.core.errors import InvalidInput

        raise InvalidInput(
            f"Unknown rank {code!r}; use one of: {', '.join(RANKS)}.",
            code="identity.unknown_rank",
            message_zh=f"未知职级 {code!r}；可选：{'、'.join(RANKS)}。",
        ) from None
