"""Huey discovers ``tasks`` modules of installed apps; the schedule itself is config/schedule.py."""

from config import schedule  # noqa: F401
