"""config.urls plus the calendar pages, until they are added to config/urls.py."""

from django.urls import path

from anxin.core.views import calendar as calendar_views
from config.urls import urlpatterns as base_urlpatterns

calendar_urlpatterns = [
    path("settings/calendar/", calendar_views.calendar_page, name="calendar"),
    path(
        "settings/calendar/<str:date>/delete/",
        calendar_views.calendar_day_delete,
        name="calendar_day_delete",
    ),
]

_known = {getattr(p, "name", None) for p in base_urlpatterns}
# Once config/urls.py has the calendar paths, this adds nothing.
urlpatterns = [*base_urlpatterns, *[p for p in calendar_urlpatterns if p.name not in _known]]
