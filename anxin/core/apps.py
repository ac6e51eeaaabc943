from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "anxin.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from anxin.core import (  # noqa: F401
            calendar,
            checks,
            checks_calendar,
            permissions,
            signals,
            webhooks,
        )

        permissions.register_core_actions()
        calendar.register_calendar_actions()
        webhooks.register_webhook_actions()
        webhooks.connect_subject_models()
        permissions.register_core_navigation()
