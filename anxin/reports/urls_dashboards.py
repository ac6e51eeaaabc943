from django.urls import path

from anxin.reports import views_dashboards

urlpatterns = [
    path("", views_dashboards.dashboard_city, name="dashboard_city"),
    path("unit/", views_dashboards.dashboard_unit, name="dashboard_unit"),
    path("leader/", views_dashboards.dashboard_leader, name="dashboard_leader"),
    path("hotspots/", views_dashboards.dashboard_hotspots, name="dashboard_hotspots"),
]
