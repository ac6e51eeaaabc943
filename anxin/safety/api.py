"""/api/v1/ endpoints of the safety app. Each part adds its operations to this router."""

from ninja import Router

router = Router(tags=["safety"])
