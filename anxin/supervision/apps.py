from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "anxin.supervision"
    label = "supervision"
    verbose_name = _("Supervision")

    def ready(self) -> None:
        from anxin.core.choices import ADMIN_ROLES, STAFF_ROLES
        from anxin.core.permissions import grant
        from anxin.core.webhooks import register_deadline_source
        from anxin.supervision import receivers

        register_deadline_source(receivers.open_deadlines)

        # Every business staff member sees the clocks of the units in their scope (to-do
        # lists, 督办); the three administrators (三员) run the system, not the casework.
        grant(STAFF_ROLES - ADMIN_ROLES, "clock.view")

        from anxin.supervision.notices_permissions import register_notice_actions

        register_notice_actions()
        from anxin.supervision.notifications import register_kind

        register_kind("notice.issued", _("督办 notices addressed to my unit"))
        register_kind("notice.replied", _("Replies to 督办 notices I issued"))
        register_kind("notice.sent_back", _("督办 replies sent back to my unit"))

        from anxin.core import navigation

        navigation.register(
            "supervision", _("Deadline supervision"), "supervision_board", "clock.view", order=5
        )
