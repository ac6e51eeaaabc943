"""Forms of the safety pages: they parse input; services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from anxin.core.choices import UnitKind
from anxin.core.forms import BootstrapMixin, UnitChoiceField
from anxin.core.models import Unit, User
from anxin.safety.choices import PermitKind, RiskLevel, SeverityHint, SiteStatus
from anxin.safety.models import Sector


class SectorField(forms.ModelChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            queryset=Sector.objects.filter(is_active=True).order_by("sort_order", "code"),
            to_field_name="code",
            **kwargs,
        )


class TerritorialUnitField(UnitChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.queryset = Unit.objects.filter(
            is_active=True, kind__in=[UnitKind.TOWNSHIP, UnitKind.VILLAGE]
        ).order_by("path")


class DepartmentField(UnitChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.queryset = Unit.objects.filter(is_active=True, kind=UnitKind.DEPARTMENT).order_by(
            "path"
        )

    def label_from_instance(self, obj: Any) -> str:
        return obj.name


class SiteForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    credit_code = forms.CharField(
        label=_("Unified social credit code"),
        max_length=30,
        required=False,
        help_text=_("18 characters (GB 32100-2015); leave empty for a place without one."),
    )
    sector = SectorField(label=_("Sector"))
    unit = TerritorialUnitField(
        label=_("Territorial unit"), help_text=_("The township or street, or the village.")
    )
    regulating_unit = DepartmentField(
        label=_("Regulating department"),
        required=False,
        help_text=_("Leave empty to use the sector's regulating department."),
    )
    address = forms.CharField(label=_("Address"), max_length=200)
    latitude = forms.DecimalField(
        label=_("Latitude"), required=False, max_digits=9, decimal_places=6
    )
    longitude = forms.DecimalField(
        label=_("Longitude"), required=False, max_digits=9, decimal_places=6
    )
    risk_level = forms.ChoiceField(label=_("Risk level"), choices=RiskLevel.choices)
    status = forms.ChoiceField(label=_("Status"), choices=SiteStatus.choices)
    contact_user = forms.CharField(
        label=_("Enterprise contact login (username)"),
        max_length=150,
        required=False,
        help_text=_("A login with the role 企业联系人: it sees this site only."),
    )
    contact_name = forms.CharField(label=_("Contact name"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=30, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean_contact_user(self) -> User | None:
        username = self.cleaned_data.get("contact_user", "").strip()
        if not username:
            return None
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("Unknown user: %(name)s") % {"name": username})
        return user


class SiteFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("Name or credit code"), required=False)
    sector = forms.ChoiceField(label=_("Sector"), required=False)
    unit = forms.CharField(label=_("Unit code"), required=False)
    risk_level = forms.ChoiceField(
        label=_("Risk level"),
        required=False,
        choices=[("", _("Any risk level")), *RiskLevel.choices],
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *SiteStatus.choices]
    )

    def __init__(self, *args: Any, sectors: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sector"].choices = [("", _("Any sector"))] + [  # type: ignore[attr-defined]
            (s.code, s.name) for s in sectors
        ]
        for field in self.fields.values():
            field.widget.attrs["aria-label"] = field.label
        self.fields["q"].widget.attrs["placeholder"] = _("Name or credit code")
        self.fields["unit"].widget.attrs["placeholder"] = _("Unit code")


class PermitForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=PermitKind.choices)
    number = forms.CharField(label=_("Permit number"), max_length=64)
    issued_by = forms.CharField(label=_("Issuing authority"), max_length=100, required=False)
    issued_on = forms.DateField(
        label=_("Issued on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty for a permit without an expiry date."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class SectorForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    department = DepartmentField(
        label=_("Regulating department"),
        required=False,
        help_text=_(
            "管行业必须管安全 (Work Safety Law, Art. 3). New sites of the sector take this "
            "department; existing sites keep theirs."
        ),
    )
    is_active = forms.BooleanField(label=_("In use"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class ChecklistForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)


class ChecklistItemForm(BootstrapMixin, forms.Form):
    text = forms.CharField(
        label=_("Item"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    basis = forms.CharField(label=_("Basis"), max_length=200, required=False)
    severity_hint = forms.ChoiceField(
        label=_("Severity hint"), choices=SeverityHint.choices, initial=SeverityHint.GENERAL
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["aria-label"] = field.label


ChecklistItemFormSet = forms.formset_factory(ChecklistItemForm, extra=3, max_num=60)
