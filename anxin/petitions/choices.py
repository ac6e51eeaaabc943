"""Fixed vocabularies of petitions (信访工作条例, 2022). API codes are part of the contract."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    # Art. 17: 信息网络、书信、电话、传真、走访
    WEB = "web", _("Online")
    LETTER = "letter", _("Letter")
    PHONE = "phone", _("Telephone")
    FAX = "fax", _("Fax")
    VISIT = "visit", _("Visit in person")


class Kind(models.TextChoices):
    # Art. 29–31
    SUGGESTION = "suggestion", _("Suggestion or opinion")
    ACCUSATION = "accusation", _("Report or accusation")
    CLAIM = "claim", _("Appeal or claim")


class Status(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    HANDLING = "handling", _("Being handled")
    DECLINED = "declined", _("Not accepted")
    DECIDED = "decided", _("Decided")
    REVIEW = "review", _("Under review")
    REVIEWED = "reviewed", _("Reviewed")
    RECHECK = "recheck", _("Under re-review")
    RECHECKED = "rechecked", _("Re-reviewed")
    CLOSED = "closed", _("Closed")
    MERGED = "merged", _("Merged")


OPEN_STATUSES = frozenset(
    {
        Status.REGISTERED,
        Status.HANDLING,
        Status.DECIDED,
        Status.REVIEW,
        Status.REVIEWED,
        Status.RECHECK,
        Status.RECHECKED,
        Status.DECLINED,
    }
)


class Outcome(models.TextChoices):
    # Art. 32: 支持 / 解释说明 / 不予支持 — shown as they are, never as "resolved"
    SUPPORT = "support", _("Supported")
    EXPLAIN = "explain", _("Explained")
    REJECT = "reject", _("Not supported")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class Stage(models.TextChoices):
    """The three written answers a claim can receive (Art. 32, 35, 36)."""

    DECISION = "decision", _("Decision")
    REVIEW = "review", _("Review decision")
    RECHECK = "recheck", _("Re-review decision")


class DocumentKind(models.TextChoices):
    ACCEPTANCE = "acceptance_notice", _("Notice of acceptance")
    DECLINE = "decline_notice", _("Notice of non-acceptance")
    FORWARD = "forward_notice", _("Notice of forwarding")
    EXTENSION = "extension_notice", _("Notice of extension")
    DECISION = "decision", _("Petition handling opinion")
    REVIEW = "review_decision", _("Review opinion")
    RECHECK = "recheck_decision", _("Re-review opinion")


class DeliveryMethod(models.TextChoices):
    IN_PERSON = "in_person", _("Handed over in person")
    POST = "post", _("By post")
    ONLINE = "online", _("Online (portal)")
    SMS = "sms", _("Text message")
    PHONE = "phone", _("By telephone, with a written copy")


class LeaderLevel(models.TextChoices):
    CITY = "city", _("City leader")
    COUNTY = "county", _("County leader")
    TOWNSHIP = "township", _("Township leader")
    DEPARTMENT = "department", _("Department head")
    VILLAGE = "village", _("Village or community cadre")
