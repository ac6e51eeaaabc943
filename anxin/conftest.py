"""Fixtures shared by every app's tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from anxin.core.testing import Personas, make_personas


def _reference_data() -> None:
    """The vocabularies and sectors the migrations load. A transactional test (live server,
    concurrent writers) flushes every table when it ends, migration data included; tests that
    run after it in the same worker get them back here."""
    from django.utils import timezone

    from anxin.petitions.models import Category, DeclineReason
    from anxin.petitions.vocabularies import load_vocabularies
    from anxin.safety.checklist_seed import seed_checklists, seed_sectors
    from anxin.safety.models import Sector
    from anxin.safety.models_checklists import ChecklistItem, ChecklistTemplate

    if not Category.objects.exists():
        load_vocabularies(Category, DeclineReason)
    if not Sector.objects.exists():
        seed_sectors(Sector)
        seed_checklists(Sector, ChecklistTemplate, ChecklistItem, published_at=timezone.now())


@pytest.fixture
def personas(db: None) -> Personas:
    _reference_data()
    return make_personas()


def verified_client(user: Any) -> Client:
    """A client signed in as ``user``; administrators also pass their second factor."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from anxin.core.middleware import needs_second_factor

    client = Client()
    client.force_login(user)
    if needs_second_factor(user):
        device, _ = TOTPDevice.objects.get_or_create(user=user, name="test", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def client_for() -> Callable[[Any], Client]:
    return verified_client


@pytest.fixture(autouse=True)
def _default_language() -> Any:
    """Each test starts in the default language (a request may have switched the thread's)."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def _no_webhook_endpoints_cached() -> Any:
    """Each test starts without the process's cached list of webhook endpoints: a test that made
    an endpoint and rolled it back would otherwise leave its id for the next test's deliveries."""
    from anxin.core.webhooks import forget_endpoints

    forget_endpoints()
    yield
    forget_endpoints()
