from django.urls import path

from anxin.supervision import views

urlpatterns = [
    path("", views.board, name="supervision_board"),
    path("clocks/<int:pk>/", views.clock_go, name="supervision_clock_go"),
    path("inbox/", views.inbox, name="supervision_inbox"),
    path("inbox/read-all/", views.inbox_read_all, name="supervision_inbox_read_all"),
    path("inbox/<int:pk>/read/", views.inbox_read, name="supervision_inbox_read"),
    path("preferences/", views.preferences, name="supervision_preferences"),
]
