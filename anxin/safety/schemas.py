"""API schemas of sites and sectors: explicit fields only."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Schema
from pydantic import Field


class SectorOut(Schema):
    code: str
    name: str
    department: str | None = Field(description="the regulating department's unit code")


class WarningOut(Schema):
    code: str = Field(description="e.g. credit_code_check, no_regulating_unit")
    message: str


class SiteIn(Schema):
    name: str = Field(max_length=200)
    credit_code: str = Field("", max_length=30, description="统一社会信用代码 (GB 32100)")
    sector: str = Field(description="sector code (GET /sectors)")
    unit: str = Field(description="territorial unit (属地) code: a township or a village")
    regulating_unit: str | None = Field(
        None, description="regulating department code; default: the sector's department"
    )
    address: str = Field(max_length=200)
    latitude: float | None = None
    longitude: float | None = None
    risk_level: str = Field(description="red, orange, yellow or blue")
    status: str = Field("active", description="active, suspended or closed")
    contact_user: str | None = Field(None, description="username of the 企业联系人 login")
    contact_name: str = Field("", max_length=50)
    contact_phone: str = Field("", max_length=30)


class SitePatch(Schema):
    version: int = Field(description="the version you read; stale → 409")
    name: str | None = Field(None, max_length=200)
    credit_code: str | None = Field(None, max_length=30)
    sector: str | None = None
    unit: str | None = None
    regulating_unit: str | None = None
    address: str | None = Field(None, max_length=200)
    latitude: float | None = None
    longitude: float | None = None
    risk_level: str | None = None
    status: str | None = None
    contact_user: str | None = None
    contact_name: str | None = Field(None, max_length=50)
    contact_phone: str | None = Field(None, max_length=30)


class PermitOut(Schema):
    id: int
    kind: str
    number: str
    issued_by: str
    issued_on: date
    expires_on: date | None
    version: int


class SiteOut(Schema):
    id: str
    name: str
    credit_code: str
    sector: str
    unit: str
    regulating_unit: str | None
    address: str
    latitude: float | None
    longitude: float | None
    risk_level: str
    status: str
    contact_user: str | None
    contact_name: str = Field(description="masked unless you keep this site's register")
    contact_phone: str = Field(description="masked unless you keep this site's register")
    version: int
    created_at: datetime
    updated_at: datetime
    warnings: list[WarningOut]


class SiteDetailOut(SiteOut):
    permits: list[PermitOut]


class SiteListOut(Schema):
    items: list[SiteOut]
    count: int
    next: str | None
