"""Staff pages of the safety app. Each part appends its paths here."""

from django.urls import path

from anxin.safety import views

urlpatterns: list = [
    # Sites (一企一档), sectors and checklists
    path("sites/", views.site_list, name="site_list"),
    path("sites/new/", views.site_create, name="site_create"),
    path("sites/<str:id>/", views.site_detail, name="site_detail"),
    path("sites/<str:id>/edit/", views.site_edit, name="site_edit"),
    path("sites/<str:id>/permits/new/", views.permit_create, name="permit_create"),
    path("sites/<str:id>/permits/<int:pk>/", views.permit_edit, name="permit_edit"),
    path("sectors/", views.sector_list, name="sector_list"),
    path("sectors/<slug:code>/", views.sector_edit, name="sector_edit"),
    path("checklists/", views.checklist_list, name="checklist_list"),
    path("checklists/<int:pk>/", views.checklist_detail, name="checklist_detail"),
    path("checklists/<int:pk>/new-version/", views.checklist_publish, name="checklist_publish"),
]

# Accidents (生产安全事故, 493号令)
from anxin.safety import views_accidents  # noqa: E402

urlpatterns += [
    path("accidents/", views_accidents.accident_list, name="accident_list"),
    path("accidents/new/", views_accidents.accident_create, name="accident_create"),
    path("accidents/<str:id>/", views_accidents.accident_detail, name="accident_detail"),
    path(
        "accidents/<str:id>/act/<slug:action>/",
        views_accidents.accident_action,
        name="accident_action",
    ),
]
