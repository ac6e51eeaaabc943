from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SafetyConfig(AppConfig):
    name = "anxin.safety"
    label = "safety"
    verbose_name = _("Safety hazards")

    def ready(self) -> None:
        from anxin.safety.permissions import register_safety_actions

        register_safety_actions()
