"""``{% may_issue_notices as flag %}``: whether the signed-in person may issue 督办 notices."""

from __future__ import annotations

from typing import Any

from django import template

from anxin.core.scoping import can

register = template.Library()


@register.simple_tag(takes_context=True)
def may_issue_notices(context: Any) -> bool:
    request = context.get("request")
    return request is not None and can(request.user, "notice.issue")
