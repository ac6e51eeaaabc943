"""API schemas of the core app: explicit fields only, never ``fields="__all__"``."""

from __future__ import annotations

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
