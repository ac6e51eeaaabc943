"""Supervision tests need the app installed.

Until ``"anxin.supervision"`` is in ``config.settings.INSTALLED_APPS``, run them with
``--ds=anxin.supervision.tests.settings``; a plain run of the whole suite skips them (loudly)
rather than failing at import. Remove this guard once the app is installed.
"""

from __future__ import annotations

import warnings

from django.conf import settings

if "anxin.supervision" not in settings.INSTALLED_APPS:
    warnings.warn(
        "anxin.supervision is not in INSTALLED_APPS: its tests are not collected "
        "(run them with --ds=anxin.supervision.tests.settings)",
        stacklevel=1,
    )
    collect_ignore_glob = ["test_*.py"]
