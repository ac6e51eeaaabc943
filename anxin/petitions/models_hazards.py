"""A petition that became a hazard (issue 4, item 11): the link lives on the petitions side.

Petitions reference safety's ``Hazard``; safety never imports petitions (it announces a closed
hazard with :data:`anxin.safety.signals.hazard_closed`). Nothing about the petition goes into
the hazard, so the site's enterprise contact cannot learn that a petition exists.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anxin.core.models import User


class PetitionHazardLink(models.Model):
    petition = models.ForeignKey(
        "petitions.Petition", on_delete=models.CASCADE, related_name="hazard_links"
    )
    hazard = models.ForeignKey(
        "safety.Hazard", verbose_name=_("hazard"), on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["petition", "hazard"], name="petition_hazard_once")
        ]

    def __str__(self) -> str:
        return f"{self.petition_id} → {self.hazard_id}"
