"""Staff pages of the safety app. Each part appends its paths here."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
