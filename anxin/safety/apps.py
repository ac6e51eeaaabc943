from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SafetyConfig(AppConfig):
    name = "anxin.safety"
    label = "safety"
    verbose_name = _("Safety hazards")

    def ready(self) -> None:
        from anxin.safety.permissions import register_safety_actions

        register_safety_actions()
        from anxin.safety.notice_subjects import register_notice_subjects

        register_notice_subjects()

        from anxin.core import navigation

        navigation.register(
            "sites", _("Sites"), "site_list", "site.view", "site.view_own", order=20
        )
        navigation.register("sectors", _("Sectors"), "sector_list", "sector.manage", order=21)
        navigation.register("accidents", _("Accidents"), "accident_list", "accident.view", order=24)

        from anxin.safety.presenters_hazards import CLOCK_LABELS as HAZARD_CLOCKS
        from anxin.safety.views_accidents import CLOCK_LABELS as ACCIDENT_CLOCKS
        from anxin.supervision.links import register_subject_urls, uid_urls

        register_subject_urls(
            "safety.hazard",
            uid_urls("safety.Hazard", "hazard_detail"),
            label=_("Hazard"),
            clock_labels=HAZARD_CLOCKS,
        )
        register_subject_urls(
            "safety.accident",
            uid_urls("safety.Accident", "accident_detail"),
            label=_("Accident"),
            clock_labels=ACCIDENT_CLOCKS,
        )
        register_subject_urls(
            "safety.enforcementorder",
            uid_urls("safety.EnforcementOrder", "enforcement_detail"),
            label=_("Enforcement order"),
        )
