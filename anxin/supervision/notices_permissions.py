"""Who issues, reads and answers 督办 notices (registered from ``SupervisionConfig.ready``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register_notice_actions() -> None:
    from anxin.core import navigation
    from anxin.core.choices import ADMIN_ROLES, STAFF_ROLES, Role
    from anxin.core.permissions import grant

    # The addressed unit's staff and whoever supervises it read its notices.
    grant(STAFF_ROLES - ADMIN_ROLES, "notice.view")
    # 督查员, and a unit head over the addressed unit (never over their own: the service
    # refuses a notice to one's own unit).
    grant({Role.SUPERVISOR, Role.UNIT_HEAD}, "notice.issue")
    # The addressed unit answers: its head or its handlers.
    grant({Role.UNIT_HEAD, Role.HANDLER}, "notice.reply")
    navigation.register("notices", _("Supervision notices"), "notice_list", "notice.view", order=30)
