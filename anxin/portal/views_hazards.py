"""The portal's hazard reports (issue 4, item 7): report a safety hazard, follow it by its code.

No account is needed. The report is written with ``actor=None`` and ``public=True`` (no address
is kept; photos always lose their GPS data). The tracking code is shown once, on the page that
answers the report; it is never put in a URL, a cookie, the session or a message, and is stored
only as its SM3 digest. Following a report is a POST of the code.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from anxin.core.forms import BootstrapMixin
from anxin.core.ratelimit import ratelimit
from anxin.core.views.auth import apply_service_errors
from anxin.petitions.forms import ATTACHMENT_HELP, MultipleFileField
from anxin.portal import submissions
from anxin.safety import public_reports


class PlaceUnitField(forms.ModelChoiceField):
    def label_from_instance(self, obj: object) -> str:
        return "　" * max(getattr(obj, "depth", 0) - 2, 0) + str(getattr(obj, "name", obj))


class HazardReportForm(BootstrapMixin, forms.Form):
    description = forms.CharField(
        label=gettext_lazy("What is the hazard?"), widget=forms.Textarea(attrs={"rows": 5})
    )
    unit = PlaceUnitField(
        label=gettext_lazy("Township or village"),
        queryset=public_reports.report_units(),
        to_field_name="code",
    )
    place_text = forms.CharField(
        label=gettext_lazy("Where exactly (address, building, landmark)"), max_length=200
    )
    photos = MultipleFileField(
        label=gettext_lazy("Photos (optional)"), required=False, help_text=ATTACHMENT_HELP
    )
    anonymous = forms.BooleanField(label=gettext_lazy("Report anonymously"), required=False)
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=50, required=False)
    phone = forms.CharField(label=gettext_lazy("Your phone"), max_length=30, required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["unit"].queryset = public_reports.report_units()  # type: ignore[attr-defined]


class HazardTrackForm(BootstrapMixin, forms.Form):
    code = forms.CharField(label=gettext_lazy("Tracking code"), max_length=20)


@never_cache
@require_http_methods(["GET", "POST"])
@ratelimit("portal_submit")
def hazard_report(request: HttpRequest) -> HttpResponse:
    form = HazardReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def create() -> submissions.Receipt:
            hazard, code = public_reports.hazard_report_public(
                description=data["description"],
                place_text=data["place_text"],
                unit=data["unit"],
                photos=data["photos"],
                anonymous=data["anonymous"],
                name=data["name"],
                phone=data["phone"],
            )
            return submissions.Receipt(number=hazard.number, code=code)

        try:
            receipt = submissions.submit_once(
                form="hazard", token=request.POST.get(submissions.FIELD, ""), create=create
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, {})
        else:
            return render(
                request,
                "portal/hazard_receipt.html",
                {
                    "hazard": {"number": receipt.number},
                    "code": receipt.code,
                    "replayed": receipt.replayed,
                },
            )
    return render(
        request,
        "portal/hazard_report.html",
        {"form": form, "submission_token": submissions.token_for_form("hazard", request.POST)},
    )


@never_cache
@require_http_methods(["GET", "POST"])
@ratelimit("portal_track")
def hazard_track(request: HttpRequest) -> HttpResponse:
    form = HazardTrackForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return render(request, "portal/hazard_track.html", {"form": form})
    hazard = public_reports.hazard_by_tracking_code(form.cleaned_data["code"])
    if hazard is None:
        form.add_error("code", _("No report has this tracking code. Check it and try again."))
        return render(request, "portal/hazard_track.html", {"form": form})
    return render(
        request,
        "portal/hazard_status.html",
        {"report": public_reports.public_view(hazard), "form": HazardTrackForm()},
    )
