"""Test-wide set-up for the whole repository (pytest's root conftest)."""

from __future__ import annotations

import os

# Test profile of the settings: MD5 password hasher, Huey in immediate mode, fixed keys.
# pytest-django imports the settings before this file is loaded, so pytest-env sets it first
# (`env` in [tool.pytest.ini_options]); this covers anything that imports the settings later.
os.environ.setdefault("ANXIN_TESTING", "1")

from hypothesis import HealthCheck  # noqa: E402
from hypothesis import settings as hypothesis_settings  # noqa: E402

hypothesis_settings.register_profile(
    "ci",
    deadline=None,
    max_examples=50,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
hypothesis_settings.register_profile(
    "dev",
    deadline=None,
    max_examples=25,
    suppress_health_check=[HealthCheck.too_slow],
)


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if _ci() else "dev"))
