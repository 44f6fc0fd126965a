"""HTTP shapes of budgets. Amounts travel as decimal strings of yuan ("1234.50")."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

Yuan = Annotated[Decimal, PlainSerializer(lambda d: f"{d:.2f}", return_type=str, when_used="json")]
"""An amount of yuan, always written with two decimals ("1250.00")."""


class YearIn(BaseModel):
    year: int = Field(ge=2000, le=2100)


class YearOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    year: int
    status: str


class LineIn(BaseModel):
    unit_id: int
    year: int
    economic_class: str = Field(description="e.g. 30231 公务用车运行维护费")
    functional_class: str = Field(description="e.g. 2010301 行政运行")
    amount: Yuan = Field(gt=0, max_digits=14, decimal_places=2)
    name: str | None = Field(None, max_length=120)


class AmountIn(BaseModel):
    amount: Yuan = Field(gt=0, max_digits=14, decimal_places=2)


class PostingIn(BaseModel):
    amount: Yuan | None = Field(None, gt=0, max_digits=14, decimal_places=2)
    source_type: str = Field(min_length=1, max_length=48)
    source_id: str = Field(min_length=1, max_length=64)
    note: str | None = Field(None, max_length=255)


class LineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    unit_id: int
    year: int
    economic_class: str
    functional_class: str
    name: str
    amount: Yuan
    reserved: Yuan
    charged: Yuan
    available: Yuan


class EntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    line_id: int
    kind: str
    amount: Yuan
    reserved_delta: Yuan
    charged_delta: Yuan
    source_type: str
    source_id: str
    note: str | None
    actor_id: int | None
    created_at: datetime


class LineDetailOut(LineOut):
    entries: list[EntryOut]


class ExecutionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    line_id: int
    unit_id: int
    unit_name: str
    economic_class: str
    class_name: str
    amount: Yuan
    reserved: Yuan
    charged: Yuan
    available: Yuan
    execution_rate: float


class SangongOut(BaseModel):
    unit_id: int
    unit_name: str
    budget: dict[str, Yuan]
    charged: dict[str, Yuan]
    total_budget: Yuan
    total_charged: Yuan
