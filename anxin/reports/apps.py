from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Read-only figures over the domain apps: indicators, rankings, rollups, dashboards."""

    name = "anxin.reports"
    label = "reports"
    verbose_name = _("Statistics and reports")

    def ready(self) -> None:
        from anxin.reports.permissions_kpis import register_kpi_actions

        register_kpi_actions()
        from anxin.core import home_panels, navigation
        from anxin.core.choices import ADMIN_ROLES, STAFF_ROLES, Role
        from anxin.core.permissions import grant
        from anxin.reports import receivers, todo  # noqa: F401

        grant(STAFF_ROLES - ADMIN_ROLES, "dashboard.view", "monthly_report.view")
        grant({Role.UNIT_HEAD, Role.SUPERVISOR, Role.CLERK}, "monthly_report.request")
        navigation.register(
            "dashboards", _("Dashboards"), "dashboard_city", "dashboard.view", order=30
        )
        home_panels.register("todo", "reports/todo_panel.html", todo.home_panel, order=10)
