"""Models of the reports app, one module per topic."""

from anxin.reports.models_rankings import IndicatorWeight  # noqa: F401
