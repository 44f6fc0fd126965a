"""HTTP shapes of identity."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class RefreshIn(BaseModel):
    refresh_token: str = Field(min_length=10)


class TokensOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int


class UnitIn(BaseModel):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=120)
    name_en: str | None = Field(None, max_length=160)
    kind: str = Field(description="bureau | department | office")
    parent_id: int | None = None


class UnitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    parent_id: int | None
    code: str
    name: str
    name_en: str | None
    kind: str
    path: str


class UserIn(BaseModel):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    full_name: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=8, max_length=256)
    unit_id: int
    rank: str
    roles: list[str] = Field(default_factory=lambda: ["requester"])
    phone: str | None = Field(None, max_length=32)


class UserPatch(BaseModel):
    full_name: str | None = Field(None, min_length=1, max_length=80)
    unit_id: int | None = None
    rank: str | None = None
    phone: str | None = Field(None, max_length=32)
    disabled: bool | None = None
    password: str | None = Field(None, min_length=8, max_length=256)


class RolesIn(BaseModel):
    roles: list[str]


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    full_name: str
    rank: str
    unit_id: int
    phone: str | None
    disabled: bool
    roles: list[str] = []


class MeOut(BaseModel):
    id: int
    username: str
    full_name: str
    rank: str
    unit_id: int
    unit_name: str
    roles: list[str]
    permissions: list[str]
    wide_sight: bool


class RoleOut(BaseModel):
    code: str
    name_zh: str
    name_en: str
    wide_sight: bool
    permissions: list[str]
