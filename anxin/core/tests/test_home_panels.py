"""The home page's panel registry: apps add panels, core names none of them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import RequestFactory, override_settings

from anxin.core import home_panels

LOCMEM = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "OPTIONS": {
            "loaders": [
                (
                    "django.template.loaders.locmem.Loader",
                    {"a.html": "A {{ who }}", "b.html": "B {{ who }}"},
                )
            ]
        },
    }
]


@pytest.fixture
def registry() -> Iterator[None]:
    saved = dict(home_panels._PANELS)
    home_panels._PANELS.clear()
    yield
    home_panels._PANELS.clear()
    home_panels._PANELS.update(saved)


@override_settings(TEMPLATES=LOCMEM)
@pytest.mark.usefixtures("registry")
def test_panels_render_in_order_and_may_stay_out() -> None:
    request: Any = RequestFactory().get("/")
    home_panels.register("late", "a.html", lambda r: {"who": "late"}, order=20)
    home_panels.register("early", "b.html", lambda r: {"who": "early"}, order=10)
    home_panels.register("never", "a.html", lambda r: None, order=1)
    assert [str(p) for p in home_panels.render_for(request)] == ["B early", "A late"]
