"""Uploads are checked by content, re-encoded, stripped of GPS, encrypted at rest."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from PIL import Image

from anxin.core.attachments import attachment_add, attachment_read, check_content, clean_name

pytestmark = pytest.mark.smoke


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), "red")
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 0.0)}  # GPSInfo
    exif[0x010F] = "Camera maker"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def office(names: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in names.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_photos_lose_their_location():
    data = jpeg_with_gps()
    assert Image.open(io.BytesIO(data)).getexif().get(0x8825)
    checked = check_content(data)
    assert checked.content_type == "image/jpeg"
    assert not Image.open(io.BytesIO(checked.data)).getexif()


def test_an_inspector_may_keep_the_location_on_purpose():
    checked = check_content(jpeg_with_gps(), keep_gps=True)
    assert Image.open(io.BytesIO(checked.data)).getexif().get(0x8825)


@pytest.mark.parametrize(
    "data,accepted_as",
    [
        (b"%PDF-1.7\n...", "application/pdf"),
        ("普通文字说明".encode(), "text/plain; charset=utf-8"),
        (
            office({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ],
)
def test_accepted_kinds(data, accepted_as):
    assert check_content(data).content_type == accepted_as


@pytest.mark.parametrize(
    "data,message",
    [
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "SVG, HTML and XML files are not accepted.",
        ),
        (
            b"<!DOCTYPE html><html><script>x</script></html>",
            "SVG, HTML and XML files are not accepted.",
        ),
        (
            office({"[Content_Types].xml": b"<Types macroEnabled/>", "word/vbaProject.bin": b"x"}),
            "Office files with macros are not accepted; save it as .docx or .xlsx.",
        ),
        (office({"a.txt": b"x"}), "Archives are not accepted; attach the files themselves."),
        (
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff",
            "This kind of file is not accepted. Attach JPG, PNG, GIF or WebP images, PDF, "
            "Word (.docx) or Excel (.xlsx) files without macros, or plain text.",
        ),
        (b"\xff\xd8\xff\xe0 not really a jpeg", "The image is damaged or not really an image."),
        (b"", "The file is empty."),
    ],
)
def test_refused_kinds_with_clear_messages(data, message):
    from django.utils.translation import gettext

    with pytest.raises(ValidationError) as exc:
        check_content(data)
    assert exc.value.message_dict["file"] == [gettext(message)]


@pytest.mark.parametrize("name", ["../../etc/passwd", "..\\boot.ini", "a/b.pdf", ".htaccess"])
def test_names_that_reach_for_other_folders_are_refused(name):
    with pytest.raises(ValidationError):
        clean_name(name)


@override_settings(ANXIN_UPLOAD_MAX_MB=1)
def test_oversize_files_are_refused():
    with pytest.raises(ValidationError):
        check_content(b"x" * (1024 * 1024 + 1))


@pytest.mark.django_db
def test_files_are_encrypted_at_rest(personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("说明.txt", "秘密的举报材料".encode())
    attachment = attachment_add(actor=personas.clerk, owner=personas.city.C, upload=upload)
    stored = (tmp_path / "attachments" / attachment.storage_name).read_bytes()
    assert "秘密".encode() not in stored
    assert attachment_read(attachment) == "秘密的举报材料".encode()
    assert attachment.name == "说明.txt"
