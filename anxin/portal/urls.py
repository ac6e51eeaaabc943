from django.urls import path

from anxin.portal import views

urlpatterns = [
    path("", views.home, name="portal_home"),
    path("petitions/new/", views.petition_submit, name="portal_petition_submit"),
    path("track/", views.track, name="portal_track"),
]
