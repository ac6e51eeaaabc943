"""Fixed vocabularies of the safety app. API codes are part of the contract.

Admin-editable taxonomies (sectors, checklist items) are models, not choices.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RiskLevel(models.TextChoices):
    # 安委办〔2016〕11号: 重大风险 red, 较大风险 orange, 一般风险 yellow, 低风险 blue
    RED = "red", _("Major risk")
    ORANGE = "orange", _("Relatively large risk")
    YELLOW = "yellow", _("General risk")
    BLUE = "blue", _("Low risk")


class SiteStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("site status", "Operating")
    SUSPENDED = "suspended", pgettext_lazy("site status", "Production suspended")
    CLOSED = "closed", pgettext_lazy("site status", "Closed")


class PermitKind(models.TextChoices):
    SAFETY_PRODUCTION = "safety_production", _("Work safety licence")
    HAZARDOUS_CHEMICALS = "hazardous_chemicals", _("Hazardous chemicals business licence")
    FIREWORKS = "fireworks", _("Fireworks retail licence")
    FIRE_SAFETY = "fire_safety", _("Fire safety inspection certificate")
    SPECIAL_TRADE = "special_trade", _("Special trade licence")
    ROAD_TRANSPORT = "road_transport", _("Road transport business licence")
    ENTERTAINMENT = "entertainment", _("Entertainment business licence")
    SCHOOL = "school", _("School operating licence")
    MINING = "mining", _("Mining licence")
    CONSTRUCTION = "construction", _("Construction permit")
    OTHER = "other", _("Other permit")


class SeverityHint(models.TextChoices):
    """What a failed checklist item usually is (the inspector grades the hazard itself)."""

    GENERAL = "general", _("Usually a general hazard")
    MAJOR = "major", _("May be a major hazard")
