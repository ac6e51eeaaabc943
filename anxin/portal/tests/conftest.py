from anxin.petitions.tests.conftest import claim_category, litigation, register  # noqa: F401
