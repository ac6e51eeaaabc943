"""The project's settings with ``bench.urls`` as the URL configuration (one bare view added)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
