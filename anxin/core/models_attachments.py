"""A stored file that belongs to any record (a petition, a hazard, an inspection …)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Attachment(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner_type = models.CharField(max_length=64)
    owner_id = models.BigIntegerField()
    name = models.CharField(_("file name"), max_length=130)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=80, unique=True, editable=False)
    purpose = models.CharField(_("purpose"), max_length=20, default="material")
    uploaded_by = models.ForeignKey(
        "core.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    public_upload = models.BooleanField(default=False)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["owner_type", "owner_id"], name="attachment_owner")]

    def __str__(self) -> str:
        return self.name
