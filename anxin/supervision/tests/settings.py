"""Test settings until ``anxin.supervision`` is in config.settings.INSTALLED_APPS.

    .venv/bin/pytest anxin/supervision anxin/core/tests/test_calendar*.py \
        --ds=anxin.supervision.tests.settings -p no:cacheprovider
"""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

if "anxin.supervision" not in INSTALLED_APPS:
    INSTALLED_APPS = [*INSTALLED_APPS, "anxin.supervision"]
