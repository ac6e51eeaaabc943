from django.urls import path

from anxin.petitions import views

urlpatterns = [
    path("", views.petition_list, name="petition_list"),
    path("new/", views.petition_create, name="petition_create"),
    path("export.xlsx", views.petition_export, name="petition_export"),
    path("backlog/", views.backlog, name="petition_backlog"),
    path("<str:id>/", views.petition_detail, name="petition_detail"),
    path("<str:id>/act/<slug:action>/", views.petition_action, name="petition_action"),
    path("<str:id>/reveal/", views.petition_reveal, name="petition_reveal"),
    path("<str:id>/plan/<slug:op>/", views.petition_plan, name="petition_plan"),
]
