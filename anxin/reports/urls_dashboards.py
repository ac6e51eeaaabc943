from django.urls import path

from anxin.reports import views_dashboards, views_monthly

urlpatterns = [
    path("", views_dashboards.dashboard_city, name="dashboard_city"),
    path("unit/", views_dashboards.dashboard_unit, name="dashboard_unit"),
    path("leader/", views_dashboards.dashboard_leader, name="dashboard_leader"),
    path("hotspots/", views_dashboards.dashboard_hotspots, name="dashboard_hotspots"),
    path("monthly/", views_monthly.monthly_list, name="monthly_list"),
    path("monthly/<str:uid>/", views_monthly.monthly_detail, name="monthly_detail"),
    path("monthly/<str:uid>/progress/", views_monthly.monthly_progress, name="monthly_progress"),
    path(
        "monthly/<str:uid>/<slug:kind>/",
        views_monthly.monthly_download,
        name="monthly_download",
    ),
]
