"""Panels of the staff home page, filled by each app (core imports no other app).

An app registers a panel in ``AppConfig.ready``::

    home_panels.register("todo", "reports/todo_panel.html", todo_context, order=10)

``context(request)`` returns the panel's template context, or ``None`` to leave the panel out
for that person. The home page renders the panels in ``order``, then key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class HomePanel:
    key: str
    template: str
    context: Callable[[Any], dict[str, Any] | None]
    order: int = 100


_PANELS: dict[str, HomePanel] = {}


def register(
    key: str,
    template: str,
    context: Callable[[Any], dict[str, Any] | None],
    *,
    order: int = 100,
) -> None:
    _PANELS[key] = HomePanel(key, template, context, order)


def render_for(request: Any) -> list[SafeString]:
    """The panels this person sees on the home page, rendered."""
    out: list[SafeString] = []
    for panel in sorted(_PANELS.values(), key=lambda p: (p.order, p.key)):
        ctx = panel.context(request)
        if ctx is None:
            continue
        out.append(mark_safe(render_to_string(panel.template, ctx, request=request)))  # noqa: S308
    return out
