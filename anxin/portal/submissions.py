"""One-time submission tokens: a double click, a browser retry or a network retry of a portal
form creates ONE case (issue 8, item 3).

- Rendering a form makes a token: a random UUID signed with the time and the form's name
  (:func:`submission_token_new`). It travels only in the form's hidden field
  ``submission_token`` — never in a URL, a cookie or the session.
- :func:`submit_once` claims the token (its SM3 digest, unique) in the transaction that creates
  the case. A refused submission (``ValidationError``) rolls back, token row included: nothing is
  consumed and the corrected form may be sent again with the same token.
- A second POST with the same token creates nothing and answers with the first receipt. Two
  concurrent POSTs: the second waits on the unique index until the first commits, then replays.
- The query or tracking code of the first answer is shown once and stored only as a digest on
  the case. So that someone whose first answer never reached the screen (a double click: the
  browser drops the first response) still gets their code, the receipt is kept SM4-encrypted on
  the token row for ``RECEIPT_TTL`` (30 minutes), then emptied; a later repeat shows the case
  number and says to use the code shown the first time. Rows are deleted after
  ``TOKEN_MAX_AGE``; a token older than that is refused ("the form has expired") so that an old
  form cannot create a duplicate once its row is gone.
- A POST without a token (a scripted client) is handled as before, without this protection.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.core.crypto import DecryptionError, decrypt, encrypt, sm3_hex
from anxin.portal.models import SubmissionToken

FIELD = "submission_token"
RECEIPT_TTL = dt.timedelta(minutes=30)
TOKEN_MAX_AGE = dt.timedelta(hours=24)


@dataclass
class Receipt:
    """What the confirmation page shows: the case number, and the code unless it has expired."""

    number: str
    code: str = ""
    data: dict[str, str] = field(default_factory=dict)
    replayed: bool = False


def _salt(form: str) -> str:
    return f"anxin.portal.submission.{form}"


def submission_token_new(form: str) -> str:
    """A fresh token for a rendering of ``form`` ("petition", "hazard", "booking")."""
    return signing.TimestampSigner(salt=_salt(form)).sign(uuid.uuid4().hex)


def submission_token_check(form: str, token: str) -> str:
    """The token's digest; ``ValidationError`` when it was tampered with or has expired."""
    try:
        raw = signing.TimestampSigner(salt=_salt(form)).unsign(token, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature as exc:
        raise ValidationError(
            _("This form has expired. Check what you entered and send it again.")
        ) from exc
    return sm3_hex(f"anxin-portal-submission:{form}:{raw}")


def _replay(row: SubmissionToken) -> Receipt:
    receipt = Receipt(number=row.number, replayed=True)
    if row.receipt and row.created_at >= timezone.now() - RECEIPT_TTL:
        try:
            stored = json.loads(decrypt(row.receipt))
        except (DecryptionError, ValueError):
            return receipt
        receipt.code = stored.pop("code", "")
        receipt.data = stored
    return receipt


def submission_replay(form: str, token: str) -> Receipt | None:
    """The first receipt of an already claimed token, or ``None`` (no token, an invalid one, or
    one not claimed yet) — for a view that must answer a repeat before checking anything else
    (a reception day whose last place the first request took)."""
    if not token:
        return None
    try:
        digest = submission_token_check(form, token)
    except ValidationError:
        return None
    row = SubmissionToken.objects.filter(digest=digest).first()
    return _replay(row) if row is not None else None


def submit_once(*, form: str, token: str, create: Callable[[], Receipt]) -> Receipt:
    """Run ``create`` (a service call returning the receipt) once per token.

    ``create`` runs inside this function's transaction, after the token is claimed; its
    ``ValidationError`` propagates and releases the token. Without a token ``create`` just runs.
    """
    if not token:
        return create()
    digest = submission_token_check(form, token)
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = SubmissionToken.objects.create(digest=digest, form=form)
        except IntegrityError:
            return _replay(SubmissionToken.objects.get(digest=digest))
        receipt = create()
        row.number = receipt.number
        row.receipt = encrypt(json.dumps({**receipt.data, "code": receipt.code}))
        row.save(update_fields=["number", "receipt"])
    return receipt


def submission_tokens_purge(now: dt.datetime | None = None) -> int:
    """Empty the receipts older than ``RECEIPT_TTL`` and delete the rows older than
    ``TOKEN_MAX_AGE`` (set-based; a periodic job). Returns the number of rows deleted."""
    now = now or timezone.now()
    SubmissionToken.objects.filter(created_at__lt=now - RECEIPT_TTL).exclude(receipt="").update(
        receipt=""
    )
    deleted, _counts = SubmissionToken.objects.filter(created_at__lt=now - TOKEN_MAX_AGE).delete()
    return deleted


def token_for_form(form: str, posted: Any) -> str:
    """The token a (re-)rendered form carries: the posted one while it is still valid (nothing
    was consumed), otherwise a fresh one."""
    token = posted.get(FIELD, "") if posted else ""
    if token:
        try:
            submission_token_check(form, token)
        except ValidationError:
            return submission_token_new(form)
        return str(token)
    return submission_token_new(form)
