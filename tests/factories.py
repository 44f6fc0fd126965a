"""Factories for the kernel's nouns, through the services (so every invariant holds), plus login helpers."""

from __future__ import annotations

import itertools
import random
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.budget import service as budget
from gongwu.core.budget.models import BudgetLine
from gongwu.core.db import Database
from gongwu.core.fleet import service as fleet
from gongwu.core.fleet.identifiers import vin_check_digit
from gongwu.core.fleet.models import Vehicle
from gongwu.core.identity import service as identity
from gongwu.core.identity.models import OrgUnit, User

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)
_rng = random.Random(7)
_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


async def unit(
    session: AsyncSession, *, parent: OrgUnit | None = None, kind: str | None = None, name: str = ""
) -> OrgUnit:
    n = next(_seq)
    return await identity.create_unit(
        session,
        code=f"U{n}",
        name=name or f"单位{n}",
        kind=kind or ("bureau" if parent is None else "department"),
        parent_id=parent.id if parent else None,
    )


async def user(session: AsyncSession, at: OrgUnit, *roles: str, rank: str = "staff") -> User:
    return await identity.create_user(
        session,
        username=f"user{next(_seq)}",
        full_name="测试用户",
        password=PASSWORD,
        unit_id=at.id,
        rank_code=rank,
        roles=roles or ("requester",),
    )


def plate(new_energy: bool = False) -> str:
    if new_energy:
        return f"京AD{_rng.choice(_LETTERS)}{_rng.randrange(1000, 9999)}"
    return f"京{_rng.choice(_LETTERS)}{_rng.choice(_LETTERS)}{_rng.randrange(1000, 9999)}"


def vin() -> str:
    body = "LSVAB2BM" + "0" + "TN" + f"{_rng.randrange(10**6):06d}"
    return body[:8] + vin_check_digit(body) + body[9:]


async def vehicle(session: AsyncSession, at: OrgUnit, *, category: str = "other", **kw: Any) -> Vehicle:
    await fleet.set_quota(session, at.id, category, 100)
    fields: dict[str, Any] = {"energy_type": "fuel", "seats": 5, "make_model": "大众 帕萨特"} | kw
    if fields["energy_type"] != "fuel":
        fields.setdefault("battery_kwh", 60.0)
    return await fleet.create_vehicle(
        session,
        plate=fields.pop("plate", plate(fields["energy_type"] != "fuel")),
        vin=vin(),
        unit_id=at.id,
        category=category,
        purchase_date=date(2022, 3, 1),
        **fields,
    )


async def budget_line(
    session: AsyncSession, at: OrgUnit, amount: int | str = 10_000, economic: str = "30231"
) -> BudgetLine:
    await budget.create_fiscal_year(session, 2026)
    return await budget.create_line(
        session, unit_id=at.id, year=2026, economic_class=economic, functional_class="2010301", amount=Decimal(amount)
    )


async def login(api: httpx.AsyncClient, who: User) -> dict[str, str]:
    response = await api.post("/api/auth/login", json={"username": who.username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: compare before and after a refused request to prove nothing changed."""
    from gongwu.app.models import Base

    out: dict[str, list[tuple[Any, ...]]] = {}
    async with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = (await conn.execute(text(f"SELECT * FROM {table.name}"))).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out
