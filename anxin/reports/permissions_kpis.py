"""The actions of indicators and rankings, registered from ``ReportsConfig.ready``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register_kpi_actions() -> None:
    from anxin.core import navigation
    from anxin.core.choices import Role
    from anxin.core.permissions import grant, make_global

    #: read the figures and rankings of units in one's scope; the lists behind them are read
    #: with each item's own permission (petition.view, hazard.view, site.view, accident.view)
    grant(
        {
            Role.CLERK,
            Role.HANDLER,
            Role.UNIT_HEAD,
            Role.SUPERVISOR,
            Role.INSPECTOR,
            Role.VIEWER,
        },
        "kpi.view",
    )
    #: the ranking weights are one city-wide table, kept by the system administrator
    grant({Role.SYSADMIN}, "ranking.manage")
    make_global("ranking.manage")

    navigation.register("indicators", _("Indicators"), "indicator_list", "kpi.view", order=40)
    navigation.register(
        "rankings", _("Rankings"), "ranking_list", "kpi.view", "ranking.manage", order=41
    )
