"""The staff navigation bar, filled by each app (core imports no other app).

An app registers its entries in ``AppConfig.ready``; a person sees an entry when they hold a
role granting one of its actions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from anxin.core.scoping import can


@dataclass(frozen=True)
class NavItem:
    key: str
    label: Any  # a lazy translation
    url_name: str
    actions: tuple[str, ...]
    order: int = 100

    @property
    def url(self) -> str:
        return reverse(self.url_name)


_ITEMS: dict[str, NavItem] = {}


def register(key: str, label: Any, url_name: str, *actions: str, order: int = 100) -> None:
    _ITEMS[key] = NavItem(key, label, url_name, tuple(actions), order)


def items_for(user: Any) -> list[NavItem]:
    if user is None or not user.is_authenticated:
        return []
    return sorted(
        (item for item in _ITEMS.values() if any(can(user, a) for a in item.actions)),
        key=lambda i: (i.order, i.key),
    )
