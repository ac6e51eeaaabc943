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
