"""Pages of supervision: the 三色督办 board, the inbox and the notification preferences."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anxin.core.models import Unit
from anxin.core.pagination import page_context
from anxin.core.scoping import can, get_for_user
from anxin.core.types import AuthedHttpRequest
from anxin.supervision import notifications
from anxin.supervision.choices import Colour
from anxin.supervision.colours import Thresholds
from anxin.supervision.links import clock_label, subject_label, subject_urls
from anxin.supervision.models import Clock
from anxin.supervision.selectors import BOARD_ORDERING, clock_colour_counts, clocks_coloured

#: Bootstrap classes of each colour
BADGES: dict[str, str] = {
    Colour.RED.value: "text-bg-danger",
    Colour.YELLOW.value: "text-bg-warning",
    Colour.BLUE.value: "text-bg-primary",
    Colour.NORMAL.value: "text-bg-light",
    Colour.PAUSED.value: "text-bg-secondary",
}


@login_required
@require_GET
def board(request: AuthedHttpRequest) -> HttpResponse:
    """Open clocks in the person's scope by colour: red, yellow, blue (三色督办)."""
    if not can(request.user, "clock.view"):
        raise PermissionDenied
    colour = request.GET.get("colour") or ""
    if colour not in Colour.values:
        colour = ""
    unit = None
    code = (request.GET.get("unit") or "").strip()
    if code:
        unit = Unit.objects.restrict(request.user, "view").filter(code=code).first()
    th = Thresholds.compute()
    qs = clocks_coloured(user=request.user, colour=colour or None, unit=unit, thresholds=th)
    paged = page_context(request, qs, BOARD_ORDERING)
    items = paged["page"].items
    urls = subject_urls((c.subject_type, c.subject_id) for c in items)
    rows = [
        {
            "clock": c,
            "colour": c.colour,
            "badge": BADGES[c.colour],
            "colour_label": Colour(c.colour).label,
            "item": subject_label(c.subject_type),
            "name": clock_label(c.subject_type, c.name),
            "url": urls.get((c.subject_type, c.subject_id)),
        }
        for c in items
    ]
    return render(
        request,
        "supervision/board.html",
        {
            **paged,
            "rows": rows,
            "counts": clock_colour_counts(user=request.user, unit=unit, thresholds=th),
            "colour": colour,
            "colours": [(v, label, BADGES[v]) for v, label in Colour.choices],
            "unit_code": code,
            "thresholds": th,
        },
    )


@login_required
@require_GET
def clock_go(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """From a notification to the item of the clock (404 outside the person's scope)."""
    clock = get_for_user(Clock.objects.all(), request.user, pk=pk)
    url = subject_urls([(clock.subject_type, clock.subject_id)]).get(
        (clock.subject_type, clock.subject_id)
    )
    if url is None:
        return redirect("supervision_board")
    return HttpResponseRedirect(url)


@login_required
@require_GET
def inbox(request: AuthedHttpRequest) -> HttpResponse:
    unread = request.GET.get("unread") == "1"
    qs = notifications.inbox_for(request.user, unread=unread)
    paged = page_context(request, qs, notifications.INBOX_ORDERING)
    return render(request, "supervision/inbox.html", {**paged, "unread": unread})


@login_required
@require_POST
def inbox_read(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    notifications.notification_mark_read(actor=request.user, notification_id=pk)
    if request.headers.get("HX-Request"):
        note = notifications.inbox_for(request.user).get(pk=pk)
        unread = notifications.unread_count(request.user)
        # the row, and the badge in the top navigation (an out-of-band swap)
        return render(request, "supervision/_notification.html", {"n": note, "oob_unread": unread})
    return redirect("supervision_inbox")


@login_required
@require_POST
def inbox_read_all(request: AuthedHttpRequest) -> HttpResponse:
    count = notifications.notification_mark_all_read(actor=request.user)
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    if count:
        messages.success(request, _("All notifications are marked as read."))
    return redirect("supervision_inbox")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: AuthedHttpRequest) -> HttpResponse:
    rows = notifications.preferences_for(request.user)
    if request.method == "POST":
        for row in rows:
            notifications.notification_preference_set(
                actor=request.user,
                kind=row["kind"],
                email=request.POST.get(f"{row['kind']}:email") == "1",
                sms=request.POST.get(f"{row['kind']}:sms") == "1",
            )
        messages.success(request, _("Your notification settings are saved."))
        return redirect("supervision_preferences")
    return render(request, "supervision/preferences.html", {"rows": rows})
