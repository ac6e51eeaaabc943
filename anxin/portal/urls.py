from django.urls import path

from anxin.portal import views, views_hazards, views_reception

urlpatterns = [
    path("", views.home, name="portal_home"),
    path("petitions/new/", views.petition_submit, name="portal_petition_submit"),
    path("track/", views.track, name="portal_track"),
    path("reception/", views_reception.reception_list, name="portal_reception"),
    path("reception/<int:pk>/book/", views_reception.reception_book, name="portal_reception_book"),
    path("reception/booking/", views_reception.reception_lookup, name="portal_reception_lookup"),
    path("hazards/report/", views_hazards.hazard_report, name="portal_hazard_report"),
    path("hazards/track/", views_hazards.hazard_track, name="portal_hazard_track"),
]
