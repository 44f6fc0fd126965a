"""The drivers' tables: task progress rows and expense rows. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.dispatch.driving.models import DriverExpense, DriverTask

__all__ = ["expense", "list_expenses", "task_of", "tasks_by_booking"]


async def tasks_by_booking(session: AsyncSession, booking_ids: Sequence[int]) -> dict[int, DriverTask]:
    """The progress rows of these bookings (a booking its driver has not touched has none)."""
    if not booking_ids:
        return {}
    rows = (await session.scalars(select(DriverTask).where(DriverTask.booking_id.in_(booking_ids)))).all()
    return {t.booking_id: t for t in rows}


async def task_of(session: AsyncSession, booking_id: int, *, lock: bool = False) -> DriverTask | None:
    query = select(DriverTask).where(DriverTask.booking_id == booking_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    task: DriverTask | None = await session.scalar(query)
    return task


async def list_expenses(
    session: AsyncSession,
    *,
    driver_id: int | None = None,
    vehicle_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 200,
) -> Sequence[DriverExpense]:
    query = select(DriverExpense)
    if driver_id is not None:
        query = query.where(DriverExpense.driver_id == driver_id)
    if vehicle_id is not None:
        query = query.where(DriverExpense.vehicle_id == vehicle_id)
    if start is not None:
        query = query.where(DriverExpense.at >= start)
    if end is not None:
        query = query.where(DriverExpense.at < end)
    return (await session.scalars(query.order_by(DriverExpense.at.desc(), DriverExpense.id.desc()).limit(limit))).all()


async def expense(session: AsyncSession, expense_id: int) -> DriverExpense | None:
    found: DriverExpense | None = await session.get(DriverExpense, expense_id)
    return found
