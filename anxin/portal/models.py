"""One-time submission tokens of the portal forms (issue 8, item 3): a double click or a retry
of a submission creates one case. See :mod:`anxin.portal.submissions`."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class SubmissionToken(models.Model):
    """A portal form's one-time token, claimed in the transaction that creates the case.

    Only the SM3 digest of the token is kept. ``receipt`` is the first answer (number, date and
    the query or tracking code) SM4-encrypted, kept for ``RECEIPT_TTL`` only so that a repeated
    request can show the same code; after that only the case number is left, and the row is
    deleted after ``TOKEN_MAX_AGE``.
    """

    digest = models.CharField(max_length=64, unique=True)
    form = models.CharField(max_length=20)
    number = models.CharField(max_length=40, blank=True)
    receipt = models.TextField(blank=True, help_text="SM4-encrypted JSON; emptied after 30 min")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "portal submission token"

    def __str__(self) -> str:
        return f"{self.form} {self.number}"
