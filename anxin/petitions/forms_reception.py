"""Forms of public reception days (item 12), staff and portal: they parse; services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from anxin.core.choices import Role
from anxin.core.forms import BootstrapMixin, UnitChoiceField
from anxin.core.models import RoleAssignment, User
from anxin.petitions.choices import Kind
from anxin.petitions.forms import CategoryField
from anxin.petitions.reception import MAX_NAME, MAX_PHONE, MAX_TOPIC

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class LeaderField(forms.ModelChoiceField):
    """The unit heads (the leaders who receive), by unit."""

    def __init__(self, **kwargs: Any) -> None:
        heads = RoleAssignment.objects.filter(role=Role.UNIT_HEAD).values("user_id")
        super().__init__(
            queryset=User.objects.filter(is_active=True, pk__in=heads)
            .select_related("unit")
            .order_by("unit__path", "username"),
            to_field_name="username",
            **kwargs,
        )

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name}（{obj.unit.name}）" if obj.unit else obj.display_name


class ReceptionSessionForm(BootstrapMixin, forms.Form):
    leader = LeaderField(label=_("Receiving leader"))
    leader_title = forms.CharField(
        label=_("Leader's title (as announced)"), max_length=100, required=False
    )
    unit = UnitChoiceField(
        label=_("Receiving office"),
        help_text=_("Only this office (and the units above it) will see the bookings."),
    )
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=DATETIME_WIDGET)
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=DATETIME_WIDGET)
    place = forms.CharField(label=_("Reception place"), max_length=200)
    topics = forms.CharField(label=_("Reception topics"), widget=forms.Textarea(attrs={"rows": 3}))
    capacity = forms.IntegerField(label=_("Places"), min_value=1, max_value=500, initial=10)


class ReceptionCancelForm(BootstrapMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=200)


class ReceptionVisitForm(BootstrapMixin, forms.Form):
    """The short intake at the visit; the booker is the petitioner."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    category = CategoryField(label=_("Category"))
    title = forms.CharField(label=_("Title"), max_length=200)
    content = forms.CharField(label=_("Content"), widget=forms.Textarea(attrs={"rows": 6}))
    unit = UnitChoiceField(label=_("Registering unit"))


class ReceptionBookingForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=MAX_NAME)
    phone = forms.CharField(
        label=_("Your phone"),
        max_length=MAX_PHONE,
        help_text=_("The receiving office may call you about the session; nobody else sees it."),
    )
    topic = forms.CharField(
        label=_("The matter you want to raise"),
        max_length=MAX_TOPIC,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ReceptionCodeForm(BootstrapMixin, forms.Form):
    code = forms.CharField(label=_("Confirmation code"), max_length=20)
