"""API schemas of the core app: explicit fields only, never ``fields="__all__"``."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field


class UnitOut(Schema):
    code: str
    name: str
    kind: str = Field(description="city, district, township, village or department")
    parent: str | None = Field(description="the parent unit's code")
    division_code: str = Field(description="statistical division code; empty for departments")
    version: int


class UnitListOut(Schema):
    items: list[UnitOut]
    count: int
    next: str | None


class UnitFilter(Schema):
    kind: str | None = None
    parent: str | None = Field(None, description="only the direct children of this unit code")
    within: str | None = Field(None, description="only this unit code and its whole subtree")
    q: str | None = Field(None, description="name contains")


class MeOut(Schema):
    username: str
    name: str
    roles: list[str]
    unit: str | None


class ErrorOut(Schema):
    message: str
    code: str
    extra: dict


class StaffOut(Schema):
    username: str
    name: str
    unit: str | None = Field(description="home unit code")
    unit_name: str | None
    is_active: bool
    roles: list[str] = Field(description="role codes held (any scope)")
    email: str
    phone: str | None = Field(
        description="only for a caller who may manage this account; otherwise null"
    )
    last_login: datetime | None
    version: int


class StaffListOut(Schema):
    items: list[StaffOut]
    count: int
    next: str | None


class StaffFilter(Schema):
    unit: str | None = Field(None, description="home unit within this unit code")
    q: str | None = Field(None, description="part of the username or the name")
    active: str | None = Field(None, description="1: active only, 0: disabled only")


class RoleOut(Schema):
    id: int
    role: str
    role_label: str
    unit: str = Field(description="scope unit code")
    unit_name: str
    include_subtree: bool
    granted_at: datetime
