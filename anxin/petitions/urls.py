from django.urls import path

from anxin.petitions import views

urlpatterns = [
    path("", views.petition_list, name="petition_list"),
    path("new/", views.petition_create, name="petition_create"),
    path("<str:id>/", views.petition_detail, name="petition_detail"),
    path("<str:id>/act/<slug:action>/", views.petition_action, name="petition_action"),
    path("<str:id>/reveal/", views.petition_reveal, name="petition_reveal"),
]
