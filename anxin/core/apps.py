from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "anxin.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from anxin.core import calendar, checks, checks_calendar, permissions, signals  # noqa: F401

        permissions.register_core_actions()
        calendar.register_calendar_actions()
        permissions.register_core_navigation()
