"""Staff download of a case's written documents (告知书, 意见书) as .docx."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from anxin.core.attachments import content_disposition
from anxin.core.types import AuthedHttpRequest
from anxin.petitions import selectors
from anxin.petitions.choices import DocumentKind
from anxin.petitions.documents import (
    DOCX_CONTENT_TYPE,
    DocumentNotAvailable,
    ascii_filename,
    petition_document_issue,
)


def docx_attachment(data: bytes, *, filename: str, fallback: str) -> HttpResponse:
    """The .docx as a download: an ASCII ``filename`` plus the UTF-8 name (RFC 6266/5987).

    ``fallback`` must already be safe ASCII (:func:`~anxin.petitions.documents.ascii_filename`);
    ``filename`` is percent-encoded whole, so no character of it can break the header.
    """
    response = HttpResponse(data, content_type=DOCX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(filename, fallback)
    response["Content-Length"] = str(len(data))
    # The paper carries personal data: no shared or browser cache keeps a copy.
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def petition_document_view(request: AuthedHttpRequest, id: str, kind: str) -> HttpResponse:
    # Fetch first: outsiders (and the accused unit of an accusation) get 404 for any kind.
    petition = selectors.petition_get_for_user(user=request.user, id=id)
    if kind not in DocumentKind.values:
        raise Http404
    try:
        filename, data = petition_document_issue(actor=request.user, petition=petition, kind=kind)
    except DocumentNotAvailable as exc:
        messages.error(request, str(exc.message))
        return redirect("petition_detail", id=petition.uid)
    return docx_attachment(data, filename=filename, fallback=ascii_filename(petition, kind))
