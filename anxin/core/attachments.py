"""Uploaded files: checked by their content (never by their name), images re-encoded without
their metadata (GPS), stored SM4-encrypted outside the static files, served only through a view
that checks the owner's scope.

Accepted: JPEG, PNG, GIF and WebP images; PDF; Word and Excel files without macros (.docx,
.xlsx); plain UTF-8 text. Refused: SVG, HTML, scripts, macro-enabled Office files, archives and
everything else. See docs/security.md.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.core import crypto
from anxin.core.audit import audit_record
from anxin.core.models_attachments import Attachment

IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
OFFICE_TYPES = {
    "word/": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    "xl/": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
}
NAME_BAD = re.compile(r"[\x00-\x1f\x7f<>:\"|?*]")
#: text a browser would sniff as HTML or an image as SVG (the WHATWG MIME sniffing patterns),
#: after a byte order mark, white space and comments
MARKUP_START = re.compile(
    r"<!--|<(?:!doctype|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p|svg|"
    r"\?xml|math|object|embed|img|meta|link|form|base)[\s/>]",
    re.IGNORECASE,
)
_COMMENTS = re.compile(r"\A(?:\s|<!--.*?-->)*", re.DOTALL)
#: an Office archive may not expand beyond this many times the upload limit (zip bombs)
MAX_EXPANSION = 5


def max_bytes() -> int:
    return int(getattr(settings, "ANXIN_UPLOAD_MAX_MB", 20)) * 1024 * 1024


@dataclass
class Checked:
    data: bytes
    content_type: str
    extension: str
    is_image: bool


def _refuse(message: str) -> ValidationError:
    return ValidationError({"file": message})


def clean_name(name: str) -> str:
    """A safe display name; a name that tries to reach another folder is refused."""
    name = unicodedata.normalize("NFC", name or "").strip()
    if "/" in name or "\\" in name or name.startswith(".") or ".." in name:
        raise _refuse(_("The file name may not contain folders or '..'."))
    # control and format characters go: no NUL, no right-to-left override making "exe.txt"
    # look like "txt.exe", no zero-width characters hiding inside a name
    name = "".join(c for c in NAME_BAD.sub("", name) if unicodedata.category(c) not in ("Cc", "Cf"))
    name = name.strip()[:120]
    return name or "file"


def _check_image(data: bytes, *, keep_gps: bool) -> Checked:
    from PIL import Image, ImageOps

    too_large = _refuse(_("The image is too large (more than 40 megapixels)."))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            # the size is in the header: a decompression bomb is refused before it is decoded
            if probe.width * probe.height > 40_000_000:
                raise too_large
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except ValidationError:
        raise
    except Image.DecompressionBombError as exc:
        raise too_large from exc
    except Exception as exc:
        raise _refuse(_("The image is damaged or not really an image.")) from exc
    fmt = image.format or "PNG"
    exif = image.getexif() if keep_gps else None
    image = ImageOps.exif_transpose(image)  # type: ignore[assignment]
    out = io.BytesIO()
    if fmt == "JPEG":
        params: dict[str, Any] = {"quality": 90, "optimize": True}
        if exif is not None:
            params["exif"] = exif.tobytes()
        image.convert("RGB").save(out, "JPEG", **params)
        return Checked(out.getvalue(), "image/jpeg", ".jpg", True)
    if fmt == "GIF":
        image.save(out, "GIF")
        return Checked(out.getvalue(), "image/gif", ".gif", True)
    # PNG and WebP are re-encoded as PNG (lossless), without metadata
    image.save(out, "PNG", optimize=True)
    return Checked(out.getvalue(), "image/png", ".png", True)


def _check_office(data: bytes) -> Checked:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            names = [i.filename for i in infos]
            if "[Content_Types].xml" not in names:
                raise _refuse(_("Archives are not accepted; attach the files themselves."))
            # a zip bomb: what the archive says it expands to (its parts are read no further)
            if sum(i.file_size for i in infos) > MAX_EXPANSION * max_bytes():
                raise _refuse(_("The file expands to far more than its size; it is refused."))
            types = archive.read("[Content_Types].xml").decode("utf-8", "replace").lower()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError) as exc:
        raise _refuse(_("The file is damaged.")) from exc
    if (
        any(n.lower().endswith("vbaproject.bin") for n in names)
        or "macroenabled" in types
        or "vbaproject" in types
    ):
        raise _refuse(_("Office files with macros are not accepted; save it as .docx or .xlsx."))
    for prefix, (content_type, extension) in OFFICE_TYPES.items():
        if any(n.startswith(prefix) for n in names):
            return Checked(data, content_type, extension, False)
    raise _refuse(_("Only Word (.docx) and Excel (.xlsx) files are accepted among Office files."))


def check_content(data: bytes, *, keep_gps: bool = False) -> Checked:
    if len(data) > max_bytes():
        raise _refuse(
            _("The file is larger than %(mb)d MB.") % {"mb": max_bytes() // (1024 * 1024)}
        )
    if not data:
        raise _refuse(_("The file is empty."))
    head = data[:16]
    if (
        head.startswith(b"\xff\xd8\xff")
        or head.startswith(b"\x89PNG\r\n\x1a\n")
        or head[:4] == b"GIF8"
        or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
    ):
        return _check_image(data, keep_gps=keep_gps)
    if head.startswith(b"%PDF-"):
        return Checked(data, "application/pdf", ".pdf", False)
    if head.startswith(b"PK\x03\x04"):
        return _check_office(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and "\x00" not in text:
        start = _COMMENTS.sub("", text.lstrip("\ufeff")[:4096], count=1)
        if MARKUP_START.match(start + " "):
            raise _refuse(_("SVG, HTML and XML files are not accepted."))
        return Checked(data, "text/plain; charset=utf-8", ".txt", False)
    raise _refuse(
        _(
            "This kind of file is not accepted. Attach JPG, PNG, GIF or WebP images, PDF, "
            "Word (.docx) or Excel (.xlsx) files without macros, or plain text."
        )
    )


def _path(storage_name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / "attachments" / storage_name


def _checked_upload(upload: Any, *, keep_gps: bool, public: bool) -> tuple[str, Checked]:
    name = clean_name(getattr(upload, "name", "") or "")
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes():
        raise _refuse(
            _("The file is larger than %(mb)d MB.") % {"mb": max_bytes() // (1024 * 1024)}
        )
    data = upload.read(max_bytes() + 1)
    return name, check_content(data, keep_gps=keep_gps and not public)


def _store(
    *, actor: Any, owner: Any, name: str, checked: Checked, purpose: str, public: bool
) -> Attachment:
    stem = name.rsplit(".", 1)[0] if "." in name else name
    storage_name = f"{timezone.now():%Y}/{uuid.uuid4().hex}.bin"
    target = _path(storage_name)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(crypto.encrypt_bytes(checked.data))
    attachment = Attachment.objects.create(
        owner_type=owner._meta.label_lower,
        owner_id=owner.pk,
        name=stem + checked.extension,
        content_type=checked.content_type,
        size=len(checked.data),
        sha256=hashlib.sha256(checked.data).hexdigest(),
        storage_name=storage_name,
        purpose=purpose[:20],
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        public_upload=public,
    )
    audit_record(
        actor=actor,
        action="attachment.add",
        obj=owner,
        public=public,
        after={
            "attachment": str(attachment.uid),
            "name": attachment.name,
            "type": attachment.content_type,
            "size": attachment.size,
            "purpose": attachment.purpose,
        },
    )
    return attachment


@transaction.atomic
def attachment_add(
    *,
    actor: Any,
    owner: Any,
    upload: Any,
    purpose: str = "material",
    keep_gps: bool = False,
    public: bool = False,
) -> Attachment:
    """Check, re-encode, encrypt and store one uploaded file for ``owner`` (any model)."""
    name, checked = _checked_upload(upload, keep_gps=keep_gps, public=public)
    return _store(
        actor=actor, owner=owner, name=name, checked=checked, purpose=purpose, public=public
    )


@transaction.atomic
def attachments_add(
    *,
    actor: Any,
    owner: Any,
    uploads: Iterable[Any],
    purpose: str = "material",
    keep_gps: bool = False,
    public: bool = False,
) -> list[Attachment]:
    """Several files at once: every file is checked before any is written, so that one refused
    file leaves no other file of the same request behind on disk."""
    checked = [_checked_upload(u, keep_gps=keep_gps, public=public) for u in uploads]
    return [
        _store(actor=actor, owner=owner, name=name, checked=c, purpose=purpose, public=public)
        for name, c in checked
    ]


def attachments_of(owner: Any) -> Any:
    return Attachment.objects.filter(
        owner_type=owner._meta.label_lower, owner_id=owner.pk
    ).order_by("uploaded_at", "id")


def attachment_read(attachment: Attachment) -> bytes:
    return crypto.decrypt_bytes(_path(attachment.storage_name).read_bytes())


def attachments_reencrypt(batch: int = 500) -> int:
    """Re-encrypt stored files made under an old key (part of ``reencrypt_personal_data``).

    Each file is rewritten through a temporary file and an atomic rename, so an interrupted run
    leaves every file readable; running again continues where it stopped.
    """
    current = crypto.current_key_id().encode("ascii")
    done = 0
    last = 0
    while True:
        rows = list(
            Attachment.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "storage_name")[:batch]
        )
        if not rows:
            return done
        last = rows[-1][0]
        for _pk, storage_name in rows:
            path = _path(storage_name)
            if not path.exists():
                continue
            blob = path.read_bytes()
            if blob[:8] == current:
                continue
            fresh = crypto.encrypt_bytes(crypto.decrypt_bytes(blob))
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(fresh)
            tmp.replace(path)
            done += 1


def content_disposition(name: str, fallback: str | None = None) -> str:
    """A download header with an ASCII fallback and the UTF-8 name (RFC 6266 / 5987)."""
    from urllib.parse import quote

    if fallback is None:
        fallback = name.encode("ascii", "ignore").decode().replace('"', "").replace("\\", "")
    return f"attachment; filename=\"{fallback or 'file'}\"; filename*=UTF-8''{quote(name, safe='')}"


def attachment_response(attachment: Attachment) -> Any:
    """A stored file as a download, sandboxed: the owning app's view checks the scope first."""
    from django.http import HttpResponse

    response = HttpResponse(attachment_read(attachment), content_type=attachment.content_type)
    response["Content-Disposition"] = content_disposition(attachment.name)
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
