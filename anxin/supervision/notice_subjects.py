"""The items a 督办单 may be about, filled by the domain apps (supervision imports none of them).

A domain app registers each kind of item it owns in its ``AppConfig.ready``::

    register_subject("safety.hazard", _("Hazard"), hazard_notice_subject)

The resolver takes the issuing person and the item's id and answers a :class:`NoticeSubject`
when the item exists **and that person may see it** (it reads through the app's own
``restrict``), else ``None``. What it puts in ``label`` is all a notice will ever say about the
item: for an accusation (信访工作条例 Art. 30) the petitions resolver gives the case number
only, and lists the complainants' identifying details in ``private_terms`` so that the matters
written by the supervisor cannot carry them either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from anxin.core.models import Unit


@dataclass(frozen=True)
class NoticeSubject:
    #: what the notice says about the item (a number, with a title unless it must not)
    label: str
    #: the unit that answers for the item now: the default addressee of the notice
    unit: Unit
    #: the item's staff page
    url: str = ""
    #: an accusation's accused unit (the shield); None for anything else
    accused_unit: Unit | None = None
    #: words the notice must not contain (a complainant's name, phone, ID number)
    private_terms: tuple[str, ...] = ()


Resolver = Callable[[Any, int], NoticeSubject | None]


@dataclass(frozen=True)
class SubjectType:
    key: str
    label: Any  # a lazy translation
    resolver: Resolver


_TYPES: dict[str, SubjectType] = {}


def register_subject(key: str, label: Any, resolver: Resolver) -> None:
    _TYPES[key] = SubjectType(key, label, resolver)


def subject_types() -> list[SubjectType]:
    return sorted(_TYPES.values(), key=lambda t: t.key)


def is_registered(key: str) -> bool:
    return key in _TYPES


def resolve(key: str, user: Any, subject_id: int) -> NoticeSubject | None:
    """The item ``key``/``subject_id`` as ``user`` may see it, or None (unknown or out of scope)."""
    kind = _TYPES.get(key)
    if kind is None:
        return None
    return kind.resolver(user, subject_id)


def shields(subject: NoticeSubject, unit: Unit) -> bool:
    """Whether ``unit`` is the accused unit of the item, or inside its subtree."""
    accused = subject.accused_unit
    return accused is not None and unit.path.startswith(accused.path)
