"""Models of the reports app, one module per topic."""

from anxin.reports.models_monthly import MonthlyReport  # noqa: F401
from anxin.reports.models_rankings import IndicatorWeight  # noqa: F401
from anxin.reports.models_rollups import (  # noqa: F401
    AccidentDaily,
    ClockDaily,
    HazardDaily,
    HazardKpiDaily,
    HazardKpiMember,
    InspectionDaily,
    KpiDaily,
    KpiMember,
    PetitionDaily,
    PetitionMonthly,
)
