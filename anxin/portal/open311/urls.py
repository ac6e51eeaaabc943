"""``/open311/v2/``: doubled slashes are tolerated (``/open311/v2//requests.json``: the include in
``config/urls.py`` takes any number of slashes; here, between segments);
``service/{code}`` is an alias of ``services/{code}``; anything else is an Open311 404."""

from django.urls import re_path

from anxin.portal.open311 import views

FMT = r"\.(?P<fmt>xml|json)$"

urlpatterns = [
    re_path(r"^discovery" + FMT, views.discovery, name="open311_discovery"),
    re_path(r"^services" + FMT, views.service_list, name="open311_services"),
    re_path(
        r"^services?/+(?P<code>[^/]+?)" + FMT,
        views.service_definition,
        name="open311_service_definition",
    ),
    re_path(r"^requests" + FMT, views.requests, name="open311_requests"),
    re_path(
        r"^requests/+(?P<request_id>[^/]+?)" + FMT,
        views.request_detail,
        name="open311_request",
    ),
    re_path(r"^tokens/+(?P<token>[^/]+?)" + FMT, views.token_detail, name="open311_token"),
    re_path(r"^(?P<path>.*)$", views.fallback, name="open311_not_found"),
]
