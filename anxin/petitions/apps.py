from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PetitionsConfig(AppConfig):
    name = "anxin.petitions"
    label = "petitions"
    verbose_name = _("Petitions")

    def ready(self) -> None:
        from anxin.core.choices import Role
        from anxin.core.permissions import grant
        from anxin.petitions import receivers  # noqa: F401

        staff_handling = {Role.CLERK, Role.HANDLER, Role.UNIT_HEAD}
        grant(
            {Role.CLERK, Role.HANDLER, Role.UNIT_HEAD, Role.SUPERVISOR, Role.VIEWER},
            "petition.view",
        )
        grant({Role.CLERK, Role.HANDLER}, "petition.register")
        grant(
            staff_handling,
            "petition.dispatch",
            "petition.settle",
            "petition.deliver",
            "petition.record",
            "petition.close",
            "petition.reveal",
        )
        grant(
            {Role.HANDLER, Role.UNIT_HEAD}, "petition.handle", "petition.review", "petition.recheck"
        )
        grant({Role.UNIT_HEAD}, "petition.approve")
        from anxin.petitions.reception import register_reception_actions

        register_reception_actions()
        from anxin.petitions.notice_subjects import register_notice_subjects

        register_notice_subjects()

        from anxin.core import navigation

        navigation.register("petitions", _("Petitions"), "petition_list", "petition.view", order=10)
        navigation.register(
            "reception",
            _("Public reception days"),
            "reception_session_list",
            "reception.view",
            order=11,
        )

        from anxin.petitions.presenters import CLOCK_LABELS
        from anxin.supervision.links import register_subject_urls, uid_urls

        register_subject_urls(
            "petitions.petition",
            uid_urls("petitions.Petition", "petition_detail"),
            label=_("Petition"),
            clock_labels=CLOCK_LABELS,
        )

        from anxin.petitions.scoping import hidden_petition_ids
        from anxin.supervision.shields import register_subject_shield

        # the whistleblower shield reaches the deadlines of an accusation too (Art. 30)
        register_subject_shield("petitions.petition", hidden_petition_ids)
