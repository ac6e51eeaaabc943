"""API schemas of petitions: explicit fields only. Personal data leaves masked."""

from __future__ import annotations

from datetime import date

from ninja import Schema
from pydantic import Field


class PersonIn(Schema):
    name: str = Field("", max_length=50)
    id_number: str = Field("", max_length=18)
    phone: str = Field("", max_length=30)
    address: str = Field("", max_length=200)


class RepresentativeIn(Schema):
    name: str = Field("", max_length=50)
    phone: str = Field("", max_length=30)


class PetitionIn(Schema):
    channel: str = Field(description="web, letter, phone, fax or visit")
    received_on: date | None = Field(None, description="default today; not in the future")
    kind: str = Field(description="suggestion, accusation or claim")
    category: str = Field(description="category code (GET /petition-categories)")
    title: str = Field(max_length=200)
    content: str = Field(max_length=20000)
    unit: str = Field(description="registering unit code")
    place_unit: str | None = None
    complainants: list[PersonIn] = []
    anonymous: bool = False
    confidential: bool = False
    representatives: list[RepresentativeIn] = []
    accused_unit: str | None = None
    accused_person: str = Field("", max_length=100)
    accused_user: str | None = Field(
        None,
        description="username of the accused person, when they have an account: the "
        "case is then invisible to that account (Art. 30)",
    )


class RelatedOut(Schema):
    id: str
    number: str
    reason: str


class PersonOut(Schema):
    name: str
    id_number: str
    phone: str
    address: str
    representative: bool


class PetitionOut(Schema):
    id: str
    number: str
    status: str
    status_label: str
    channel: str
    kind: str
    category: str
    title: str
    received_on: date
    registering_unit: str
    current_unit: str
    lead_unit: str | None
    leader: str | None
    outcome: str
    rating: str
    transfers: int
    supporters: int
    anonymous: bool
    confidential: bool
    flags: list[str]
    version: int
    deadlines: dict[str, str]


class PetitionDetailOut(PetitionOut):
    content: str
    place_unit: str | None
    accused_unit: str | None
    review_unit: str | None
    recheck_unit: str | None
    complainants: list[PersonOut]
    related: list[RelatedOut] = []
    query_code: str | None = Field(
        None, description="only in the reply to POST: hand it to the petitioner"
    )


class PetitionListOut(Schema):
    items: list[PetitionOut]
    count: int
    next: str | None


class EventOut(Schema):
    at: str
    kind: str
    actor: str
    unit: str | None
    data: dict


class CategoryOut(Schema):
    code: str
    name: str


class ActionIn(Schema):
    """Body of POST /petitions/{id}/actions/{action}; each action reads the fields it needs."""

    version: int | None = Field(None, description="the version you read; stale → 409")
    lead_unit: str | None = None
    co_units: list[str] = []
    leader: str | None = None
    reason: str = ""
    channel_advice: str = ""
    to_unit: str | None = None
    upheld: bool | None = None
    days: int | None = None
    outcome: str = ""
    facts: str = ""
    reasons: str = ""
    legal_basis: str = ""
    document: str = ""
    method: str = ""
    delivered_on: date | None = None
    rating: str = ""
    into: str | None = None
