"""The reports tests use the petitions' and safety's fixtures (re-exported here)."""

from __future__ import annotations

from anxin.petitions.tests.conftest import claim_category, litigation, register  # noqa: F401
from anxin.safety.tests.conftest import make_site, sector  # noqa: F401
from anxin.safety.tests.hazard_fixtures import (  # noqa: F401
    contact2,
    hazard_factory,
    inspector,
    inspector2,
    media,
    other_site,
    site,
)
