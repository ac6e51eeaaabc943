from anxin.reports.models_rollups import (  # noqa: F401
    AccidentDaily,
    HazardDaily,
    InspectionDaily,
    PetitionDaily,
)
