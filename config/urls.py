from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from anxin.core.views import auth, health, pages
from anxin.core.views import calendar as calendar_views
from anxin.core.views import webhooks as webhook_views
from config.api import api

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("accounts/login/", auth.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth.password_change_view, name="password_change"),
    path("accounts/otp/setup/", auth.otp_setup_view, name="otp_setup"),
    path("accounts/otp/verify/", auth.otp_verify_view, name="otp_verify"),
    path("", pages.home, name="home"),
    path("units/", pages.unit_list, name="unit_list"),
    path("units/<str:code>/", pages.unit_detail, name="unit_detail"),
    path("people/", pages.user_list, name="user_list"),
    path("people/new/", pages.user_create, name="user_create"),
    path("people/<str:username>/", pages.user_detail, name="user_detail"),
    path("people/<str:username>/edit/", pages.user_edit, name="user_edit"),
    path(
        "people/<str:username>/roles/<int:assignment_id>/revoke/",
        pages.role_revoke,
        name="role_revoke",
    ),
    path("people/<str:username>/<slug:op>/", pages.user_action, name="user_action"),
    path("audit/", pages.audit_list, name="audit_list"),
    path("audit/export.csv", pages.audit_export, name="audit_export"),
    path("audit/verify/", pages.audit_verify_view, name="audit_verify"),
    path("settings/calendar/", calendar_views.calendar_page, name="calendar"),
    path(
        "settings/calendar/<str:date>/delete/",
        calendar_views.calendar_day_delete,
        name="calendar_day_delete",
    ),
    path("settings/webhooks/", webhook_views.webhook_list, name="webhook_list"),
    path("settings/webhooks/new/", webhook_views.webhook_create, name="webhook_create"),
    path("settings/webhooks/<int:pk>/", webhook_views.webhook_detail, name="webhook_detail"),
    path("settings/webhooks/<int:pk>/edit/", webhook_views.webhook_edit, name="webhook_edit"),
    path(
        "settings/webhooks/deliveries/<int:pk>/replay/",
        webhook_views.webhook_replay,
        name="webhook_replay",
    ),
    path("petitions/", include("anxin.petitions.urls")),
    path("safety/", include("anxin.safety.urls")),
    path("supervision/", include("anxin.supervision.urls")),
    path("portal/", include("anxin.portal.urls")),
    # one or more slashes: real clients send /open311/v2//requests.json
    re_path(r"^open311/v2/+", include("anxin.portal.open311.urls")),
    path("reports/", include("anxin.reports.urls")),
]
