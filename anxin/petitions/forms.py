"""Forms of the petition pages: they parse input; services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from anxin.core.forms import BootstrapMixin, UnitChoiceField
from anxin.petitions.choices import Channel, DeliveryMethod, DocumentKind, Kind, Outcome, Rating
from anxin.petitions.models import Category, DeclineReason
from anxin.petitions.rules import MAX_REPRESENTATIVES


class CategoryField(forms.ModelChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            queryset=Category.objects.filter(is_active=True), to_field_name="code", **kwargs
        )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


ATTACHMENT_HELP = _(
    "Images (JPG, PNG, GIF, WebP), PDF, Word or Excel without macros, or text; "
    "at most 20 MB each. Photos lose their location data."
)


class PetitionIntakeForm(BootstrapMixin, forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    received_on = forms.DateField(
        label=_("Received on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    category = CategoryField(label=_("Category"))
    title = forms.CharField(label=_("Title"), max_length=200)
    content = forms.CharField(label=_("Content"), widget=forms.Textarea(attrs={"rows": 6}))
    unit = UnitChoiceField(label=_("Registering unit"))
    place_unit = UnitChoiceField(label=_("Place"), required=False)
    anonymous = forms.BooleanField(label=_("Anonymous (no identity is stored)"), required=False)
    confidential = forms.BooleanField(
        label=_("Confidential (only the handling staff see the identity)"), required=False
    )
    name = forms.CharField(label=_("Petitioner's name"), max_length=50, required=False)
    id_number = forms.CharField(label=_("Citizen ID number"), max_length=18, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    representatives = forms.CharField(
        label=_("Representatives of a group visit (one per line: name, phone)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("At most %(n)d (Regulation on Petition Work, Art. 20).")
        % {"n": MAX_REPRESENTATIVES},
    )
    accused_unit = UnitChoiceField(label=_("Accused unit"), required=False)
    accused_person = forms.CharField(label=_("Accused person"), max_length=100, required=False)
    accused_user = forms.CharField(
        label=_("Accused person's account (username), if they have one"),
        max_length=150,
        required=False,
        help_text=_("The case is then hidden from that account (Art. 30)."),
    )
    materials = MultipleFileField(label=_("Materials"), required=False, help_text=ATTACHMENT_HELP)


class AttachmentForm(BootstrapMixin, forms.Form):
    purpose = forms.ChoiceField(
        label=_("Kind of material"),
        choices=[
            ("material", _("Material")),
            ("agreement", _("Mediation or settlement agreement")),
            ("evidence", _("Evidence gathered in handling")),
        ],
    )
    materials = MultipleFileField(label=_("Files"), help_text=ATTACHMENT_HELP)


class PortalPetitionForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    category = CategoryField(label=_("Category"))
    title = forms.CharField(label=_("Title"), max_length=200)
    content = forms.CharField(
        label=_("What happened and what you ask for"), widget=forms.Textarea(attrs={"rows": 8})
    )
    place_unit = UnitChoiceField(label=_("Where (township or community)"), required=False)
    anonymous = forms.BooleanField(label=_("Submit anonymously"), required=False)
    name = forms.CharField(label=_("Your name"), max_length=50, required=False)
    phone = forms.CharField(label=_("Your phone"), max_length=30, required=False)
    address = forms.CharField(label=_("Your address"), max_length=200, required=False)
    id_number = forms.CharField(
        label=_("Citizen ID number (optional)"), max_length=18, required=False
    )
    accused_unit = UnitChoiceField(label=_("Unit you report (for accusations)"), required=False)
    accused_person = forms.CharField(
        label=_("Person you report (for accusations)"), max_length=100, required=False
    )
    materials = MultipleFileField(
        label=_("Materials (optional)"), required=False, help_text=ATTACHMENT_HELP
    )


class TrackForm(BootstrapMixin, forms.Form):
    code = forms.CharField(label=_("Query code"), max_length=20)


class RevealForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("Why do you need the full personal data?"), max_length=200)


def decline_reason_choices() -> list[tuple[str, str]]:
    return [(r.code, r.name) for r in DeclineReason.objects.filter(is_active=True)]


OUTCOME_CHOICES = Outcome.choices
RATING_CHOICES = Rating.choices
DOCUMENT_CHOICES = DocumentKind.choices
METHOD_CHOICES = DeliveryMethod.choices
