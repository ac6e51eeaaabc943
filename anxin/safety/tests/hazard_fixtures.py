"""Fixtures of the inspection and hazard tests, loaded by their modules with
``pytest_plugins = ["anxin.safety.tests.hazard_fixtures"]``; uploads go to a temporary folder
with ``pytest.mark.usefixtures("media")``.

The site is in V1 (under T1, under D1) and regulated by the department DEP; its enterprise
contact is the persona ``enterprise``. ``inspector`` and ``inspector2`` are safety inspectors
of D1; ``contact2`` is the enterprise contact of another site in the same township.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from anxin.core.choices import Role
from anxin.core.testing import make_person
from anxin.safety import hazards
from anxin.safety.models import ChecklistItem


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), "red")
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def png_signature(*, blank: bool = False) -> str:
    """A canvas-like PNG data URL: transparent, with a stroke unless ``blank``."""
    import base64

    image = Image.new("RGBA", (60, 20), (0, 0, 0, 0))
    if not blank:
        for x in range(5, 55):
            image.putpixel((x, 10), (0, 0, 0, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def file_upload(name: str = "整改后.jpg", data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data if data is not None else jpeg_with_gps(), "image/jpeg")


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def inspector(personas: Any) -> Any:
    return make_person("insp", personas.city.T1, [(Role.INSPECTOR, personas.city.D1)])


@pytest.fixture
def inspector2(personas: Any) -> Any:
    return make_person("insp2", personas.city.D1, [(Role.INSPECTOR, personas.city.D1)])


@pytest.fixture
def site(personas: Any, make_site: Any) -> Any:
    return make_site(contact_user=personas.enterprise)


@pytest.fixture
def contact2(personas: Any) -> Any:
    return make_person("enterprise2", personas.city.T1, [(Role.ENTERPRISE, personas.city.T1)])


@pytest.fixture
def other_site(make_site: Any, contact2: Any) -> Any:
    from anxin.safety.tests.conftest import VALID_2

    return make_site(name="一街道木业有限公司", credit_code=VALID_2, contact_user=contact2)


@pytest.fixture
def hazard_factory(site: Any) -> Any:
    def make(**overrides: Any) -> Any:
        kwargs: dict[str, Any] = {
            "actor": None,
            "site": site,
            "description": "配电箱未上锁，电缆破损裸露",
            "grade": "general",
            "deadline": timezone.localdate() + timedelta(days=15),
        }
        kwargs.update(overrides)
        return hazards.hazard_create(**kwargs)

    return make


def first_items(site: Any, n: int = 3) -> list[ChecklistItem]:
    return list(
        ChecklistItem.objects.filter(
            template__sector=site.sector, template__is_current=True
        ).order_by("order")[:n]
    )
