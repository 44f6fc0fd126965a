"""Budget tables. Amounts are :class:`~gongwu.core.db.Money` (exact yuan, stored as fen)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gongwu.core.audit import Audited
from gongwu.core.db import Base, BigIntPK, Money, UTCDateTime, utcnow

__all__ = ["BudgetEntry", "BudgetLine", "FiscalYear"]


class FiscalYear(Audited, Base):
    """预算年度. Closed years accept no new reservations or charges."""

    __tablename__ = "fiscal_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(8), default="open")


class BudgetLine(Audited, Base):
    """A budget line (预算指标) of one unit, one year, one economic and functional class.

    ``reserved`` and ``charged`` are kept in step with the ledger by the service, under a conditional update
    that can only succeed while ``amount - reserved - charged >= 0``; the CHECK constraint backs it up.
    """

    __tablename__ = "budget_line"
    __table_args__ = (
        UniqueConstraint("unit_id", "year", "economic_class", "functional_class"),
        CheckConstraint("reserved >= 0 AND charged >= 0 AND amount >= reserved + charged", name="not_overspent"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    year: Mapped[int] = mapped_column(ForeignKey("fiscal_year.year"))
    economic_class: Mapped[str] = mapped_column(String(8))
    functional_class: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(120))
    amount: Mapped[Decimal] = mapped_column(Money())
    reserved: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    charged: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def available(self) -> Decimal:
        return self.amount - self.reserved - self.charged


class BudgetEntry(Audited, Base):
    """One ledger entry: ``reserve`` (+reserved), ``release`` (−reserved), ``charge`` (+charged, and the
    source's open reservation consumed up to the amount), ``adjust`` (the line's amount changed)."""

    __tablename__ = "budget_entry"
    __table_args__ = (Index("ix_budget_entry_source", "source_type", "source_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("budget_line.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    amount: Mapped[Decimal] = mapped_column(Money())
    reserved_delta: Mapped[Decimal] = mapped_column(Money())
    charged_delta: Mapped[Decimal] = mapped_column(Money())
    source_type: Mapped[str] = mapped_column(String(48))
    source_id: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(255))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
