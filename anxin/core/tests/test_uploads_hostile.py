"""Hostile uploads (issue 8): files are judged by their content, never by their name; images are
re-encoded; SVG, HTML, macro-enabled Office files, zip bombs and oversize files are refused with
a clear Chinese message; names that reach for other folders are refused, names with control or
format characters are cleaned. A refused upload through a real page or API operation leaves no
row, no file under ``MEDIA_ROOT/attachments`` and no audit event.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from anxin.core.attachments import attachment_add, check_content, clean_name
from anxin.core.models import AuditEvent
from anxin.core.models_attachments import Attachment

# The messages a person reads (Chinese, the default language), exactly.
NOT_ACCEPTED = (
    "不接受此类文件。请上传 JPG、PNG、GIF 或 WebP 图片，PDF 文件，不含宏的 Word（.docx）"
    "或 Excel（.xlsx）文件，或纯文本文件。"
)
MARKUP = "不接受 SVG、HTML 和 XML 文件。"
MACROS = "不接受含宏的 Office 文件，请另存为 .docx 或 .xlsx 格式。"
OFFICE_ONLY = "Office 文件仅接受 Word（.docx）和 Excel（.xlsx）格式。"
ARCHIVE = "不接受压缩包，请直接上传文件本身。"
BOMB = "文件解压后远大于其本身，不予接受。"
DAMAGED_IMAGE = "图片已损坏或并非真正的图片。"
TOO_MANY_PIXELS = "图片过大（超过 4000 万像素）。"
TOO_LARGE_1MB = "文件大小超过 1 MB。"
EMPTY = "文件为空。"
FOLDERS = "文件名不能包含目录或“..”。"


# --- hostile files ------------------------------------------------------------------------------


def png(size: tuple[int, int] = (8, 8), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "blue" if mode == "RGB" else 1).save(out, "PNG")
    return out.getvalue()


def jpeg(*, gps: bool = False) -> bytes:
    image = Image.new("RGB", (40, 30), "red")
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"
    if gps:
        exif[0x8825] = {1: "N", 2: (39.0, 54.0, 0.0), 3: "E", 4: (116.0, 23.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def zipped(parts: dict[str, bytes], *, compress: bool = False) -> bytes:
    out = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


def office(main: str, content_type: str, *, extra: dict[str, bytes] | None = None) -> bytes:
    types = (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'content-types"><Override PartName="/{main}" ContentType="{content_type}"/></Types>'
    )
    return zipped({"[Content_Types].xml": types.encode(), main: b"<x/>", **(extra or {})})


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOCM = "application/vnd.ms-word.document.macroEnabled.main+xml"
XLSM = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
PPTM = "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64 + b"PE\x00\x00"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'

#: (what, the file's name, its bytes, the exact message)
REFUSED: list[tuple[str, str, bytes, str]] = [
    ("exe named .jpg", "现场照片.jpg", EXE, NOT_ACCEPTED),
    ("html named .jpg", "photo.jpg", HTML, MARKUP),
    ("html without doctype", "说明.txt", b"<html><script>alert(1)</script></html>", MARKUP),
    ("html fragment", "说明.txt", b"<img src=x onerror=alert(1)>", MARKUP),
    ("html after a BOM", "说明.txt", "\ufeff<script>alert(1)</script>".encode(), MARKUP),
    ("html after a comment", "a.txt", b"<!-- x --> \n<body onload=alert(1)>", MARKUP),
    ("an unclosed comment", "a.txt", b"<!--<script>alert(1)</script>", MARKUP),
    ("svg", "logo.svg", SVG, MARKUP),
    ("svg named .png", "logo.png", SVG, MARKUP),
    ("svg after an xml prolog", "logo.png", b'<?xml version="1.0"?>' + SVG, MARKUP),
    ("svg in utf-16", "logo.png", SVG.decode().encode("utf-16"), NOT_ACCEPTED),
    ("docm", "报告.docm", office("word/document.xml", DOCM), MACROS),
    ("xlsm", "台账.xlsm", office("xl/workbook.xml", XLSM), MACROS),
    ("pptm", "汇报.pptm", office("ppt/presentation.xml", PPTM), MACROS),
    (
        "docx carrying vbaProject.bin",
        "报告.docx",
        office("word/document.xml", DOCX, extra={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"}),
        MACROS,
    ),
    (
        "xlsx declaring a VBA project under another name",
        "台账.xlsx",
        zipped(
            {
                "[Content_Types].xml": b'<Types><Default Extension="dat" '
                b'ContentType="application/vnd.ms-office.vbaProject"/></Types>',
                "xl/workbook.xml": b"<x/>",
                "xl/macros.dat": b"\xd0\xcf\x11\xe0",
            }
        ),
        MACROS,
    ),
    ("pptx", "汇报.pptx", office("ppt/presentation.xml", PPTX), OFFICE_ONLY),
    ("a zip archive named .docx", "报告.docx", zipped({"evil.exe": EXE}), ARCHIVE),
    ("a damaged zip", "报告.docx", b"PK\x03\x04" + b"\x00" * 40, "文件已损坏。"),
    ("truncated jpeg", "现场.jpg", jpeg()[:300], DAMAGED_IMAGE),
    ("png header only", "现场.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 30, DAMAGED_IMAGE),
    ("gif magic and garbage", "a.gif", b"GIF89a" + b"\xff" * 50, DAMAGED_IMAGE),
    ("empty", "a.txt", b"", EMPTY),
    ("binary junk", "a.txt", bytes(range(256)) * 4, NOT_ACCEPTED),
]


@pytest.mark.parametrize("name,data,message", [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_refused_by_content_whatever_the_name(name, data, message):
    with pytest.raises(ValidationError) as exc:
        check_content(data)
    assert exc.value.message_dict == {"file": [message]}


def test_a_png_named_exe_is_kept_as_the_png_it_is(personas, settings, tmp_path):
    """Sanitised, not refused: the content decides, and the stored name takes its extension."""
    settings.MEDIA_ROOT = tmp_path
    stored = attachment_add(
        actor=personas.clerk,
        owner=personas.city.C,
        upload=SimpleUploadedFile("setup.exe", png()),
    )
    assert (stored.name, stored.content_type) == ("setup.png", "image/png")


def test_a_polyglot_loses_what_rides_on_the_image():
    """A JPEG with HTML after its end is re-encoded: the HTML does not survive."""
    data = jpeg() + b"<script>alert(1)</script>"
    checked = check_content(data)
    assert checked.content_type == "image/jpeg"
    assert b"<script" not in checked.data
    gif_js = b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00;*/=alert(1)//"
    with pytest.raises(ValidationError) as exc:
        check_content(gif_js)
    assert exc.value.message_dict == {"file": [DAMAGED_IMAGE]}


def test_photos_lose_their_location_unless_an_inspector_keeps_it():
    data = jpeg(gps=True)
    assert Image.open(io.BytesIO(data)).getexif().get(0x8825)
    assert not Image.open(io.BytesIO(check_content(data).data)).getexif()
    kept = check_content(data, keep_gps=True).data
    assert Image.open(io.BytesIO(kept)).getexif().get(0x8825)


def test_a_public_upload_never_keeps_the_location(personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    stored = attachment_add(
        actor=None,
        owner=personas.city.C,
        upload=SimpleUploadedFile("现场.jpg", jpeg(gps=True)),
        keep_gps=True,
        public=True,
    )
    from anxin.core.attachments import attachment_read

    assert not Image.open(io.BytesIO(attachment_read(stored))).getexif().get(0x8825)


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    """A 1-bit 8000×6000 PNG is a few kB; decoded it would be 48 megapixels."""
    with pytest.raises(ValidationError) as exc:
        check_content(png((8000, 6000), mode="1"))
    assert exc.value.message_dict == {"file": [TOO_MANY_PIXELS]}


def test_a_zip_bomb_is_refused_without_expanding_it(settings):
    settings.ANXIN_UPLOAD_MAX_MB = 1
    bomb = zipped(
        {
            "[Content_Types].xml": b"<Types/>",
            "word/document.xml": b"<x/>",
            "word/media/image1.png": b"\x00" * (6 * 1024 * 1024),
        },
        compress=True,
    )
    assert len(bomb) < 64 * 1024
    with pytest.raises(ValidationError) as exc:
        check_content(bomb)
    assert exc.value.message_dict == {"file": [BOMB]}


def test_an_oversize_file_is_refused_by_its_size(settings):
    settings.ANXIN_UPLOAD_MAX_MB = 1
    with pytest.raises(ValidationError) as exc:
        check_content(b"x" * (1024 * 1024 + 1))
    assert exc.value.message_dict == {"file": [TOO_LARGE_1MB]}


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "..\\..\\windows\\win.ini",
        "/etc/passwd",
        "C:\\boot.ini",
        "\\\\server\\share\\a.txt",
        "a/../../b.txt",
        "..",
        ".htaccess",
        "材料/../../../a.jpg",
        "..\u2215etc",  # a division slash is no folder separator, but '..' is refused anyway
    ],
)
def test_names_that_reach_for_other_folders_are_refused(name):
    with pytest.raises(ValidationError) as exc:
        clean_name(name)
    assert exc.value.message_dict == {"file": [FOLDERS]}


@pytest.mark.parametrize(
    "name,cleaned",
    [
        ("a\x00b.txt", "ab.txt"),
        ("报告\r\nSet-Cookie: x.txt", "报告Set-Cookie x.txt"),
        ("invoice\u202etxt.exe", "invoicetxt.exe"),  # no right-to-left override
        ("隐\u200b患\u200d.jpg", "隐患.jpg"),  # no zero-width characters
        ('<script>"x".txt', "scriptx.txt"),
        ("C:evil.txt", "Cevil.txt"),
        ("\x00\u202e", "file"),
        ("ｅｘｅ.txt", "ｅｘｅ.txt"),  # full-width letters are letters
    ],
)
def test_names_are_cleaned_of_control_and_format_characters(name, cleaned):
    assert clean_name(name) == cleaned


def test_a_very_long_name_is_cut_and_keeps_the_real_extension(personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    stored = attachment_add(
        actor=personas.clerk,
        owner=personas.city.C,
        upload=SimpleUploadedFile("长" * 1000 + ".jpg", "文本".encode()),
    )
    assert stored.name == "长" * 120 + ".txt"


# --- through the real page and API: a refused upload changes nothing ---------------------------


def _files(root: Path) -> list[Path]:
    folder = root / "attachments"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


class _Snapshot:
    def __init__(self, root: Path):
        from anxin.petitions.models import Petition
        from anxin.safety.models_hazards import Hazard

        self.root = root
        self.counts = self._counts(Petition, Hazard)
        self.files = _files(root)

    @staticmethod
    def _counts(*models) -> tuple[int, ...]:
        return (
            Attachment.objects.count(),
            AuditEvent.objects.count(),
            *(m.objects.count() for m in models),
        )

    def unchanged(self) -> bool:
        from anxin.petitions.models import Petition
        from anxin.safety.models_hazards import Hazard

        return self._counts(Petition, Hazard) == self.counts and _files(self.root) == self.files


HOSTILE_UPLOADS = [
    ("evil.svg", SVG, MARKUP),
    ("photo.jpg", HTML, MARKUP),
    ("报告.docm", office("word/document.xml", DOCM), MACROS),
]


@pytest.fixture
def register(personas):
    """A letter registered at the city by the clerk (as the petitions tests do)."""
    from anxin.petitions.models import Category
    from anxin.petitions.services import petition_register

    def make():
        return petition_register(
            actor=personas.clerk,
            channel="letter",
            kind="claim",
            category=Category.objects.get(code="labour"),
            title="拖欠工资三个月未发放",
            content="某建筑公司拖欠农民工工资三个月。",
            unit=personas.city.C,
            anonymous=True,
        )

    return make


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.mark.django_db
@pytest.mark.parametrize("name,data,message", HOSTILE_UPLOADS, ids=[u[0] for u in HOSTILE_UPLOADS])
def test_the_portal_refuses_a_hostile_file_and_keeps_nothing(personas, media, name, data, message):
    """A good file beside the hostile one is not left behind on disk either."""
    before = _Snapshot(media)
    response = Client().post(
        "/portal/petitions/new/",
        {
            "kind": "claim",
            "category": "labour",
            "title": "拖欠工资",
            "content": "工地拖欠工资三个月。",
            "name": "孙八",
            "phone": "13700000000",
            "materials": [
                SimpleUploadedFile("good.txt", "正常的材料".encode()),
                SimpleUploadedFile("ok.png", png()),
                SimpleUploadedFile(name, data),
            ],
        },
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert before.unchanged()


@pytest.mark.django_db
def test_the_portal_hazard_report_refuses_a_hostile_photo_and_keeps_nothing(personas, media):
    before = _Snapshot(media)
    response = Client().post(
        "/portal/hazards/report/",
        {
            "description": "配电箱门敞开，电线裸露",
            "unit": personas.city.V1.code,
            "place_text": "和平路 1 号",
            "anonymous": "on",
            "photos": [
                SimpleUploadedFile("现场.jpg", jpeg(gps=True)),
                SimpleUploadedFile("现场2.jpg", SVG),
            ],
        },
    )
    assert response.status_code == 200
    assert MARKUP in response.content.decode()
    assert before.unchanged()


@pytest.mark.django_db
@pytest.mark.parametrize("name,data,message", HOSTILE_UPLOADS, ids=[u[0] for u in HOSTILE_UPLOADS])
def test_the_api_refuses_a_hostile_file_and_keeps_nothing(
    personas, register, media, name, data, message
):
    from anxin.core.services import api_key_create
    from anxin.petitions import services

    petition = register().petition
    services.petition_accept(actor=personas.clerk, petition=petition, lead_unit=personas.city.T1)
    _key, raw = api_key_create(actor=None, user=personas.same, name="t")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    before = _Snapshot(media)
    response = client.post(
        f"/api/v1/petitions/{petition.uid}/attachments",
        {
            "files": [
                SimpleUploadedFile("good.txt", "正常的材料".encode()),
                SimpleUploadedFile(name, data),
            ],
            "purpose": "material",
        },
        HTTP_IDEMPOTENCY_KEY=f"hostile-{len(data)}",
    )
    assert response.status_code == 400, response.content
    body = json.loads(response.content)
    assert body["message"] == message and body["code"] == "invalid"
    assert body["extra"] == {"fields": {"file": [message]}}
    assert before.unchanged()
    # the same request without the hostile file goes through: the refusal was the file's
    ok = client.post(
        f"/api/v1/petitions/{petition.uid}/attachments",
        {"files": [SimpleUploadedFile("good.txt", "正常的材料".encode())]},
    )
    assert ok.status_code == 201


@pytest.mark.django_db
def test_a_folder_in_an_uploaded_name_never_reaches_the_disk(personas, register, media):
    """Sanitised: Django's multipart parser keeps only the last part of a name; the stored file
    is named by a random id under ``attachments/<year>/`` whatever the name said."""
    from anxin.core.services import api_key_create
    from anxin.petitions import services

    petition = register().petition
    services.petition_accept(actor=personas.clerk, petition=petition, lead_unit=personas.city.T1)
    _key, raw = api_key_create(actor=None, user=personas.same, name="t")
    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").post(
        f"/api/v1/petitions/{petition.uid}/attachments",
        {
            "files": [
                SimpleUploadedFile("../../../etc/evil.txt", b"x"),
                SimpleUploadedFile("..\\..\\boot‮txt.ini", b"y"),
            ]
        },
    )
    assert response.status_code == 201, response.content
    assert [a["name"] for a in response.json()] == ["evil.txt", "boottxt.txt"]
    for stored in _files(media):
        assert stored.resolve().is_relative_to((media / "attachments").resolve())
